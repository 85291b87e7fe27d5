// Bad assembly: every refusal is a BpfError carrying the 1-based line, and its message names the
// problem and quotes the offending line.
import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { BpfError } from "../../vm/errors.js";

function failure(src: string, firstLine?: number): BpfError {
  try {
    assemble(src, firstLine === undefined ? {} : { firstLine });
  } catch (e) {
    expect(e).toBeInstanceOf(BpfError);
    return e as BpfError;
  }
  throw new Error(`assembled without error: ${JSON.stringify(src)}`);
}

/** [source, line, message fragment, offending line text] */
const CASES: ReadonlyArray<[string, number, string, string]> = [
  ["mov %r0, 1\naddx %r0, 1", 2, "unknown mnemonic 'addx'", "addx %r0, 1"],
  ["mov %r11, 1", 1, "bad register '%r11' (registers are %r0..%r10)", "mov %r11, 1"],
  ["exit\nmov %rx, 1", 2, "bad register '%rx'", "mov %rx, 1"],
  ["mov %r0", 1, "missing operand: expected register or immediate", "mov %r0"],
  ["jeq %r1, 0", 1, "missing operand: expected jump target", "jeq %r1, 0"],
  ["stb [%r10-1]", 1, "missing operand: expected immediate", "stb [%r10-1]"],
  ["mov %r0, 0x100000000", 1, "immediate '0x100000000' does not fit in 32 bits", "mov %r0, 0x100000000"],
  ["mov %r0, -2147483649", 1, "immediate '-2147483649' does not fit in 32 bits", "mov %r0, -2147483649"],
  ["lddw %r0, 0x10000000000000000", 1, "does not fit in 64 bits", "lddw %r0, 0x10000000000000000"],
  ["ldxw %r0, [%r1+40000]", 1, "offset '+40000' does not fit in s16 range", "ldxw %r0, [%r1+40000]"],
  ["ja +32768", 1, "offset '+32768' does not fit in s16 range", "ja +32768"],
  ["mov %r0, 1\nja nowhere\nexit", 2, "undefined label 'nowhere'", "ja nowhere"],
  ["L1:\nexit\nL1: exit", 3, "duplicate label 'L1' (first defined at line 1)", "L1: exit"],
  ["mov %r0, 0xzz", 1, "bad number '0xzz'", "mov %r0, 0xzz"],
  ["exit 1", 1, "unexpected '1' after the operands", "exit 1"],
  ["neg 1", 1, "expected destination register, found '1'", "neg 1"],
  ["lock nand [%r1], %r2", 1, "unknown atomic operation 'nand'", "lock nand [%r1], %r2"],
  ["lock fetch", 1, "missing operand: expected atomic operation", "lock fetch"],
  ["movsx864 %r0, 5", 1, "expected source register, found '5'", "movsx864 %r0, 5"],
  ["ldxw %r0, %r1", 1, "expected memory operand", "ldxw %r0, %r1"],
  ["ldxw %r0, [%r1+4", 1, "missing operand: expected ']'", "ldxw %r0, [%r1+4"],
  ["call local", 1, "missing operand: expected jump target", "call local"],
  ["mov %r0, @1", 1, "unexpected character '@'", "mov %r0, @1"],
  ["mov %r0 1", 1, "expected ',' before register or immediate, found '1'", "mov %r0 1"],
  ["exit\n5: exit", 2, "slot index 5 does not match the slot position 1", "5: exit"],
  ["jeq %r1, %r2, %r3", 1, "expected jump target (label or +N/-N), found '%r3'", "jeq %r1, %r2, %r3"],
  [".insn 0x100, 0, 0, 0, 0", 1, "opcode '0x100' does not fit in 0..255", ".insn 0x100, 0, 0, 0, 0"],
  ["lddw %r1, map_value", 1, "missing operand: expected map_value operand", "lddw %r1, map_value"],
  ["mov %r0, 1 # ok\n\n  bogus   # comment", 3, "unknown mnemonic 'bogus'", "bogus"],
];

describe("assembler errors", () => {
  it.each(CASES)("%j → line %i: %s", (src, line, fragment, text) => {
    const e = failure(src);
    expect(e.where.line).toBe(line);
    expect(e.message).toContain(`line ${line}: `);
    expect(e.message).toContain(fragment);
    expect(e.message).toContain(`in '${text}'`);
  });

  it("a label more than 32767 slots away does not fit a jump offset", () => {
    const src = ["ja far", ...Array<string>(32768).fill("mov %r0, 0"), "far: exit"].join("\n");
    const e = failure(src);
    expect(e.where.line).toBe(1);
    expect(e.message).toContain("jump to 'far' is 32768 slots away, outside the s16 offset range");
    // ja32 carries the same distance in imm.
    expect(() => assemble(src.replace("ja far", "ja32 far"))).not.toThrow();
  });

  it("quotes a long line shortened and control bytes escaped, not raw", () => {
    const long = failure(`mov %r0, ${"9".repeat(5000)}`);
    expect(long.message.length).toBeLessThan(400);
    expect(long.message).toContain("(4889 more characters)");
    const binary = failure("\u0000\u0001\u001b[2J");
    expect(binary.message).toBe("line 1: unknown mnemonic '\\x00\\x01\\x1b[2J' in '\\x00\\x01\\x1b[2J'");
  });

  it("firstLine shifts the reported line (asm embedded in a larger file)", () => {
    const e = failure("mov %r0, 1\nfoo %r0", 10);
    expect(e.where.line).toBe(11);
    expect(e.message).toMatch(/^line 11: unknown mnemonic 'foo' in 'foo %r0'$/);
  });
});
