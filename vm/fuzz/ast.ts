// The fuzzer's programs are trees, not flat bytecode: straight-line instructions, if/else blocks,
// counted loops and calls. Generating trees makes "every path reaches exit" and "every loop is
// bounded" true by construction, and lets the minimiser delete whole statements or flatten a
// block without breaking a jump offset. emit.ts lowers a tree to instruction slots.
//
// Register conventions (fuzz programs are conformance programs: r1 = memory, r2 = length):
// - main starts with `r9 = r1` (emitted, not a statement): r9 is the memory pointer for the
//   whole of main and is only ever a load/store base. Pointers never meet arithmetic, comparisons
//   or stores, because their values differ between engines (and the kernel verifier objects).
// - subprograms do not touch the input memory; they take scalar arguments r1..r(arity), have
//   their own frame, and return r0.
// - loop counters live in r6..r8 (callee-saved, so a call in the body cannot clobber them) and
//   are not written by the body.

import type { Insn } from "../isa/instruction.js";

/** The memory pointer register in main. */
export const MEM_REG = 9;
/** Registers that may hold a loop counter. */
export const COUNTER_REGS: readonly number[] = [6, 7, 8];

export type Stmt =
  /** One single-slot instruction: ALU, neg, movsx, byte swap, load, store, atomic. */
  | { readonly k: "op"; readonly insn: Insn }
  /** lddw dst, value (a plain 64-bit constant: pseudo source 0). */
  | { readonly k: "lddw"; readonly dst: number; readonly value: bigint }
  /**
   * if (cond) { then } else { otherwise }. `cond` is the conditional jump with its offset left
   * 0; `long` makes the jump over the then-block a `gotol` (JMP32|JA) instead of `ja`.
   */
  | { readonly k: "if"; readonly cond: Insn; readonly then: readonly Stmt[]; readonly otherwise: readonly Stmt[]; readonly long: boolean }
  /** counter = init; do { body; counter += step } while (cond(counter)): at most `trips` rounds. */
  | { readonly k: "loop"; readonly counter: number; readonly init: number; readonly step: number; readonly cond: Insn; readonly trips: number; readonly body: readonly Stmt[] }
  /** A bpf-to-bpf call of subprogram `target` (1-based index into FuzzProgram.subs). */
  | { readonly k: "call"; readonly target: number };

export interface Subprogram {
  /** Arguments it reads: r1..r(arity). */
  readonly arity: number;
  /** Stack bytes it may use below its r10. */
  readonly frame: number;
  readonly body: readonly Stmt[];
}

export interface FuzzProgram {
  /** Bytes of input memory the program reads and writes (r9 + 0 .. r9 + memLen). */
  readonly memLen: number;
  /** Stack bytes main may use below r10. */
  readonly frame: number;
  readonly main: readonly Stmt[];
  readonly subs: readonly Subprogram[];
  /**
   * Atomics may also target the input memory (aligned). The kernel refuses BPF_ATOMIC on packet
   * memory, so only runs without the kernel engine generate these.
   */
  readonly memoryAtomics?: boolean;
}

/** The observable-state area after the program's memory (see emit.ts, `dumpEpilogue`). */
export const DUMP_STACK = 512;
export const DUMP_REGS = 9 * 8; // r0..r8
export const DUMP_SIZE = DUMP_STACK + DUMP_REGS;

/** Total bytes of the region a fuzz program gets: its memory, then the dump area. */
export const regionSize = (p: FuzzProgram): number => p.memLen + DUMP_SIZE;

/** Number of statements in a tree (each block statement counts itself plus its contents). */
export function countStmts(stmts: readonly Stmt[]): number {
  let n = 0;
  for (const s of stmts) {
    n++;
    if (s.k === "if") n += countStmts(s.then) + countStmts(s.otherwise);
    else if (s.k === "loop") n += countStmts(s.body);
  }
  return n;
}
