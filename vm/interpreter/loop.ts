// bpf_loop in the interpreter (vm/helpers/loop.ts has the helper's contract). The dispatch loop
// runs it without recursion: at the `call 181` slot (Op.LOOP) the loop's state is saved for the
// calling frame and the callback is entered like a bpf-to-bpf call, except that it returns to
// the program's LOOP_NEXT slot, which either enters the callback again with the next index or
// ends the loop with r0 = the iterations done. A callback may run bpf_loop itself: each frame
// depth keeps its own loop state.

import { toU64 } from "./arith64.js";
import { runtimeFault } from "./faults.js";
import { funcAddressSlot } from "../program/callbacks.js";
import { loopEarlyResult, loopNext } from "../helpers/loop.js";
import { nextForEach } from "./for-each.js";
import { CallbackKind, type Prepared, type RunState } from "./state.js";

/**
 * bpf_loop(r1, r2, r3, r4) at slot `pc`, called from frame `depth`: the slot of the callback to
 * enter for index 0 (its arguments set), or -1 when the loop ends at once (r0 set).
 */
export function startLoop(p: Prepared, st: RunState, pc: number, depth: number): number {
  const { lo, hi } = st;
  const nrLoops = lo[1]! >>> 0; // u32 nr_loops: the high word is not looked at
  const early = loopEarlyResult(nrLoops, lo[4]!, hi[4]!);
  if (early !== undefined) {
    lo[0] = Number(BigInt.asIntN(32, early));
    hi[0] = early < 0n ? -1 : 0;
    return -1;
  }
  const slot = funcAddressSlot(lo[2]!, hi[2]!);
  if (slot < 0 || slot >= p.callbacks.length || p.callbacks[slot] !== 1) {
    throw runtimeFault(p, pc, `bpf_loop: R2 (0x${toU64(lo[2]!, hi[2]!).toString(16)}) is not the address of a callback of this program`);
  }
  st.loopKind[depth] = CallbackKind.LOOP;
  st.loopIndex[depth] = 0;
  st.loopCount[depth] = nrLoops;
  st.loopTarget[depth] = slot;
  st.loopCtxLo[depth] = lo[3]!;
  st.loopCtxHi[depth] = hi[3]!;
  st.loopRet[depth] = pc + 1;
  callbackArgs(st, 0, depth);
  return slot;
}

/**
 * The callback of frame `depth`'s loop returned (r0 is its result): the slot to enter it again
 * at (the next index's arguments set), or -1 when the loop is over (r0 = iterations done; the
 * caller goes on at st.loopRet[depth]).
 */
export function nextLoop(st: RunState, depth: number): number {
  const { lo, hi } = st;
  const index = st.loopIndex[depth]!;
  const done = loopNext(index, st.loopCount[depth]! >>> 0, lo[0]!, hi[0]!);
  if (done >= 0) {
    lo[0] = done;
    hi[0] = 0;
    return -1;
  }
  st.loopIndex[depth] = index + 1;
  callbackArgs(st, index + 1, depth);
  return st.loopTarget[depth]!;
}

/**
 * A callback returned to LOOP_NEXT in frame `depth`: go on with the helper that frame runs
 * (bpf_loop here, bpf_for_each_map_elem in for-each.ts).
 */
export function nextCallback(st: RunState, depth: number): number {
  return st.loopKind[depth] === CallbackKind.FOR_EACH ? nextForEach(st, depth) : nextLoop(st, depth);
}

/** callback(index, callback_ctx, 0, 0, 0): the kernel's call in BPF_CALL_4(bpf_loop). */
function callbackArgs(st: RunState, index: number, depth: number): void {
  const { lo, hi } = st;
  lo[1] = index;
  hi[1] = 0;
  lo[2] = st.loopCtxLo[depth]!;
  hi[2] = st.loopCtxHi[depth]!;
  for (let r = 3; r <= 5; r++) {
    lo[r] = 0;
    hi[r] = 0;
  }
}
