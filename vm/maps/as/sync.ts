// Locks for the maps, shared by every CPU (worker) through the one shared memory. Wasm atomics
// are sequentially consistent, so taking a lock orders everything the critical section does.
// As in the kernel, map locks are spin locks (htab buckets: raw_spinlock_t; queue/stack,
// ring buffer, LPM trie: one raw_spinlock_t each). A holder never blocks inside, and sections
// are short, so spinning is cheaper than atomic.wait (which the browser main thread cannot use).

/** Take the spin lock word at `addr` (0 = free, 1 = held). */
@inline export function spinLock(addr: usize): void {
  while (atomic.cmpxchg<u32>(addr, 0, 1) != 0) {
    // Spin on a plain read until it looks free, so waiters do not hammer the line with writes.
    while (atomic.load<u32>(addr) != 0) {}
  }
}

@inline export function spinUnlock(addr: usize): void {
  atomic.store<u32>(addr, 0);
}

/**
 * Sequence counter for lockless readers (LPM trie lookups): writers, holding the lock, make it
 * odd before changing the structure and even after; a reader retries when it saw an odd value
 * or the value changed under it.
 */
@inline export function seqBegin(addr: usize): u32 {
  let s = atomic.load<u32>(addr);
  while (s & 1) s = atomic.load<u32>(addr);
  return s;
}

@inline export function seqRetry(addr: usize, start: u32): bool {
  return atomic.load<u32>(addr) != start;
}

@inline export function seqWriteBegin(addr: usize): void {
  atomic.add<u32>(addr, 1);
}

@inline export function seqWriteEnd(addr: usize): void {
  atomic.add<u32>(addr, 1);
}
