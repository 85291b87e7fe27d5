// User-space lookups and a value's struct bpf_spin_lock (kernel/bpf/syscall.c map_lookup_elem
// with BPF_F_LOCK, bpf_map_copy_value, copy_map_value_locked, check_and_init_map_value):
//
//   - BPF_F_LOCK is for maps whose value has a lock (-EINVAL otherwise); a lookup takes no other
//     flag (-EINVAL);
//   - the lock word is never copied out: a lookup reads it as 0;
//   - with BPF_F_LOCK the copy is made holding the lock (vm/maps/spin-lock.ts), so a program
//     updating the value under the lock is never seen half done.
//
// Updates (BPF_F_LOCK in place, the lock word never overwritten) are the maps runtime's, for
// user space and programs alike: vm/maps/as/value.ts.

import * as abi from "./abi.js";
import type { MemoryView } from "./codec.js";
import { lockView, spinLock, spinUnlock, SPIN_LOCK_SIZE } from "./spin-lock.js";

/** map_lookup_elem's flag checks: 0 or -EINVAL. */
export function lookupFlagsError(map: { readonly spinLock: number | undefined }, flags: number): number {
  if (typeof flags !== "number" || !Number.isSafeInteger(flags) || flags < 0) return -abi.EINVAL;
  if (flags & ~abi.BPF_F_LOCK) return -abi.EINVAL;
  if (flags & abi.BPF_F_LOCK && map.spinLock === undefined) return -abi.EINVAL;
  return 0;
}

/** A copy of the value at `addr` (read()), under its lock when `locked`, the lock word zeroed. */
export function readLocked(view: MemoryView, addr: number, lockOff: number, locked: boolean, read: () => Uint8Array): Uint8Array {
  let copy: Uint8Array;
  if (locked) {
    const i32 = lockView(view.memory);
    spinLock(i32, addr + lockOff);
    try {
      copy = read();
    } finally {
      spinUnlock(i32, addr + lockOff);
    }
  } else {
    copy = read();
  }
  copy.fill(0, lockOff, lockOff + SPIN_LOCK_SIZE);
  return copy;
}
