// bpf_spin_lock / bpf_spin_unlock (helpers 93, 94), as kernel/bpf/verifier.c checks them
// (process_spin_lock, check_map_access's special fields, do_check_insn's call check,
// check_resource_leak at exit and LD_ABS, check_map_prog_compatibility). Checked against Linux
// 6.18's messages by corpus/verifier/*spin*.asm (test/verifier/kernel.test.ts).
//
// The lock is a `struct bpf_spin_lock` at a fixed offset of a map's value (VerifierMap.spinLock,
// found through the map's BTF). A path holds at most one lock at a time (VState.lock: which map
// and which value pointer id). The value pointer's id names the element: a lookup in a map with
// a lock gives its result a fresh id that the NULL check keeps (mark_ptr_or_null_reg keeps
// reg->id for reg_may_point_to_spin_lock), so the lock taken through one lookup's result cannot
// be released through another's ("bpf_spin_unlock of different lock"). A map value from lddw
// (global data) has id 0, one lock per map.
//
// While the lock is held: no helper call but bpf_spin_unlock, no global function call, no LD_ABS
// / LD_IND, no exit from the main program (a static subprogram may take or release the lock for
// its caller: the check is only at the main program's exit). Loads and stores never touch the
// lock word. Pruning compares the held lock as the kernel's refsafe does (same map, ids mapped
// one to one with the registers': prune.ts).

import { reject } from "./messages.js";
import { constNumS, scalarIsConst, sminNum, umaxNum } from "./bounds.js";
import { typeName, type Reg } from "./regs.js";
import type { Env, VerifierMap } from "./env.js";
import type { VState } from "./state.js";

import { SPIN_LOCK_SIZE } from "../maps/spin-lock.js";
import { SPIN_LOCK_ID, SPIN_UNLOCK_ID } from "../helpers/spin-lock.js";

export { SPIN_LOCK_ID, SPIN_UNLOCK_ID };

/** The lock a path holds (the kernel's REF_TYPE_LOCK reference state: id and map). */
export interface HeldLock {
  readonly map: number;
  /** The value pointer's id (0 for a map value from lddw). */
  readonly id: number;
}

/** check_func_arg for ARG_PTR_TO_SPIN_LOCK, then process_spin_lock. */
export function processSpinLock(env: Env, st: VState, regno: number, r: Reg, isLock: boolean): void {
  // compatible_reg_types for ARG_PTR_TO_SPIN_LOCK: a map value, or an allocated object (BTF,
  // not built here); a pointer that may be NULL is not one (check_reg_type).
  if (r.type !== "map_value") reject(`R${regno} type=${typeName(r)} expected=map_value, ptr_`);
  if (!scalarIsConst(r.s)) reject(`R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  const map = env.maps[r.map]!;
  const off = r.off + constNumS(r.s);
  if (map.spinLock === undefined) {
    if (!map.btf) reject(`map '${map.name}' has to have BTF in order to use bpf_spin_lock`);
    reject(`map '${map.name}' has no valid bpf_spin_lock`);
  }
  if (off !== map.spinLock) reject(`off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${map.spinLock}`);
  if (isLock) {
    // Unreachable while the call check below refuses every other helper with a lock held; kept
    // as the kernel keeps it.
    if (st.lock) reject("Locking two bpf_spin_locks are not allowed");
    st.lock = { map: r.map, id: r.id };
    return;
  }
  if (!st.lock) reject("bpf_spin_unlock without taking a lock");
  if (st.lock!.map !== r.map || st.lock!.id !== r.id) reject("bpf_spin_unlock of different lock");
  st.lock = undefined;
}

/** do_check_insn at a BPF_CALL: with a lock held, only bpf_spin_unlock may be called. */
export function checkCallHoldingLock(st: VState, helper: number | "local"): void {
  if (st.lock && helper !== "local" && helper !== SPIN_UNLOCK_ID) reject("function calls are not allowed while holding a lock");
}

/** check_func_call: a global function is verified without the caller's lock. */
export function checkGlobalCallHoldingLock(st: VState): void {
  if (st.lock) reject("global function calls are not allowed while holding a lock, use static function instead");
}

/** check_resource_leak's lock part: `what` (an exit of the main program, LD_ABS) with a lock held. */
export function checkNoLockHeld(st: VState, what: string): void {
  if (st.lock) reject(`${what} cannot be used inside bpf_spin_lock-ed region`);
}

/**
 * check_map_access: no load or store (nor a helper's access to the value) may touch any byte of
 * the lock, over every offset the pointer may have ([smin, umax] of its variable part).
 */
export function checkLockAccess(map: VerifierMap, r: Reg, off: number, size: number): void {
  const lock = map.spinLock;
  if (lock === undefined) return;
  const lo = sminNum(r.s) + r.off + off;
  const hi = umaxNum(r.s) + r.off + off + size;
  if (lo < lock + SPIN_LOCK_SIZE && lock < hi) reject("bpf_spin_lock cannot be accessed directly by load/store");
}

/**
 * check_map_prog_compatibility: socket filters may not use a map whose value has a lock (the
 * kernel refuses it when the program refers to the map).
 */
export function checkLockMapForProgram(env: Env, map: VerifierMap): void {
  if (map.spinLock !== undefined && env.type.name === "socket_filter") reject("socket filter progs cannot use bpf_spin_lock yet");
}

/** regsafe / refsafe for the held lock: both none, or the same map with ids that correspond. */
export function locksWithin(old: HeldLock | undefined, cur: HeldLock | undefined, idsOk: (o: number, c: number) => boolean): boolean {
  if (!old || !cur) return old === cur;
  return old.map === cur.map && idsOk(old.id, cur.id);
}
