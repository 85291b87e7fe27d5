// An open-coded iterator's state in a stack slot (the kernel's STACK_ITER slots, whose
// spilled_ptr carries iter.{btf_id, state, depth} and the reference): the slot's bytes are
// Slot.ITER and its `spills` entry is a Reg of type "iter" with
//   ref    the reference acquired by bpf_iter_<type>_new (released by _destroy; a path ending
//          with it held is refused: "Unreleased reference")
//   range  the state: ACTIVE (next() may still give an element) or DRAINED (next() gave NULL)
//   off    the depth: how many next() calls returned an element on this path. Pruning ignores
//          it (stacksafe); the infinite-loop check compares it (iter_active_depths_differ)
//   map    the iterator type, an index into ITER_TYPES
// Only this module and iter.ts build or read these fields.

import type { Reg } from "./regs.js";
import type { VState } from "./state.js";

export const IterState = { ACTIVE: 1, DRAINED: 2 } as const;

/** Iterator types by index (Reg.map of an "iter" slot): the `num` of struct bpf_iter_num. */
export const ITER_TYPES: readonly string[] = ["num"];

/** As the kernel's log prints a slot: `iter_num(ref_id=1,state=active,depth=0)`. */
export function iterString(r: Reg): string {
  const state = r.range === IterState.ACTIVE ? "active" : r.range === IterState.DRAINED ? "drained" : "invalid";
  return `iter_${ITER_TYPES[r.map] ?? "?"}(ref_id=${r.ref},state=${state},depth=${r.off})`;
}

/** Some frame of `st` holds an iterator still ACTIVE: the path is inside its loop (loops.ts). */
export function holdsActiveIter(st: VState): boolean {
  for (const f of st.frames) {
    for (let k = 0; k < f.slotsUsed; k++) {
      const r = f.spills[k];
      if (r !== undefined && r.type === "iter" && r.range === IterState.ACTIVE) return true;
    }
  }
  return false;
}
