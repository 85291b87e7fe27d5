// Copying a value into a map element when the value may hold a struct bpf_spin_lock or a
// struct bpf_timer (HASH, LRU_HASH or ARRAY values: MapSpec.spinLock, MapSpec.timer). The
// kernel's copy_map_value skips both, so an update never takes or drops a lock a program holds,
// and copy_map_value_locked (BPF_F_LOCK) makes the copy holding that lock, so a program updating
// the value under it never sees half of it. The lock word is the same 0-free / 1-held word
// bpf_spin_lock takes (vm/maps/spin-lock.ts).
//
// The timer's 16 bytes are its state (vm/runtime/timers.ts), all 0 when it is not initialised.
// An update in place with BPF_F_LOCK keeps it; any other update cancels and frees the timer of
// the element it writes (array_map_update_elem's bpf_obj_free_fields after the copy; a hash
// update's new element starts with none, and the one it replaces is freed), as does a delete
// (releaseElem in htab.ts): here that is writing the 16 bytes to 0, which a pending timer finds
// when it comes due, and then does nothing.

import { copyBytes } from "./bytes";
import { spinLockAt, timerAt, valueSize } from "./header";
import { spinLock, spinUnlock } from "./sync";

/** sizeof(struct bpf_spin_lock) */
const LOCK_SIZE: u32 = 4;
/** sizeof(struct bpf_timer) */
const TIMER_SIZE: u32 = 16;

/** Does this map's value hold a bpf_spin_lock (BPF_F_LOCK is allowed)? */
@inline export function hasSpinLock(m: usize): bool {
  return spinLockAt(m) != 0;
}

/**
 * Copy `src` into the value at `dst`: all of it, or all but the lock word when there is one
 * (under that lock when `locked`). `fresh`: a new element, whose lock starts free. A timer is
 * kept when `locked`, else reset (cancelled).
 */
@inline export function copyValue(m: usize, dst: usize, src: usize, locked: bool, fresh: bool): void {
  const at = spinLockAt(m);
  const n = valueSize(m);
  const t = timerAt(m);
  if (!at && !t) {
    copyBytes(dst, src, n);
    return;
  }
  // Offsets + 1 of the fields the copy skips, 0 for none; they never overlap (spec.ts).
  const lock = dst + at - 1;
  if (at && locked) spinLock(lock);
  if (!at) copySkipping(dst, src, n, t - 1, TIMER_SIZE, n, 0);
  else if (!t) copySkipping(dst, src, n, at - 1, LOCK_SIZE, n, 0);
  else if (at < t) copySkipping(dst, src, n, at - 1, LOCK_SIZE, t - 1, TIMER_SIZE);
  else copySkipping(dst, src, n, t - 1, TIMER_SIZE, at - 1, LOCK_SIZE);
  if (t && !locked) memory.fill(dst + t - 1, 0, TIMER_SIZE);
  if (at && (locked || fresh)) spinUnlock(lock);
}

/** Copy the `n` bytes of src to dst but [a, a + la) and [b, b + lb) (a + la <= b). */
@inline function copySkipping(dst: usize, src: usize, n: u32, a: u32, la: u32, b: u32, lb: u32): void {
  memory.copy(dst, src, a);
  memory.copy(dst + a + la, src + a + la, b - a - la);
  if (b < n) memory.copy(dst + b + lb, src + b + lb, n - b - lb);
}

/** Reset the timer of the value at `v` (an element being freed): 0 is "not initialised". */
@inline export function freeTimer(m: usize, v: usize): void {
  const t = timerAt(m);
  if (t) memory.fill(v + t - 1, 0, TIMER_SIZE);
}
