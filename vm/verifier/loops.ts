// Callback loops and their back edges (the kernel's SCC visits: maybe_enter_scc,
// add_scc_backedge, maybe_exit_scc, propagate_backedges, incomplete_read_marks).
//
// Iterations of a callback (callbacks.ts) stop when a state coming back to the helper call is
// within an earlier iteration's state still being explored: a back edge. Pruning normally
// relies on a finished checkpoint's precision marks, which say what its safety depended on;
// a state stopped at a back edge relies on a checkpoint whose marks are not final yet, so the
// checkpoints above the stopped state may lack marks that its continuation needs.
//
// So, as in the kernel (its strongly connected components: a call of a callback is a loop on
// itself), a callback loop is visited as a whole: the first checkpoint at a call of a callback
// opens a visit, and the checkpoints made inside the loop while it is open — at the call, or in
// the callback (any frame of the state is a callback's), nested loops included — belong to it.
// While the visit is open its checkpoints prune only states that are within them value for
// value (Compare.RANGE: precision does not matter then), and each such pruning is a back edge
// too. When the entry's exploration is finished, each back edge has its pruning state's
// precision propagated along its path again, until nothing changes; from then on the marks are
// final and the checkpoints prune as any other. What runs after the loop is not part of it: no
// back edge passes there.

import type { Cfg } from "./cfg.js";
import type { Env } from "./env.js";
import { markAll, propagatePrecision } from "./precision.js";
import type { Checkpoint, VState } from "./state.js";
import { holdsActiveIter } from "./iter-slot.js";
import { sameCallsites } from "./callbacks.js";

/** The kernel's MAX_BACKEDGE_ITERS: past it every back edge's path is marked precise. */
const MAX_BACKEDGE_ITERS = 64;

interface Backedge {
  /** The state that was stopped (its path and checkpoints above it). */
  readonly st: VState;
  /** The state it was found within. */
  readonly equal: VState;
}

export class LoopVisit {
  open = true;
  private backedges: Backedge[] = [];

  /** `scc`: the iterator or may_goto loop visited (cfg.ts scc), -1 for a callback loop. */
  constructor(readonly entry: Checkpoint, readonly scc = -1) {}

  addBackedge(st: VState, equal: VState): void {
    this.backedges.push({ st, equal });
  }

  /** The entry's exploration is finished: precision along the back edges to a fixpoint. */
  close(env: Env, cfg: Cfg): void {
    for (let iter = 0; this.backedges.length > 0; iter++) {
      if (iter >= MAX_BACKEDGE_ITERS) {
        for (const b of this.backedges) markAll(b.st);
        break;
      }
      const before = env.precisionMarks;
      for (const b of this.backedges) propagatePrecision(env, cfg, b.equal, b.st);
      if (env.precisionMarks === before) break;
    }
    this.backedges = [];
    this.open = false;
  }
}

/**
 * The loop `st` is in, for an iterator or may_goto loop: the component (cfg.ts scc) of its slot,
 * else of the innermost call on a cycle (the kernel's SCC callchain); -1 for none. A path is in
 * an iterator loop when it is at next() or holds an ACTIVE iterator (iter.ts), in a may_goto
 * loop at a may_goto or past a fall-through (may-goto.ts).
 */
function loopOf(cfg: Cfg, st: VState, iterNext: boolean): number {
  const iter = iterNext || holdsActiveIter(st);
  if (!iter && st.mayGotoDepth === 0 && cfg.defs[st.pc]?.kind !== "maygoto") return -1;
  if (cfg.scc[st.pc]! >= 0) return cfg.scc[st.pc]!;
  for (let k = st.frames.length - 1; k >= 1; k--) {
    const scc = cfg.scc[st.frames[k]!.callsite]!;
    if (scc >= 0) return scc;
  }
  return -1;
}

/**
 * The visit a new checkpoint `cp` (of `st`) belongs to: none outside loops, else the open one of
 * the checkpoint above when it visits the same loop, or a new one it opens. A callback loop is
 * one visit from the helper call on (a callback's body is no cycle of the flow graph). Iterator
 * and may_goto loops are keyed by loop and call chain, as the kernel keys its visits
 * (compute_scc_callchain): a loop after another, or in another call of a subprogram, is visited
 * on its own, so its checkpoints are not held to exact ranges until the earlier loop is done.
 */
export function visitOf(cfg: Cfg, st: VState, loopPoint: { callsCallback: boolean; iterNext: boolean }, cp: Checkpoint): LoopVisit | undefined {
  const above = st.parent?.visit;
  if (loopPoint.callsCallback || st.frames.some((f) => f.callback)) return above?.open ? above : new LoopVisit(cp);
  const scc = loopOf(cfg, st, loopPoint.iterNext);
  if (scc < 0) return undefined;
  return above?.open && above.scc === scc && sameCallsites(above.entry.state, st) ? above : new LoopVisit(cp, scc);
}
