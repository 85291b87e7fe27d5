// Tail calls in the interpreter: the shared lookup (vm/helpers/tailcall.ts) decides whether a
// `call 12` jumps and to which program id; this prepares that program once (same helpers, maps
// and budget as the caller) and hands it to the dispatch loop, which swaps it in.

import type { Program } from "../engine.js";
import type { TailCalls } from "../helpers/tailcall.js";
import type { Prepared, RunState, TailCallTargets } from "./state.js";

export class InterpreterTailCalls implements TailCallTargets {
  private readonly prepared = new Map<number, Prepared>();

  constructor(
    private readonly calls: TailCalls,
    private readonly prepare: (program: Program) => Prepared,
  ) {}

  next(st: RunState): Prepared | undefined {
    const { lo, hi } = st;
    const r2 = hi[2] === 0 ? BigInt(lo[2]! >>> 0) : (BigInt(hi[2]! >>> 0) << 32n) | BigInt(lo[2]! >>> 0);
    const id = this.calls.target(r2, BigInt(lo[3]! >>> 0), st.tailCalls);
    if (id === 0) return undefined;
    let target = this.prepared.get(id);
    if (!target) {
      const program = this.calls.program(id);
      try {
        target = this.prepare(program);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(`bpf_tail_call: target program ${program.name ? `'${program.name}' ` : ""}(id ${id}) cannot run: ${why}`);
      }
      this.prepared.set(id, target);
    }
    st.tailCalls++;
    return target;
  }
}
