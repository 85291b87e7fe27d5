// Lock-free free list of preallocated elements (the kernel's pcpu_freelist for preallocated
// hash maps; one global list here). The head is a u64: element address in the low word, an
// ABA tag in the high word bumped on every change, so a pop that read a stale `next` fails its
// compare-and-swap instead of corrupting the list. `link` is the offset of the list link in an
// element: hash elements have a link of their own, so a lockless reader that is still walking a
// just-freed element follows its old chain pointer (hlist_nulls semantics).

import { H_FREE } from "../abi";

export function freePush(m: usize, e: usize, link: usize): void {
  while (true) {
    const old = atomic.load<u64>(m, H_FREE);
    // A plain store: the compare-and-swap below publishes it to whoever pops `e`.
    store<u32>(e + link, <u32>old);
    const next = (((old >>> 32) + 1) << 32) | <u64>e;
    if (atomic.cmpxchg<u64>(m + H_FREE, old, next) == old) return;
  }
}

/** Take an element, or 0 when the list is empty. */
export function freePop(m: usize, link: usize): usize {
  while (true) {
    const old = atomic.load<u64>(m, H_FREE);
    const e = <usize>(<u32>old);
    if (e == 0) return 0;
    const after = atomic.load<u32>(e + link);
    const next = (((old >>> 32) + 1) << 32) | <u64>after;
    if (atomic.cmpxchg<u64>(m + H_FREE, old, next) == old) return e;
  }
}
