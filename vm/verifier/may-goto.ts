// may_goto (BPF_JMP | BPF_JCOND, kernel 6.9+): a loop bounded by the runtime's per-frame budget
// instead of by its own condition (check_cond_jmp_op's BPF_JCOND case).
//
// Both ways are explored. The jump — the budget spent — is followed at once; the fall-through is
// queued one may_goto deeper, with scalars the previous iteration did not rely on widened
// (widen_imprecise_scalars), so that a loop counter does not keep every iteration distinct.
// At the may_goto itself (always a checkpoint: mark_force_checkpoint) a state within, range for
// range, an earlier iteration's still being explored at another depth has converged
// (is_state_visited; verifier.ts mayGotoConverged): the loop body was proven safe for it.

import { previousEntry } from "./iter.js";
import { widenImprecise } from "./prune.js";
import type { VState } from "./state.js";

/** The fall-through path of a may_goto at st.pc (the loop going on), to be explored later. */
export function mayGotoFallthrough(st: VState): VState {
  const queued = st.clone();
  queued.mayGotoDepth++;
  const prev = previousEntry(st);
  if (prev) widenImprecise(prev.state, queued);
  queued.pc++;
  return queued;
}
