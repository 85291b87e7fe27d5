// BPF_FUNC_spin_lock (93) and BPF_FUNC_spin_unlock (94) (kernel/bpf/helpers.c): take and release
// the `struct bpf_spin_lock` of a map value, a real lock on the memory every CPU shares
// (vm/maps/spin-lock.ts). Both return nothing (RET_VOID). The verifier (vm/verifier/spin-lock.ts)
// proves that r1 is the lock of a map value, that a path holds one lock at a time, calls nothing
// while holding it and releases it before exit. The interpreter also runs programs the verifier
// has not seen, so the address is checked here (inside the memory, past the null guard,
// 4-byte aligned: Atomics need it) rather than trusted. The JIT calls these through its generic
// helper import.

import { NULL_GUARD } from "../memory/layout.js";
import { lockView, spinLock, spinUnlock, SPIN_LOCK_SIZE } from "../maps/spin-lock.js";
import type { HelperContext, HelperDef } from "./registry.js";

export const SPIN_LOCK_ID = 93;
export const SPIN_UNLOCK_ID = 94;

/** The lock's address, or a thrown error naming what is wrong with r1. */
function lockAddress(ctx: HelperContext, r1: bigint, name: string): number {
  const addr = r1 <= 0xffffffffn && r1 >= 0n ? Number(r1) : -1;
  if (addr < NULL_GUARD || addr + SPIN_LOCK_SIZE > ctx.memory.buffer.byteLength || addr % SPIN_LOCK_SIZE !== 0) {
    throw new Error(`bpf_${name}: R1 (0x${r1.toString(16)}) is not a 4-byte aligned struct bpf_spin_lock in the memory`);
  }
  return addr;
}

export const spinLockHelper: HelperDef = {
  id: SPIN_LOCK_ID,
  name: "spin_lock",
  args: ["ptr_to_spin_lock"],
  ret: "void",
  impl: (ctx, r1) => {
    spinLock(lockView(ctx.memory), lockAddress(ctx, r1, "spin_lock"));
    return 0n;
  },
};

export const spinUnlockHelper: HelperDef = {
  id: SPIN_UNLOCK_ID,
  name: "spin_unlock",
  args: ["ptr_to_spin_lock"],
  ret: "void",
  impl: (ctx, r1) => {
    spinUnlock(lockView(ctx.memory), lockAddress(ctx, r1, "spin_unlock"));
    return 0n;
  },
};
