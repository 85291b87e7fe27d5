// Subprograms (bpf-to-bpf functions): instruction 0 starts the main program, and every target
// of a local call (`call` with src = BPF_PSEUDO_CALL, target = pc + 1 + imm) or of a function
// address (`lddw` with src = BPF_PSEUDO_FUNC, a callback such as bpf_loop's, target = pc + 1 +
// imm) starts another one. A subprogram runs up to the next start. This is how the kernel splits
// a program (kernel/bpf/verifier.c: add_subprog_and_kfunc / check_subprogs: both
// bpf_pseudo_call and bpf_pseudo_func name a subprogram), and what the JIT needs to emit one
// wasm function per subprogram.

import type { Insn } from "../isa/instruction.js";
import { Cls, JmpOp, Mode, Pseudo, Size, Src } from "../isa/opcodes.js";
import { describe } from "../isa/table.js";

/** One subprogram: instruction slots [start, end). */
export interface Subprogram {
  readonly start: number;
  readonly end: number;
}

/** The target slot of a local call, or of a function address (lddw func), at slot `i`. */
export const localCallTarget = (insns: readonly Insn[], i: number): number => i + 1 + insns[i]!.imm;

/** The only opcodes a local call or a function address can have (checked before describe(): it runs per instruction). */
const CALL_OPCODE = Cls.JMP | JmpOp.CALL | Src.K;
const LDDW_OPCODE = Cls.LD | Mode.IMM | Size.DW;

/** True if slot `i` is a bpf-to-bpf call. */
export function isLocalCall(ins: Insn): boolean {
  if (ins.opcode !== CALL_OPCODE) return false;
  const def = describe(ins);
  return def?.kind === "call" && def.target === "local";
}

/** True if slot `i` loads a function's address (`lddw rX, func`: a callback). */
export function isFuncAddress(ins: Insn): boolean {
  if (ins.opcode !== LDDW_OPCODE) return false;
  const def = describe(ins);
  return def?.kind === "lddw" && def.pseudo === Pseudo.FUNC;
}

/**
 * Start slots of all subprograms, ascending, always beginning with 0. Targets outside the
 * program are ignored here (validate() reports them), so this never throws.
 */
export function subprogramStarts(insns: readonly Insn[]): number[] {
  const starts = new Set<number>([0]);
  for (let i = 0; i < insns.length; i++) {
    if (!isLocalCall(insns[i]!) && !isFuncAddress(insns[i]!)) continue;
    const target = localCallTarget(insns, i);
    if (target >= 0 && target < insns.length) starts.add(target);
  }
  return [...starts].sort((a, b) => a - b);
}

/** Start slots of the subprograms whose address some `lddw func` takes (callbacks), ascending. */
export function callbackStarts(insns: readonly Insn[]): number[] {
  const starts = new Set<number>();
  for (let i = 0; i < insns.length; i++) {
    if (!isFuncAddress(insns[i]!)) continue;
    const target = localCallTarget(insns, i);
    if (target >= 0 && target < insns.length) starts.add(target);
    i++; // the second slot
  }
  return [...starts].sort((a, b) => a - b);
}

/** All subprograms in slot order; the first is the main program. Empty for an empty program. */
export function subprograms(insns: readonly Insn[]): Subprogram[] {
  if (insns.length === 0) return [];
  const starts = subprogramStarts(insns);
  return starts.map((start, k) => ({ start, end: starts[k + 1] ?? insns.length }));
}

/** Index into `subs` of the subprogram holding slot `i` (subs as returned by subprograms()). */
export function subprogramOf(subs: readonly Subprogram[], i: number): number {
  let lo = 0;
  let hi = subs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (subs[mid]!.start <= i) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
