// Encodings the assembler must produce, checked against bytes worked out by hand from RFC 9669
// and from what bpf_conformance's assembler (src/bpf_assembler.cc) does with the same text.
import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { encode } from "../../vm/isa/instruction.js";

/** Assembled bytes as one hex string per slot: opcode, regs (src<<4|dst), off LE, imm LE. */
const slots = (src: string): string[] => {
  const hex = Buffer.from(encode(assemble(src))).toString("hex");
  return hex.match(/.{16}/g) ?? [];
};
const same = (a: string, b: string): void => expect(slots(a)).toEqual(slots(b));

describe("assembler encodings", () => {
  it("ALU with register and immediate sources, 32 and 64 bit", () => {
    expect(slots("mov32 %r0, 0")).toEqual(["b400000000000000"]);
    expect(slots("add %r1, %r2")).toEqual(["0f21000000000000"]);
    expect(slots("sub32 %r3, 7")).toEqual(["1403000007000000"]);
    expect(slots("neg %r3\nneg32 %r4")).toEqual(["8703000000000000", "8404000000000000"]);
    same("add64 %r0, 1", "add %r0, 1"); // bpf_conformance accepts an explicit 64 suffix
  });

  it("immediates: decimal, hex, negative, and u32 bit patterns", () => {
    expect(slots("mov %r0, -1")).toEqual(["b7000000ffffffff"]);
    same("mov32 %r0, 0xffffffff", "mov32 %r0, -1");
    same("mov %r0, 0x80000000", "mov %r0, -2147483648");
    same("mov %r0, 0XFF", "mov %r0, 255");
    same("mov %r0, -0x10", "mov %r0, -16");
    same("mov %r0, +5", "mov %r0, 5");
  });

  it("sdiv/smod set off=1, movsx sets off to the source width", () => {
    expect(slots("sdiv %r1, %r2")).toEqual(["3f21010000000000"]);
    expect(slots("smod32 %r1, 3")).toEqual(["9401010003000000"]);
    expect(slots("movsx832 %r1, %r2")).toEqual(["bc21080000000000"]);
    expect(slots("movsx1664 %r1, %r2")).toEqual(["bf21100000000000"]);
    expect(slots("movsx3264 %r1, %r2")).toEqual(["bf21200000000000"]);
  });

  it("byte swaps: le/be (ALU) and bswap (ALU64), swapN = bswapN", () => {
    expect(slots("le16 %r0")).toEqual(["d400000010000000"]);
    expect(slots("be32 %r1")).toEqual(["dc01000020000000"]);
    expect(slots("bswap64 %r2")).toEqual(["d702000040000000"]);
    same("swap16 %r0", "bswap16 %r0");
  });

  it("loads and stores, with and without offsets", () => {
    expect(slots("ldxw %r0, [%r1+4]")).toEqual(["6110040000000000"]);
    expect(slots("ldxdw %r0, [%r10-8]")).toEqual(["79a0f8ff00000000"]);
    expect(slots("ldxh %r0, [%r1]")).toEqual(["6910000000000000"]);
    expect(slots("ldxsb %r0, [%r1+0x10]")).toEqual(["9110100000000000"]);
    expect(slots("stb [%r10-1], 0x80")).toEqual(["720affff80000000"]);
    expect(slots("stxdw [%r10-8], %r1")).toEqual(["7b1af8ff00000000"]);
    same("ldxw %r0, [ %r1 + 4 ]", "ldxw %r0, [%r1+4]");
  });

  it("atomics: lock [fetch] op, 32 and 64 bit, xchg and cmpxchg", () => {
    expect(slots("lock add [%r10-8], %r1")).toEqual(["db1af8ff00000000"]);
    expect(slots("lock fetch add32 [%r1+4], %r2")).toEqual(["c321040001000000"]);
    expect(slots("lock xchg [%r10-8], %r1")).toEqual(["db1af8ffe1000000"]);
    expect(slots("lock cmpxchg32 [%r10-8], %r1")).toEqual(["c31af8fff1000000"]);
    same("lock add32 fetch [%r1+4], %r2", "lock fetch add32 [%r1+4], %r2");
    same("lock fetch xchg [%r1], %r2", "lock xchg [%r1], %r2");
  });

  it("lddw: full u64 range, negative decimals, two slots", () => {
    expect(slots("lddw %r0, 0x1122334455667788")).toEqual(["1800000088776655", "0000000044332211"]);
    expect(slots("lddw %r1, 0xffffffffffffffff")).toEqual(["18010000ffffffff", "00000000ffffffff"]);
    same("lddw %r1, -2", "lddw %r1, 0xfffffffffffffffe");
    same("lddw %r1, 2147483648", "lddw %r1, 0x80000000");
    same("lddw %r1, -9223372036854775808", "lddw %r1, 0x8000000000000000");
  });

  it("lddw pseudo sources put the kind in src and the second value in the second slot", () => {
    expect(slots("lddw %r1, map_fd 3")).toEqual(["1811000003000000", "0000000000000000"]);
    expect(slots("lddw %r1, map_value 3, 8")).toEqual(["1821000003000000", "0000000008000000"]);
    expect(slots("lddw %r2, btf_id 77")).toEqual(["183200004d000000", "0000000000000000"]);
    expect(slots("lddw %r1, map_idx 0")).toEqual(["1851000000000000", "0000000000000000"]);
    expect(slots("lddw %r1, map_idx_value 1, 16")).toEqual(["1861000001000000", "0000000010000000"]);
    // func: imm is pc-relative from the slot after the lddw's first slot, like call local.
    expect(slots("lddw %r1, func f\nexit\nf: exit")[0]).toBe("1841000002000000");
  });

  it("legacy packet loads", () => {
    expect(slots("ldabsw 0x10")).toEqual(["2000000010000000"]);
    expect(slots("ldindh %r1, 4")).toEqual(["4810000004000000"]);
    expect(slots("ldabsb -1")).toEqual(["30000000ffffffff"]);
  });

  it("jumps: +N/-N/N offsets and labels, resolved relative to the next slot", () => {
    expect(slots("jeq %r1, 0x0, +2")).toEqual(["1501020000000000"]);
    same("jeq %r1, 0, 2", "jeq %r1, 0, +2");
    expect(slots("jne %r1, %r2, -1")).toEqual(["5d21ffff00000000"]);
    expect(slots("L: ja L")).toEqual(["0500ffff00000000"]);
    expect(slots("ja L1\nL1:\nexit")[0]).toBe("0500000000000000");
    expect(slots("jsgt32 %r1, -5, out\nmov %r0, 1\nout: exit")[0]).toBe("66010100fbffffff");
    // A label over an lddw counts both of its slots.
    expect(slots("ja end\nlddw %r0, 1\nend: exit")[0]).toBe("0500020000000000");
  });

  it("ja32 (gotol) keeps its offset in imm", () => {
    expect(slots("ja32 L2\nmov %r0, 1\nL2: exit")[0]).toBe("0600000001000000");
    same("gotol +1\nexit\nexit", "ja32 +1\nexit\nexit");
    expect(slots("ja32 -70000")).toEqual(["0600000090eefeff"]); // beyond s16: fine for imm
  });

  it("the label `exit` is the first exit, unless the program defines its own", () => {
    expect(slots("ja exit\nmov %r0, 1\nexit\nexit")[0]).toBe("0500010000000000");
    expect(slots("ja exit\nexit\nexit:\nexit")[0]).toBe("0500010000000000");
  });

  it("calls: helper, local, kfunc, callx (register in dst as LLVM encodes it)", () => {
    expect(slots("call 5")).toEqual(["8500000005000000"]);
    same("call helper 5", "call 5");
    expect(slots("call local f\nexit\nf: exit")[0]).toBe("8510000001000000");
    expect(slots("call kfunc 1234")).toEqual(["85200000d2040000"]);
    expect(slots("call kfunc 1234, 2")).toEqual(["85200200d2040000"]);
    same("call runtime 1234", "call kfunc 1234");
    expect(slots("call %r2")).toEqual(["8d02000000000000"]);
    same("callx %r2", "call %r2");
    same("call helper %r2", "call %r2");
    expect(slots("exit")).toEqual(["9500000000000000"]);
  });

  it("comments, blank lines, labels on instruction lines, case and register spelling", () => {
    const src = `
      # a comment line
      mov %r0, 1   # trailing comment
      start: add %r0, 2 ; semicolon comment

      MOV %R1, r2
      ja start
      exit`;
    expect(slots(src)).toEqual(slots("mov %r0, 1\nadd %r0, 2\nmov %r1, %r2\nja -3\nexit"));
  });

  it("accepts the slot indices disassemble({ indices: true }) prints, and the .insn directive", () => {
    same("   0: mov %r0, 1\n   1: lddw %r1, 5\n   3: exit", "mov %r0, 1\nlddw %r1, 5\nexit");
    expect(slots(".insn 0xff, 15, 15, -1, 0xffffffff")).toEqual(["ffffffffffffffff"]);
    expect(slots(".insn 0x07, 1, 0, 0, 5")).toEqual(slots("add %r1, 5"));
  });

  it("accepts every mnemonic used by the conformance corpus", () => {
    // One line per mnemonic family used in corpus/conformance (see `grep -h` in the README).
    const src = [
      "add32 %r0, 1", "and %r0, 1", "arsh32 %r0, 1", "div32 %r0, 1", "lsh %r0, 1", "mod %r0, 1",
      "mul %r0, 1", "or32 %r0, 1", "rsh %r0, 1", "sub %r0, 1", "xor32 %r0, 1", "sdiv32 %r0, 1",
      "smod %r0, 1", "jset32 %r0, 1, +0", "jle %r0, 1, +0", "jslt32 %r0, %r1, +0", "ldxb %r0, [%r1]",
      "stdw [%r10-8], 1", "sth [%r1+2], 3", "stw [%r1], 4", "stxb [%r1], %r2", "stxh [%r1], %r2",
      "stxw [%r1], %r2", "ldxsh %r0, [%r1]", "ldxsw %r0, [%r1]", "le64 %r0", "be64 %r0", "swap32 %r0",
      "swap64 %r0", "lock or [%r1], %r2", "lock and32 [%r1], %r2", "lock xor [%r1], %r2",
      "lock fetch or32 [%r1], %r2", "lock fetch xor [%r1], %r2", "lock xchg32 [%r1], %r2",
    ].join("\n");
    expect(assemble(src)).toHaveLength(35);
  });
});
