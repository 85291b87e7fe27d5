import { describe, expect, it } from "vitest";
import { AluOp, Atomic, Cls, JmpOp, Mode, Size, Src } from "../../vm/isa/opcodes.js";
import { encode, insn } from "../../vm/isa/instruction.js";
import {
  caseSeed, checkCode, checkProgram, emit, expectedKeys, FlowError, isValid, makeCase, minimize, Random, tally,
  type FuzzProgram, type Stmt,
} from "../../vm/fuzz/index.js";
import { loopTrips } from "../../vm/fuzz/flow.js";

const op = (i: ReturnType<typeof insn>): Stmt => ({ k: "op", insn: i });
const movImm = (dst: number, imm: number): Stmt => op(insn(Cls.ALU64 | AluOp.MOV | Src.K, dst, 0, 0, imm));
const program = (main: Stmt[], extra: Partial<FuzzProgram> = {}): FuzzProgram => ({ memLen: 16, frame: 512, main: [movImm(0, 0), ...main], subs: [], ...extra });

describe("fuzz program generator", () => {
  it("is deterministic per seed and differs between seeds", () => {
    const a = encode(emit(makeCase(1234).program).insns);
    const b = encode(emit(makeCase(1234).program).insns);
    const c = encode(emit(makeCase(1235).program).insns);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(makeCase(99).input.memory).toEqual(makeCase(99).input.memory);
    expect(caseSeed(1, 0)).not.toBe(caseSeed(0, 1));
  });

  it("the PRNG stays within its ranges", () => {
    const rng = new Random(5);
    for (let i = 0; i < 1000; i++) {
      const v = rng.range(-3, 3);
      expect(v).toBeGreaterThanOrEqual(-3);
      expect(v).toBeLessThanOrEqual(3);
      expect(rng.int(7)).toBeLessThan(7);
    }
  });

  it("makes valid programs: the tree rules hold and the bytecode passes an independent check", () => {
    for (let i = 0; i < 3000; i++) {
      const c = makeCase(caseSeed(42, i), { memoryAtomics: i % 2 === 0 });
      expect(() => checkProgram(c.program)).not.toThrow();
      const problems = checkCode(emit(c.program).insns);
      expect(problems, `case ${caseSeed(42, i)}`).toEqual([]);
    }
  });

  it("makes atomics on memory only when asked", () => {
    const onMemory = (seed: number, memoryAtomics: boolean): boolean =>
      emit(makeCase(seed, { memoryAtomics }).program).insns.some((i) => (i.opcode & 0xe7) === (Cls.STX | Mode.ATOMIC) && i.dst === 9);
    const seeds = Array.from({ length: 400 }, (_, i) => caseSeed(8, i));
    expect(seeds.some((s) => onMemory(s, true))).toBe(true);
    expect(seeds.some((s) => onMemory(s, false))).toBe(false);
  });

  it("covers every instruction it is meant to, by describe()'s mnemonics", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) tally(emit(makeCase(caseSeed(7, i)).program).insns, counts);
    const expected = expectedKeys();
    // The table's refinements: 14 ALU ops × 2 widths + sdiv/smod, neg, movsx, 9 swaps, 22 jumps,
    // ja/gotol, may_goto, local call, exit, lddw, 11 loads, 8 stores, 12 atomics.
    expect(expected.size).toBe(91);
    expect([...expected].filter((k) => !counts.has(k))).toEqual([]);
    expect([...counts.keys()].filter((k) => !expected.has(k))).toEqual([]);
  });

  it("bounds every loop", () => {
    expect(loopTrips(3, -1, insn(Cls.JMP | JmpOp.JNE | Src.K, 6, 0, 0, 0))).toBe(3);
    expect(loopTrips(0, 1, insn(Cls.JMP32 | JmpOp.JSLT | Src.K, 6, 0, 0, 4))).toBe(4);
    expect(loopTrips(0, 1, insn(Cls.JMP | JmpOp.JNE | Src.K, 6, 0, 0, -1))).toBeUndefined();
  });
});

describe("fuzz program rules (flow.ts) refuse what an engine or the kernel would", () => {
  const refused = (p: FuzzProgram, why: RegExp): void => {
    expect(() => checkProgram(p)).toThrow(FlowError);
    expect(() => checkProgram(p)).toThrow(why);
  };

  it("reading a register before it is written", () => {
    refused(program([op(insn(Cls.ALU64 | AluOp.ADD | Src.X, 0, 7))]), /r7 read before it is written/);
  });

  it("using the memory pointer as a value, or writing it", () => {
    refused(program([op(insn(Cls.ALU64 | AluOp.MOV | Src.X, 0, 9))]), /r9 is a pointer/);
    refused(program([movImm(9, 1)]), /r9 may not be written/);
  });

  it("stack reads of bytes not written on every path, misaligned or out-of-frame accesses", () => {
    refused(program([op(insn(Cls.LDX | Mode.MEM | Size.W, 1, 10, -8))]), /not written on every path/);
    const half: Stmt = { k: "if", cond: insn(Cls.JMP | JmpOp.JEQ | Src.K, 0, 0, 0, 0), then: [op(insn(Cls.ST | Mode.MEM | Size.DW, 10, 0, -8, 1))], otherwise: [], long: false };
    refused(program([half, op(insn(Cls.LDX | Mode.MEM | Size.DW, 1, 10, -8))]), /not written on every path/);
    refused(program([op(insn(Cls.ST | Mode.MEM | Size.W, 10, 0, -6, 1))]), /misaligned/);
    refused(program([op(insn(Cls.ST | Mode.MEM | Size.DW, 10, 0, -520, 1))]), /outside the 512-byte frame/);
  });

  it("atomics on the input memory (unless allowed, and then aligned), shifts by too much, division by the immediate 0", () => {
    const onMemory = (off: number): Stmt => op(insn(Cls.STX | Mode.ATOMIC | Size.DW, 9, 0, off, Atomic.ADD));
    refused(program([onMemory(0)]), /atomics on the input memory/);
    expect(isValid(program([onMemory(8)], { memoryAtomics: true }))).toBe(true);
    refused(program([onMemory(4)], { memoryAtomics: true }), /misaligned atomic on memory r9\+4/);
    refused(program([op(insn(Cls.ALU | AluOp.LSH | Src.K, 0, 0, 0, 32))]), /shift by 32/);
    refused(program([op(insn(Cls.ALU64 | AluOp.MOD | Src.K, 0, 0, 1, 0))]), /division by the immediate 0/);
  });

  it("loops that do not stop, counters written in their body, and backward calls", () => {
    const loop = (body: Stmt[], imm = 0): Stmt => ({ k: "loop", counter: 6, init: 2, step: -1, cond: insn(Cls.JMP | JmpOp.JNE | Src.K, 6, 0, 0, imm), trips: 2, body });
    expect(isValid(program([loop([])]))).toBe(true);
    refused(program([loop([], 5)]), /does not run 2 rounds/);
    refused(program([loop([movImm(6, 0)])]), /r6 may not be written/);
    const sub = { arity: 0, frame: 128, body: [movImm(0, 1), { k: "call", target: 1 } as Stmt] };
    refused({ memLen: 16, frame: 256, main: [movImm(0, 0), { k: "call", target: 1 }], subs: [sub] }, /no recursion/);
  });

  it("a call clobbers r1..r5 and sets r0", () => {
    const sub = { arity: 1, frame: 128, body: [op(insn(Cls.ALU64 | AluOp.MOV | Src.X, 0, 1))] };
    const ok: FuzzProgram = { memLen: 16, frame: 256, main: [{ k: "call", target: 1 }], subs: [sub] };
    refused(ok, /call 1: r1 read before it is written/);
    expect(isValid({ ...ok, main: [movImm(1, 5), { k: "call", target: 1 }] })).toBe(true);
    refused({ ...ok, main: [movImm(1, 5), { k: "call", target: 1 }, op(insn(Cls.ALU64 | AluOp.ADD | Src.X, 0, 2))] }, /r2 read before/);
  });
});

describe("the independent bytecode check (validity.ts)", () => {
  const exit = insn(Cls.JMP | 0x90);
  const mov0 = insn(Cls.ALU64 | AluOp.MOV | Src.K, 0, 0, 0, 1);
  it("accepts a minimal program and finds each kind of problem", () => {
    expect(checkCode([mov0, exit])).toEqual([]);
    expect(checkCode([exit])).toEqual(["insn 0: exit reads r0 before it is written"]);
    expect(checkCode([mov0, insn(Cls.JMP | JmpOp.JA, 0, 0, 1), mov0, exit])).toEqual(["insn 2: unreachable"]);
    expect(checkCode([mov0, insn(Cls.JMP | JmpOp.JA, 0, 0, 1), insn(Cls.LD | Mode.IMM | Size.DW, 1), insn(0), exit])).toEqual(["insn 1: jumps into the middle of lddw at 2"]);
    expect(checkCode([mov0])).toEqual(["insn 0: falls off the end of subprogram 0"]);
    expect(checkCode([mov0, insn(Cls.LDX | Mode.MEM | Size.W, 1, 10, -4), exit])).toEqual(["insn 1: ldxw reads stack r10-4 before it is written"]);
    expect(checkCode([mov0, insn(Cls.ST | Mode.MEM | Size.W, 10, 0, -6, 0), exit])).toEqual(["insn 1: stw misaligned stack access r10-6"]);
    expect(checkCode([mov0, insn(Cls.ALU64 | AluOp.MOV | Src.K, 10, 0, 0, 0), exit])).toEqual(["insn 1: mov writes r10"]);
    // r1..r5 are gone after a call.
    const call = insn(Cls.JMP | JmpOp.CALL, 0, 1, 0, 2);
    expect(checkCode([call, insn(Cls.ALU64 | AluOp.ADD | Src.X, 0, 1), exit, mov0, exit])).toEqual(["insn 1: add reads r1 before it is written"]);
  });
});

describe("minimiser", () => {
  it("shrinks a program to what keeps the predicate true, and keeps it valid", async () => {
    const sdiv = (ins: { opcode: number; off: number }): boolean => ins.opcode === (Cls.ALU64 | AluOp.DIV | Src.X) && ins.off === 1;
    let c = makeCase(caseSeed(3, 0));
    for (let i = 1; !emit(c.program).insns.some(sdiv); i++) c = makeCase(caseSeed(3, i));
    const before = emit(c.program).insns.length;
    const result = await minimize(c.program, async (p) => emit(p).insns.some(sdiv));
    const after = emit(result.program).insns;
    expect(after.some(sdiv)).toBe(true);
    expect(isValid(result.program)).toBe(true);
    expect(checkCode(after)).toEqual([]);
    expect(after.length).toBeLessThan(before);
    // What is left: the sdiv and what makes it valid (its operands written), not much more.
    expect(result.program.main.length + result.program.subs.reduce((n, s) => n + s.body.length, 0)).toBeLessThanOrEqual(6);
  });
});
