// The word of a value's `struct bpf_spin_lock` (include/uapi/linux/bpf.h: a __u32), taken and
// released with Atomics on the one memory that every CPU (worker), the maps runtime and user
// space share. 0 is free, as the kernel's queued spinlock (4 bytes, 0 when unlocked); taken, it
// holds 1. Programs take it with bpf_spin_lock (vm/helpers/spin-lock.ts), user space around a
// BPF_F_LOCK lookup or update (vm/maps/map.ts), as the kernel's copy_map_value_locked does.
//
// The holder never waits for anything while it holds the lock (the verifier allows no call
// but the unlock in between), so a spin ends in a few hundred nanoseconds unless the holder's
// thread is descheduled. A word that stays taken for seconds is a lock nobody will release (a
// program that faulted with it held, an unverified program): that is reported, not spun on
// forever.

import { BpfError } from "../errors.js";

/** sizeof(struct bpf_spin_lock). */
export const SPIN_LOCK_SIZE = 4;
/** Spins between two looks at the clock. */
const SPINS_PER_CHECK = 1 << 14;
/** How long a lock may stay taken before the taker gives up with an error. */
const GIVE_UP_MS = 5000;

const views = new WeakMap<ArrayBufferLike, Int32Array>();

/** An Int32Array over the memory's current buffer (a grown memory has a new one). */
export function lockView(memory: WebAssembly.Memory): Int32Array {
  const buffer = memory.buffer;
  let view = views.get(buffer);
  if (!view) {
    view = new Int32Array(buffer);
    views.set(buffer, view);
  }
  return view;
}

/** Take the lock at byte address `addr` (4-byte aligned), spinning while another holder has it. */
export function spinLock(i32: Int32Array, addr: number): void {
  const index = addr >>> 2;
  if (Atomics.compareExchange(i32, index, 0, 1) === 0) return;
  let since = 0;
  for (let spins = 1; ; spins++) {
    // Read before trying again (test-and-test-and-set): a failed exchange writes the line too.
    if (Atomics.load(i32, index) === 0 && Atomics.compareExchange(i32, index, 0, 1) === 0) return;
    if (spins % SPINS_PER_CHECK !== 0) continue;
    const now = Date.now();
    if (since === 0) since = now;
    else if (now - since > GIVE_UP_MS) {
      throw new BpfError(`bpf_spin_lock: the lock at 0x${addr.toString(16)} stayed taken for over ${GIVE_UP_MS / 1000} s (its holder faulted or never unlocks)`, { addr });
    }
  }
}

/** Release the lock at `addr`. */
export function spinUnlock(i32: Int32Array, addr: number): void {
  Atomics.store(i32, addr >>> 2, 0);
}
