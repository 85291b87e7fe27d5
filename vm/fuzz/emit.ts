// Lowering a fuzz program (ast.ts) to instruction slots:
//
//   main:    r9 = r1; <statements>; <dump epilogue>; exit
//   sub i:   <statements>; exit
//
//   if (c) {T} else {E}   →   if c goto T; E; ja END; T: ...; END:        (gotol when `long`)
//   loop                  →   rC = init; L: body; rC += step; if cond(rC, imm) goto L
//   call i                →   call <pc-relative to sub i>                  (src = BPF_PSEUDO_CALL)
//
// The dump epilogue makes the state at exit observable to every engine through the memory,
// the kernel included (whose stack and registers are otherwise invisible): every register
// r0..r8 written on all paths is stored at memLen + 512 + 8r, and every stack byte of main's
// frame written on all paths is copied to memLen + 512 + off (off < 0 from r10). Whatever is not
// surely written is not copied: its content would legitimately differ between engines.

import { AluOp, CallSrc, Cls, JmpOp, Mode, Size, Src } from "../isa/opcodes.js";
import { insn, type Insn } from "../isa/instruction.js";
import { DUMP_STACK, MEM_REG, type FuzzProgram, type Stmt } from "./ast.js";
import { checkProgram, has, type FlowState } from "./flow.js";

export interface Emitted {
  readonly insns: Insn[];
  /** First slot of each unit: main, then the subprograms that are called, in order. */
  readonly starts: readonly number[];
  /** First slot of main's dump epilogue. */
  readonly dumpAt: number;
}

interface Out {
  readonly insns: Insn[];
  readonly calls: Array<{ at: number; target: number }>;
}

const jump = (long: boolean, rel: number): Insn =>
  long ? insn(Cls.JMP32 | JmpOp.JA, 0, 0, 0, rel) : insn(Cls.JMP | JmpOp.JA, 0, 0, rel);

function emitBlock(out: Out, stmts: readonly Stmt[]): void {
  for (const s of stmts) emitStmt(out, s);
}

function emitStmt(out: Out, s: Stmt): void {
  const code = out.insns;
  switch (s.k) {
    case "op":
      code.push(s.insn);
      return;
    case "lddw": {
      const lo = Number(BigInt.asIntN(32, s.value));
      const hi = Number(BigInt.asIntN(32, s.value >> 32n));
      code.push(insn(Cls.LD | Mode.IMM | Size.DW, s.dst, 0, 0, lo), insn(0, 0, 0, 0, hi));
      return;
    }
    case "if": {
      const branch = code.length;
      code.push(s.cond);
      emitBlock(out, s.otherwise);
      let skip = -1;
      if (s.then.length > 0) {
        skip = code.length;
        code.push(jump(s.long, 0));
      }
      const thenAt = code.length;
      emitBlock(out, s.then);
      const end = code.length;
      code[branch] = { ...s.cond, off: thenAt - branch - 1 };
      if (skip >= 0) code[skip] = jump(s.long, end - skip - 1);
      return;
    }
    case "loop": {
      code.push(insn(Cls.ALU64 | AluOp.MOV | Src.K, s.counter, 0, 0, s.init));
      const head = code.length;
      emitBlock(out, s.body);
      code.push(insn(Cls.ALU64 | AluOp.ADD | Src.K, s.counter, 0, 0, s.step));
      const back = code.length;
      code.push({ ...s.cond, off: head - back - 1 });
      return;
    }
    case "call":
      out.calls.push({ at: code.length, target: s.target });
      code.push(insn(Cls.JMP | JmpOp.CALL, 0, CallSrc.LOCAL, 0, 0));
      return;
  }
}

/** Store what main surely wrote (registers, stack bytes) into the dump area; r1 is the scratch. */
export function dumpEpilogue(p: FuzzProgram, end: FlowState): Insn[] {
  const base = p.memLen + DUMP_STACK;
  const code: Insn[] = [];
  for (let r = 0; r <= 8; r++) {
    if (has(end.init, r)) code.push(insn(Cls.STX | Mode.MEM | Size.DW, MEM_REG, r, base + 8 * r));
  }
  for (let off = -8; off >= -p.frame; off -= 8) {
    const slot = (end.stack >> BigInt(512 + off)) & 0xffn;
    if (slot === 0xffn) {
      code.push(insn(Cls.LDX | Mode.MEM | Size.DW, 1, 10, off), insn(Cls.STX | Mode.MEM | Size.DW, MEM_REG, 1, base + off));
      continue;
    }
    for (let b = 0; b < 8; b++) {
      if ((slot >> BigInt(b)) & 1n) {
        code.push(insn(Cls.LDX | Mode.MEM | Size.B, 1, 10, off + b), insn(Cls.STX | Mode.MEM | Size.B, MEM_REG, 1, base + off + b));
      }
    }
  }
  return code;
}

/** Subprograms that main calls, directly or not (the kernel refuses unreachable code). */
function calledSubs(p: FuzzProgram): Set<number> {
  const called = new Set<number>();
  const visit = (stmts: readonly Stmt[]): void => {
    for (const s of stmts) {
      if (s.k === "call" && !called.has(s.target)) {
        called.add(s.target);
        visit(p.subs[s.target - 1]!.body);
      } else if (s.k === "if") {
        visit(s.then);
        visit(s.otherwise);
      } else if (s.k === "loop") {
        visit(s.body);
      }
    }
  };
  visit(p.main);
  return called;
}

export interface EmitOptions {
  /**
   * Return the 8 bytes at this offset of the region as r0 instead (loaded after the dump, just
   * before main's exit): turns a memory difference into an r0 difference, which is all a
   * conformance `.data` file can check.
   */
  readonly resultFrom?: number;
}

/**
 * The program's slots. Subprograms nobody calls are left out. Throws FlowError if the tree
 * breaks a rule of flow.ts.
 */
export function emit(p: FuzzProgram, options: EmitOptions = {}): Emitted {
  const end = checkProgram(p);
  const out: Out = { insns: [], calls: [] };
  const starts: number[] = [0];
  const startOf = new Map<number, number>();
  out.insns.push(insn(Cls.ALU64 | AluOp.MOV | Src.X, MEM_REG, 1));
  emitBlock(out, p.main);
  const dumpAt = out.insns.length;
  out.insns.push(...dumpEpilogue(p, end));
  if (options.resultFrom !== undefined) out.insns.push(insn(Cls.LDX | Mode.MEM | Size.DW, 0, MEM_REG, options.resultFrom));
  out.insns.push(insn(Cls.JMP | JmpOp.EXIT));
  const called = calledSubs(p);
  p.subs.forEach((sub, k) => {
    if (!called.has(k + 1)) return;
    startOf.set(k + 1, out.insns.length);
    starts.push(out.insns.length);
    emitBlock(out, sub.body);
    out.insns.push(insn(Cls.JMP | JmpOp.EXIT));
  });
  for (const { at, target } of out.calls) out.insns[at] = { ...out.insns[at]!, imm: startOf.get(target)! - at - 1 };
  return { insns: out.insns, starts, dumpAt };
}
