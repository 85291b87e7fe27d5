// bpf_for_each_map_elem in the interpreter (vm/helpers/for-each.ts has the helper's contract and
// the walk). It runs as bpf_loop does (loop.ts): at the `call 164` slot (Op.FOR_EACH) the walk's
// state is saved for the calling frame and the callback is entered like a bpf-to-bpf call that
// returns to the program's LOOP_NEXT slot; there nextCallback() sees a walk in this frame and
// either enters the callback again with the next element or ends the walk with r0 = the callback
// calls made.

import { toU64 } from "./arith64.js";
import { runtimeFault } from "./faults.js";
import { funcAddressSlot } from "../program/callbacks.js";
import {
  arrayValue, elemKey, elemValue, FOR_EACH_BAD_FLAGS, isArrayMap, isNulls, keySlotOffset, nextLink, seekBucket,
  type ForEachHelperDef,
} from "../helpers/for-each.js";
import { CallbackKind, type Prepared, type RunState } from "./state.js";

/**
 * bpf_for_each_map_elem(r1, r2, r3, r4) at slot `pc`, called from frame `depth`: the slot of the
 * callback to enter for the first element (its arguments set), or -1 when the helper returns at
 * once (r0 set: -EINVAL for flags, 0 for an empty map).
 */
export function startForEach(p: Prepared, st: RunState, pc: number, depth: number): number {
  const { lo, hi } = st;
  const def = p.helperAt[pc] as ForEachHelperDef;
  let map;
  try {
    map = def.mapAt(toU64(lo[1]!, hi[1]!));
  } catch (err) {
    throw runtimeFault(p, pc, `helper ${def.name} (#${def.id}) failed: ${(err as Error).message}`);
  }
  if ((lo[4]! | hi[4]!) !== 0) return end(st, FOR_EACH_BAD_FLAGS);
  const slot = funcAddressSlot(lo[2]!, hi[2]!);
  if (slot < 0 || slot >= p.callbacks.length || p.callbacks[slot] !== 1) {
    throw runtimeFault(p, pc, `bpf_for_each_map_elem: R2 (0x${toU64(lo[2]!, hi[2]!).toString(16)}) is not the address of a callback of this program`);
  }
  st.loopKind[depth] = CallbackKind.FOR_EACH;
  st.walkMap[depth] = map;
  st.loopIndex[depth] = 0;
  st.loopTarget[depth] = slot;
  st.loopCtxLo[depth] = lo[3]!;
  st.loopCtxHi[depth] = hi[3]!;
  st.loopRet[depth] = pc + 1;
  if (isArrayMap(map.type)) {
    // max_entries is at least 1 for an array: element 0 exists.
    st.walkPos[depth] = 0;
    return enter(st, depth);
  }
  const first = seekBucket(st.view, map, 0);
  if (!first) return end(st, 0);
  st.walkPos[depth] = first[0];
  st.walkElem[depth] = first[1];
  return enter(st, depth);
}

/**
 * The callback of frame `depth`'s walk returned (r0 is its result): the slot to enter it again
 * at (the next element's arguments set), or -1 when the walk is over (r0 = callback calls made).
 */
export function nextForEach(st: RunState, depth: number): number {
  const count = st.loopIndex[depth]! + 1;
  st.loopIndex[depth] = count;
  if ((st.lo[0]! | st.hi[0]!) !== 0) return end(st, count);
  const map = st.walkMap[depth]!;
  if (isArrayMap(map.type)) {
    const index = st.walkPos[depth]! + 1;
    if (index >= map.maxEntries) return end(st, count);
    st.walkPos[depth] = index;
    return enter(st, depth);
  }
  // The next link is read now, after the callback: it may have deleted its element (hashtab.c
  // reads hlist_nulls_next_rcu after the call too).
  const link = nextLink(st.view, st.walkElem[depth]!);
  if (!isNulls(link)) {
    st.walkElem[depth] = link;
    return enter(st, depth);
  }
  const next = seekBucket(st.view, map, st.walkPos[depth]! + 1);
  if (!next) return end(st, count);
  st.walkPos[depth] = next[0];
  st.walkElem[depth] = next[1];
  return enter(st, depth);
}

/** r0 = `value` (a signed 64-bit result): the walk is over. */
function end(st: RunState, value: number): number {
  st.lo[0] = value;
  st.hi[0] = value < 0 ? -1 : 0;
  return -1;
}

/** callback(map, key, value, callback_ctx, 0) for the element frame `depth`'s walk stands on. */
function enter(st: RunState, depth: number): number {
  const { lo, hi, view } = st;
  const map = st.walkMap[depth]!;
  const cpu = st.helperCtx.cpu;
  let key: number;
  let value: number;
  if (isArrayMap(map.type)) {
    const index = st.walkPos[depth]!;
    key = st.stackTop + keySlotOffset(depth);
    view.setUint32(key, index, true);
    value = arrayValue(map, index, cpu);
  } else {
    const elem = st.walkElem[depth]!;
    key = elemKey(elem);
    value = elemValue(view, map, elem, cpu);
  }
  lo[1] = map.address;
  lo[2] = key;
  lo[3] = value;
  lo[4] = st.loopCtxLo[depth]!;
  hi[4] = st.loopCtxHi[depth]!;
  lo[5] = 0;
  hi[1] = hi[2] = hi[3] = hi[5] = 0;
  return st.loopTarget[depth]!;
}
