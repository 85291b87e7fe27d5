// LRU eviction for LRU_HASH / LRU_PERCPU_HASH. The kernel's bpf_lru_list is itself approximate
// (active/inactive lists, a reference bit set by lookups, per-CPU local free lists); here it is
// a CLOCK (second chance) over the preallocated elements, the textbook approximation of LRU:
// lookups from programs set the element's reference bit (htab_lru_map_lookup_elem; user-space
// lookups do not, as in the kernel's *_sys_only path), and when no element is free the clock
// hand sweeps the pool, clearing reference bits, and evicts the first element found
// unreferenced. An element referenced since the hand last passed it therefore survives one
// more sweep; the oldest unreferenced element in hand order goes first. Eviction happens only
// when the map is full (the kernel may also evict earlier, from per-CPU free-list shortages).

import { E_FLINK, E_HASH, E_STATE, ELEM_LINKED, ELEM_REF, H_COUNT, H_HAND } from "../abi";
import { freePop, freePush } from "./freelist";
import { elems, elemSize, nElems } from "./header";
import { bucketAt, bucketIndex, lockAt, unlinkLocked } from "./htab";
import { spinLock, spinUnlock } from "./sync";

/** Mark `e` recently used (bpf_lru_node_set_ref: write only when not already set). */
@inline export function lruTouch(e: usize): void {
  const st = atomic.load<u32>(e, E_STATE);
  if (!(st & ELEM_REF)) atomic.or<u32>(e + E_STATE, ELEM_REF);
}

export function lruRelease(m: usize, e: usize): void {
  freePush(m, e, E_FLINK);
}

/** Sweep the clock hand: unlink and return an unreferenced element, or 0. */
function evict(m: usize): usize {
  const n = nElems(m);
  const base = elems(m);
  const size = elemSize(m);
  // Two full turns: the first may only clear reference bits.
  const turns = (<u64>n << 1) + 1;
  for (let i: u64 = 0; i < turns; i++) {
    const index = atomic.add<u32>(m + H_HAND, 1) % n;
    const e = base + <usize>index * size;
    const st = atomic.load<u32>(e, E_STATE);
    if (!(st & ELEM_LINKED)) continue;
    if (st & ELEM_REF) {
      atomic.and<u32>(e + E_STATE, ~ELEM_REF);
      continue;
    }
    // Take the victim's bucket lock and unlink it only if it is still in that chain: it may
    // have been deleted and reused since we read its state.
    const bucket = bucketIndex(m, load<u32>(e, E_HASH));
    const lock = lockAt(m, bucket);
    spinLock(lock);
    let got = false;
    if (atomic.load<u32>(e, E_STATE) == ELEM_LINKED && unlinkLocked(bucketAt(m, bucket), e)) {
      atomic.store<u32>(e + E_STATE, 0);
      atomic.sub<u32>(m + H_COUNT, 1);
      got = true;
    }
    spinUnlock(lock);
    if (got) return e;
  }
  return 0;
}

/** A free element, evicting one when the map is full; 0 when none could be had (-ENOMEM). */
export function lruAlloc(m: usize): usize {
  for (let attempt = 0; attempt < 4; attempt++) {
    let e = freePop(m, E_FLINK);
    if (e) return e;
    e = evict(m);
    if (e) return e;
  }
  return 0;
}
