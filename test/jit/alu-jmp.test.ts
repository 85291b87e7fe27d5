// Every ALU and JMP opcode the table knows, on edge-case operands, against the interpreter (the
// oracle), plus the kernel rules stated as expected values so that agreement on a wrong answer
// cannot pass: division by zero, modulo by zero, INT_MIN / -1, shift masking, zero-extension.

import { describe, expect, it } from "vitest";
import { A, AluOp, both, JmpOp, run } from "./util.js";
import { insn } from "../../vm/isa/instruction.js";
import { Cls, Src } from "../../vm/isa/opcodes.js";

const EDGE: bigint[] = [
  0n, 1n, 2n, 3n, 7n, 31n, 32n, 33n, 63n, 64n, 65n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn,
  0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n,
  0xffffffffffffffffn, 0xfffffffffffffffen, 0x123456789abcdef0n, 0xffffffff80000000n,
];
const PAIRS: bigint[][] = EDGE.flatMap((a, i) => EDGE.filter((_, j) => (i * 7 + j) % 3 === 0).map((b) => [a, b]));
const IMMS = [0, 1, -1, 2, 7, 31, 32, 63, 64, 100, 0x7fffffff, -0x80000000, 0x8000, -2];

const ALU: Array<[string, number, number]> = [
  ["add", AluOp.ADD, 0], ["sub", AluOp.SUB, 0], ["mul", AluOp.MUL, 0], ["div", AluOp.DIV, 0], ["sdiv", AluOp.DIV, 1],
  ["or", AluOp.OR, 0], ["and", AluOp.AND, 0], ["lsh", AluOp.LSH, 0], ["rsh", AluOp.RSH, 0], ["mod", AluOp.MOD, 0],
  ["smod", AluOp.MOD, 1], ["xor", AluOp.XOR, 0], ["mov", AluOp.MOV, 0], ["arsh", AluOp.ARSH, 0],
];

/** r0 = r1 op r2 (register form), or r0 = r1 op imm. */
const regProg = (wide: boolean, op: number, off: number) => [
  A.mov64r(0, 1),
  insn((wide ? Cls.ALU64 : Cls.ALU) | op | Src.X, 0, 2, off),
  A.exit(),
];
const immProg = (wide: boolean, op: number, off: number, imm: number) => [
  A.mov64r(0, 1),
  insn((wide ? Cls.ALU64 : Cls.ALU) | op | Src.K, 0, 0, off, imm),
  A.exit(),
];

describe("ALU against the interpreter", () => {
  for (const wide of [true, false]) {
    for (const [name, op, off] of ALU) {
      const mn = name + (wide ? "" : "32");
      it(`${mn} with registers`, async () => {
        for (const [interp, jit] of await both(regProg(wide, op, off), PAIRS)) expect(jit).toBe(interp);
      });
      it(`${mn} with immediates`, async () => {
        for (const imm of IMMS) {
          const results = await both(immProg(wide, op, off, imm), EDGE.map((a) => [a]));
          for (const [interp, jit] of results) expect(jit, `${mn} imm ${imm}`).toBe(interp);
        }
      });
    }
    it(`neg${wide ? "" : "32"}, movsx and byte swaps`, async () => {
      const progs = [
        [A.mov64r(0, 1), insn((wide ? Cls.ALU64 : Cls.ALU) | AluOp.NEG, 0), A.exit()],
        ...[8, 16, 32].filter((b) => wide || b !== 32).map((bits) => [insn((wide ? Cls.ALU64 : Cls.ALU) | AluOp.MOV | Src.X, 0, 1, bits), A.exit()]),
        ...(["le", "be", "swap"] as const).flatMap((order) =>
          ([16, 32, 64] as const).map((bits) => [A.mov64r(0, 1), A.end(order, 0, bits), A.exit()]),
        ),
      ];
      for (const p of progs) for (const [interp, jit] of await both(p, EDGE.map((a) => [a]))) expect(jit).toBe(interp);
    });
  }
});

describe("ALU kernel rules (explicit values)", () => {
  const INT64_MIN = 0x8000000000000000n;
  const cases: Array<[string, bigint[], bigint, ReturnType<typeof regProg>]> = [
    ["div by zero register gives 0", [5n, 0n], 0n, regProg(true, AluOp.DIV, 0)],
    ["mod by zero register leaves dst", [5n, 0n], 5n, regProg(true, AluOp.MOD, 0)],
    ["mod32 by zero zero-extends dst", [0xffffffff00000005n, 0n], 5n, regProg(false, AluOp.MOD, 0)],
    ["div32 by zero gives 0", [0xffffffff00000005n, 0n], 0n, regProg(false, AluOp.DIV, 0)],
    ["sdiv INT_MIN / -1 gives INT_MIN", [INT64_MIN, 0xffffffffffffffffn], INT64_MIN, regProg(true, AluOp.DIV, 1)],
    ["smod INT_MIN % -1 gives 0", [INT64_MIN, 0xffffffffffffffffn], 0n, regProg(true, AluOp.MOD, 1)],
    ["sdiv32 INT_MIN / -1 gives INT_MIN zero-extended", [0x80000000n, 0xffffffffn], 0x80000000n, regProg(false, AluOp.DIV, 1)],
    ["smod by zero leaves dst", [INT64_MIN, 0n], INT64_MIN, regProg(true, AluOp.MOD, 1)],
    ["lsh masks the amount to 63", [1n, 65n], 2n, regProg(true, AluOp.LSH, 0)],
    ["lsh32 masks the amount to 31", [1n, 33n], 2n, regProg(false, AluOp.LSH, 0)],
    ["arsh32 sign-fills 32 bits and zero-extends", [0x80000000n, 4n], 0xf8000000n, regProg(false, AluOp.ARSH, 0)],
    ["add32 wraps and zero-extends", [0xffffffffn, 1n], 0n, regProg(false, AluOp.ADD, 0)],
    ["sdiv with immediate -1 negates", [7n], 0xfffffffffffffff9n, immProg(true, AluOp.DIV, 1, -1)],
    ["div64 immediate is sign-extended", [0xfffffffffffffffen], 0n, immProg(true, AluOp.DIV, 0, -1)],
    ["div32 immediate is unsigned 32-bit", [0xfffffffen], 0n, immProg(false, AluOp.DIV, 0, -1)],
    ["mod immediate 0 leaves dst", [9n], 9n, immProg(true, AluOp.MOD, 0, 0)],
  ];
  for (const [name, args, expected, prog] of cases) {
    it(name, async () => expect(await run(prog, { args })).toBe(expected));
  }
});

const CONDS: Array<[string, number]> = [
  ["jeq", JmpOp.JEQ], ["jne", JmpOp.JNE], ["jgt", JmpOp.JGT], ["jge", JmpOp.JGE], ["jlt", JmpOp.JLT], ["jle", JmpOp.JLE],
  ["jsgt", JmpOp.JSGT], ["jsge", JmpOp.JSGE], ["jslt", JmpOp.JSLT], ["jsle", JmpOp.JSLE], ["jset", JmpOp.JSET],
];

describe("conditional jumps against the interpreter", () => {
  for (const wide of [true, false]) {
    for (const [name, op] of CONDS) {
      const mn = name + (wide ? "" : "32");
      const cls = wide ? Cls.JMP : Cls.JMP32;
      it(`${mn} register and immediate forms`, async () => {
        const reg = [A.mov64(0, 1), insn(cls | op | Src.X, 1, 2, 1), A.mov64(0, 2), A.exit()];
        for (const [interp, jit] of await both(reg, PAIRS)) expect(jit).toBe(interp);
        for (const imm of IMMS) {
          const k = [A.mov64(0, 1), insn(cls | op | Src.K, 1, 0, 1, imm), A.mov64(0, 2), A.exit()];
          for (const [interp, jit] of await both(k, EDGE.map((a) => [a]))) expect(jit, `${mn} imm ${imm}`).toBe(interp);
        }
      });
    }
  }
  it("jgt compares unsigned, jsgt signed", async () => {
    const prog = (op: number) => [A.mov64(0, 1), A.jmp(op, 1, 1, 1), A.mov64(0, 2), A.exit()];
    expect(await run(prog(JmpOp.JGT), { args: [0xffffffffffffffffn] })).toBe(1n);
    expect(await run(prog(JmpOp.JSGT), { args: [0xffffffffffffffffn] })).toBe(2n);
  });
  it("jmp32 looks at the low 32 bits only", async () => {
    expect(await run([A.mov64(0, 1), A.jmp32(JmpOp.JEQ, 1, 5, 1), A.mov64(0, 2), A.exit()], { args: [0x700000005n] })).toBe(1n);
  });
  it("ja and gotol (ja32) jump forward and backward", async () => {
    const prog = [A.mov64(0, 0), A.gotol(2), A.alu64(AluOp.ADD, 0, 100), A.exit(), A.alu64(AluOp.ADD, 0, 1), A.ja(-4)];
    expect(await run(prog)).toBe(101n);
  });
});
