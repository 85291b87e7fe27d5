// The disassembler's output: the assembler's syntax, jumps as +N/-N (or labels on request),
// lddw as one line, and invalid encodings shown as raw `.insn` lines with the reason.
import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { disassemble, formatInsn } from "../../vm/asm/disassembler.js";
import { BpfError } from "../../vm/errors.js";
import { insn, type Insn } from "../../vm/isa/instruction.js";

const PROGRAM = `mov %r0, 0
lddw %r1, 0x1122334455667788
jeq %r1, 0, done
call 5
call local f
done: exit
f: mov %r0, -1
exit`;

describe("disassembler", () => {
  it("prints one instruction per line, lddw on one line, jumps as +N/-N", () => {
    expect(disassemble(assemble(PROGRAM))).toBe(
      [
        "mov %r0, 0",
        "lddw %r1, 0x1122334455667788",
        "jeq %r1, 0, +2",
        "call 5",
        "call local +1",
        "exit",
        "mov %r0, -1",
        "exit",
        "",
      ].join("\n"),
    );
  });

  it("prints slot indices and labels on request", () => {
    expect(disassemble(assemble(PROGRAM), { indices: true, labels: true })).toBe(
      [
        "   0: mov %r0, 0",
        "   1: lddw %r1, 0x1122334455667788",
        "   3: jeq %r1, 0, L6",
        "   4: call 5",
        "   5: call local L7",
        "L6:",
        "   6: exit",
        "L7:",
        "   7: mov %r0, -1",
        "   8: exit",
        "",
      ].join("\n"),
    );
  });

  it("formatInsn reads both lddw slots and marks a lone second slot", () => {
    const insns = assemble(PROGRAM);
    expect(formatInsn(insns, 1)).toBe("lddw %r1, 0x1122334455667788");
    expect(formatInsn(insns, 2)).toBe(".insn 0x00, 0, 0, 0, 0x11223344  # second slot of the lddw at 1");
    expect(formatInsn(insns, 3)).toBe("jeq %r1, 0, +2");
  });

  it("prints invalid encodings as .insn lines with the reason, without throwing", () => {
    const cases: Array<[Insn[], string]> = [
      [[insn(0xff, 1, 2, 3, 4)], ".insn 0xff, 1, 2, 3, 4  # invalid: unknown opcode 0xff"],
      [[insn(0x07, 1, 2, 0, 5)], ".insn 0x07, 1, 2, 0, 5  # invalid: add: reserved field src=2 must be 0"],
      [[insn(0xbf, 1, 2, 0, 7)], ".insn 0xbf, 1, 2, 0, 7  # invalid: mov: reserved field imm=7 must be 0"],
      [[insn(0x95, 0, 0, 1, 0)], ".insn 0x95, 0, 0, 1, 0  # invalid: exit: reserved field off=1 must be 0"],
      [[insn(0xb7, 11, 0, 0, 1)], ".insn 0xb7, 11, 0, 0, 1  # invalid: mov: register r11 does not exist"],
      [[insn(0x3f, 1, 2, 5, 0)], ".insn 0x3f, 1, 2, 5, 0  # invalid: opcode 0x3f is not defined for off=5 imm=0 src=2"],
      [[insn(0xd4, 1, 0, 0, 8)], ".insn 0xd4, 1, 0, 0, 8  # invalid: opcode 0xd4 is not defined for off=0 imm=8 src=0"],
      [[insn(0x18, 1, 0, 0, 5)], ".insn 0x18, 1, 0, 0, 5  # invalid: lddw without its second slot (end of program)"],
    ];
    for (const [insns, text] of cases) {
      expect(formatInsn(insns, 0)).toBe(text);
      expect(assemble(disassemble(insns))).toEqual(insns);
    }
  });

  it("an lddw whose second slot is malformed is shown slot by slot", () => {
    const insns = [insn(0x18, 1, 0, 0, 5), insn(0x07, 1, 0, 0, 1), insn(0x95)];
    expect(disassemble(insns)).toBe(
      ".insn 0x18, 1, 0, 0, 5  # invalid: lddw: second slot has opcode=7, must be 0\nadd %r1, 1\nexit\n",
    );
  });

  it("callx names its register (dst), kfunc calls show their BTF fd index, atomics their fetch", () => {
    const text = "callx %r3\ncall kfunc 0x4d2, 2\nlock fetch or32 [%r1-4], %r2\nlock cmpxchg [%r10-8], %r1\n";
    expect(disassemble(assemble(text))).toBe(text);
  });

  it("prints the empty program as the empty string; formatInsn refuses a slot that is not there", () => {
    expect(disassemble([])).toBe("");
    expect(() => formatInsn([insn(0x95)], 1)).toThrow(BpfError);
    expect(() => formatInsn([insn(0x95)], 1)).toThrow("no instruction slot 1: the program has 1 slots");
  });
});
