// Copying a value into a map element when the value may hold a struct bpf_spin_lock (a HASH or
// ARRAY value, MapSpec.spinLock): the kernel's copy_map_value skips the lock word, so an update
// never takes or drops a lock a program holds, and copy_map_value_locked (BPF_F_LOCK) makes the
// copy holding that lock, so a program updating the value under it never sees half of it.
// The lock word is the same 0-free / 1-held word bpf_spin_lock takes (vm/maps/spin-lock.ts).

import { copyBytes } from "./bytes";
import { spinLockAt, valueSize } from "./header";
import { spinLock, spinUnlock } from "./sync";

/** sizeof(struct bpf_spin_lock) */
const LOCK_SIZE: u32 = 4;

/** Does this map's value hold a bpf_spin_lock (BPF_F_LOCK is allowed)? */
@inline export function hasSpinLock(m: usize): bool {
  return spinLockAt(m) != 0;
}

/**
 * Copy `src` into the value at `dst`: all of it, or all but the lock word when there is one
 * (under that lock when `locked`). `fresh`: a new element, whose lock starts free.
 */
@inline export function copyValue(m: usize, dst: usize, src: usize, locked: bool, fresh: bool): void {
  const at = spinLockAt(m);
  const n = valueSize(m);
  if (!at) {
    copyBytes(dst, src, n);
    return;
  }
  const lock = dst + at - 1;
  if (locked) spinLock(lock);
  memory.copy(dst, src, at - 1);
  memory.copy(lock + LOCK_SIZE, src + at - 1 + LOCK_SIZE, n - (at - 1) - LOCK_SIZE);
  if (locked || fresh) spinUnlock(lock);
}
