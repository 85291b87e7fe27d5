// Programs for the JIT's compile-latency benchmark (bench/micro/jit.ts) and scaling tests.
// (The ALU loop and `prime` are the interpreter benchmark's builders, bench/micro/interpreter.ts,
// so both engines run the very same programs.)
//   synthetic — a program of exactly N slots with the shapes compilers emit: straight-line ALU,
//              stack stores and loads, forward if/else jumps, short bounded loops, and a
//              bpf-to-bpf call every so often; it terminates and is deterministic for a seed.

import { insn, type Insn } from "../../vm/isa/instruction.js";
import { AluOp, CallSrc, Cls, JmpOp, Mode, Size, Src } from "../../vm/isa/opcodes.js";

const alu64 = (op: number, dst: number, imm: number): Insn => insn(Cls.ALU64 | op | Src.K, dst, 0, 0, imm);
const alu64r = (op: number, dst: number, src: number): Insn => insn(Cls.ALU64 | op | Src.X, dst, src, 0, 0);
const jmp = (op: number, dst: number, imm: number, off: number): Insn => insn(Cls.JMP | op | Src.K, dst, 0, off, imm);
const jmpr = (op: number, dst: number, src: number, off: number): Insn => insn(Cls.JMP | op | Src.X, dst, src, off, 0);
const exit = (): Insn => insn(Cls.JMP | JmpOp.EXIT);

/** A small deterministic PRNG (mulberry32), so synthetic programs are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.OR, AluOp.AND, AluOp.XOR, AluOp.LSH, AluOp.RSH, AluOp.ARSH];
const CONDS = [JmpOp.JEQ, JmpOp.JNE, JmpOp.JGT, JmpOp.JGE, JmpOp.JLT, JmpOp.JSGT, JmpOp.JSET];

/**
 * A program of exactly `size` slots (size >= 64). The main program comes first; a small leaf
 * subprogram sits at the end and is called from time to time.
 */
export function synthetic(size: number, seed = 1): Insn[] {
  if (size < 64) throw new RangeError("synthetic programs need at least 64 slots");
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const reg = (): number => 2 + Math.floor(next() * 4); // r2..r5: scratch
  const imm = (): number => Math.floor(next() * 1000) - 200;
  const leaf = [alu64r(AluOp.MOV, 0, 1), alu64(AluOp.XOR, 0, 0x33), alu64(AluOp.ADD, 0, 7), exit()];
  const mainSize = size - leaf.length;
  const out: Insn[] = [alu64(AluOp.MOV, 0, 0), alu64(AluOp.MOV, 2, 1), alu64(AluOp.MOV, 3, 2), alu64(AluOp.MOV, 4, 3), alu64(AluOp.MOV, 5, 4)];
  const room = (): number => mainSize - 2 - out.length; // keep 2 slots: final add + exit
  const aluOne = (): Insn => {
    const op = pick(ALU_OPS);
    const shift = op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH;
    return next() < 0.5 ? alu64(op, reg(), shift ? Math.floor(next() * 64) : imm()) : alu64r(op, reg(), reg());
  };
  while (room() > 0) {
    const r = next();
    if (r < 0.35 || room() < 12) {
      out.push(aluOne());
    } else if (r < 0.5) {
      // Stack traffic: store, load back, fold into r0.
      const slot = -8 * (1 + Math.floor(next() * 16));
      out.push(insn(Cls.STX | Mode.MEM | Size.DW, 10, reg(), slot), insn(Cls.LDX | Mode.MEM | Size.DW, reg(), 10, slot));
      out.push(alu64r(AluOp.ADD, 0, reg()));
    } else if (r < 0.7) {
      // if (cond) { k ALU ops }
      const k = 1 + Math.floor(next() * 6);
      out.push(jmp(pick(CONDS), reg(), imm(), k));
      for (let j = 0; j < k; j++) out.push(aluOne());
    } else if (r < 0.85) {
      // if/else diamond
      const [a, b] = [1 + Math.floor(next() * 4), 1 + Math.floor(next() * 4)];
      out.push(jmpr(pick(CONDS), reg(), reg(), a + 1));
      for (let j = 0; j < a; j++) out.push(aluOne());
      out.push(insn(Cls.JMP | JmpOp.JA, 0, 0, 0, 0));
      const jaAt = out.length - 1;
      for (let j = 0; j < b; j++) out.push(aluOne());
      out[jaAt] = insn(Cls.JMP | JmpOp.JA, 0, 0, b);
    } else if (r < 0.95) {
      // A bounded loop on r8: for (r8 = 3; r8 != 0; r8--) r0 += r8 ^ scratch
      out.push(alu64(AluOp.MOV, 8, 3));
      out.push(alu64r(AluOp.ADD, 0, 8), alu64r(AluOp.XOR, 0, reg()), alu64(AluOp.SUB, 8, 1), jmp(JmpOp.JNE, 8, 0, -4));
    } else {
      // r0 += leaf(r1 = scratch); the call clobbers nothing we rely on (r6..r9 are preserved).
      out.push(alu64r(AluOp.MOV, 1, reg()));
      out.push(insn(Cls.JMP | JmpOp.CALL, 0, CallSrc.LOCAL, 0, 0));
      out[out.length - 1] = insn(Cls.JMP | JmpOp.CALL, 0, CallSrc.LOCAL, 0, mainSize - out.length);
      out.push(alu64r(AluOp.ADD, 0, 0));
    }
  }
  out.push(alu64r(AluOp.ADD, 0, 2), exit());
  return [...out, ...leaf];
}
