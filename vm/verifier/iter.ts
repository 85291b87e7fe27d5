// Open-coded iterators (kernel/bpf/verifier.c: process_iter_arg, mark_stack_slots_iter,
// is_iter_reg_valid_uninit / _init, unmark_stack_slots_iter, process_iter_next_call), for the
// kfuncs whose prototype has `iter` (vm/helpers/kfunc/defs.ts): `struct bpf_iter_<type>` lives
// in a stack slot at a constant offset, new() makes it ACTIVE and acquires a reference, next()
// and destroy() want it initialised, destroy() releases it. Its bytes are opaque (stack.ts
// refuses reads; a write over them leaves it uninitialised: iter-slot.ts).
//
// Loops: next() on an ACTIVE iterator forks the path (process_iter_next_call). The current path
// goes on with the iterator DRAINED and r0 = NULL (the loop is over); a queued path goes on with
// it ACTIVE one level deeper and r0 = the element (the loop's body), its imprecise scalars
// widened against the previous iteration's checkpoint. next()'s instruction is always a
// checkpoint, and a path coming back to it within (value for value) a checkpoint of an earlier
// iteration still being explored, its iterator ACTIVE, has converged: it stops there
// (verifier.ts iterConverged, the kernel's is_state_visited is_iter_next_insn case). No bound
// on the iterations is needed: next() returns NULL for good eventually (its contract), which
// the DRAINED path covers.

import type { KfuncDef } from "../helpers/kfunc/defs.js";
import type { Env } from "./env.js";
import { checkMemAccess } from "./memory.js";
import { reject } from "./messages.js";
import { UNKNOWN_SCALAR, constReg, pointer, type Reg } from "./regs.js";
import { ITER_TYPES, IterState } from "./iter-slot.js";
import { widenImprecise } from "./prune.js";
import { sameCallsites } from "./callbacks.js";
import { scalarIsConst, constNumS } from "./bounds.js";
import { Slot, type Checkpoint, type VState } from "./state.js";

/** The iterator an iter argument named: its frame, slot and reference (the kernel's meta->iter). */
export interface IterArg {
  readonly frame: number;
  readonly slot: number;
  readonly ref: number;
}

type IterProto = NonNullable<KfuncDef["proto"]["iter"]>;

/** process_iter_arg for argument register `regno` of kfunc `def` at `pc`. */
export function processIterArg(env: Env, st: VState, pc: number, regno: number, def: KfuncDef, r: Reg): IterArg | undefined {
  const iter = def.proto.iter!;
  const arg = regno - 1;
  const typeName = `iter_${iter.type}`;
  if (r.type !== "stack") reject(`arg#${arg} expected pointer to an iterator on stack`);
  const spi = iterSlot(r, iter);
  if (iter.role === "new") {
    if (typeof spi === "string") reject(spi);
    const k = spi as number;
    if (!uninit(st, r.frame, k)) reject(`expected uninitialized ${typeName} as arg #${arg}`);
    // The kernel writes the slot first (check_mem_access, BPF_DW): bounds, and whatever was there is gone.
    checkMemAccess(env, st, { regno, off: 0, size: iter.size, access: "write", value: UNKNOWN_SCALAR });
    const ref = env.nextId();
    st.refs.push({ id: ref, insn: pc });
    setSlot(st, r.frame, k, pointer("iter", { ref, range: IterState.ACTIVE, off: 0, map: ITER_TYPES.indexOf(iter.type) }));
    return undefined;
  }
  if (typeof spi === "string") reject(`${spi}\nexpected an initialized ${typeName} as arg #${arg}`);
  const k = spi as number;
  const slot = initialised(st, r.frame, k, iter.type);
  if (!slot) reject(`expected an initialized ${typeName} as arg #${arg}`);
  const ref = slot!.ref;
  if (iter.role === "destroy") {
    // unmark_stack_slots_iter: the slot is uninitialised stack again, the reference released and
    // with it every element pointer next() gave (release_reference).
    setSlot(st, r.frame, k, undefined);
    st.refs = st.refs.filter((x) => x.id !== ref);
    st.mapRegs((x) => ((x.type === "rdonly_mem" || x.type === "rdonly_mem_or_null") && x.ref === ref ? UNKNOWN_SCALAR : x));
  }
  return { frame: r.frame, slot: k, ref };
}

/**
 * The slot index of the iterator a stack pointer points at (stack_slot_obj_get_spi), or the
 * kernel's message why it cannot be one.
 */
function iterSlot(r: Reg, iter: IterProto): number | string {
  if (!scalarIsConst(r.s)) return "iter has to be at a constant offset";
  const off = r.off + constNumS(r.s);
  if (off % 8 !== 0) return `cannot pass in iter at an offset=${off}`;
  // __get_spi, with C's division: offsets 0..7 give slot 0, which the size check below refuses.
  const spi = Math.trunc((-off - 1) / 8);
  const slots = iter.size / 8;
  if (spi + 1 < slots) return `cannot pass in iter at an offset=${off}`;
  return spi;
}

/** is_iter_reg_valid_uninit: no byte of the slot(s) is an iterator's. */
function uninit(st: VState, frame: number, k: number): boolean {
  const f = st.frames[frame]!;
  const base = 512 - 8 * (k + 1);
  for (let b = base; b < base + 8; b++) if (f.bytes[b] === Slot.ITER) return false;
  return true;
}

/** is_iter_reg_valid_init: the slot holds an iterator of `type`, every byte of it. */
function initialised(st: VState, frame: number, k: number, type: string): Reg | undefined {
  const f = st.frames[frame]!;
  const r = f.spills[k];
  if (!r || r.type !== "iter" || r.ref === 0 || ITER_TYPES[r.map] !== type) return undefined;
  const base = 512 - 8 * (k + 1);
  for (let b = base; b < base + 8; b++) if (f.bytes[b] !== Slot.ITER) return undefined;
  return r;
}

/** Put an iterator's state in slot k (or, undefined, make the slot uninitialised stack). */
function setSlot(st: VState, frame: number, k: number, r: Reg | undefined): void {
  const f = st.frames[frame]!;
  f.own();
  const base = 512 - 8 * (k + 1);
  f.touch(-8 * (k + 1));
  f.spills[k] = r;
  f.bytes.fill(r ? Slot.ITER : Slot.INVALID, base, base + 8);
  f.known.fill(-1, base, base + 8);
}

/**
 * process_iter_next_call, after next()'s r0 was set (rdonly_mem_or_null): returns the queued
 * path (iterator ACTIVE one deeper, r0 not NULL, widened) when the iterator is ACTIVE; the
 * current path goes on with it DRAINED and r0 = NULL.
 */
export function processIterNext(st: VState, it: IterArg): VState | undefined {
  const slot = st.frames[it.frame]!.spills[it.slot]!;
  let queued: VState | undefined;
  if (slot.range === IterState.ACTIVE) {
    queued = st.clone();
    const f = queued.frames[it.frame]!;
    f.own();
    f.spills[it.slot] = { ...slot, off: slot.off + 1 };
    const prev = previousEntry(st);
    if (prev) widenImprecise(prev.state, queued);
    const r0 = queued.regs[0]!;
    queued.regs[0] = { ...r0, type: "rdonly_mem" }; // mark_ptr_not_null_reg keeps the id
  }
  const f = st.frames[it.frame]!;
  f.own();
  f.spills[it.slot] = { ...slot, range: IterState.DRAINED };
  st.regs[0] = constReg(0n);
  return queued;
}

/**
 * find_prev_entry at a loop point that always gets a checkpoint (an iterator's next(), may_goto):
 * the checkpoint of the previous iteration — the nearest one above the checkpoint made for this
 * very state here, with the same call chain.
 */
export function previousEntry(st: VState): Checkpoint | undefined {
  for (let cp = st.parent?.parent; cp; cp = cp.parent) {
    if (cp.insn === st.pc && sameCallsites(cp.state, st)) return cp;
  }
  return undefined;
}

/** The iterator r1 points at (next()'s argument), as is_state_visited reads it at next(). */
export function iterAtR1(st: VState): Reg | undefined {
  const r1 = st.regs[1]!;
  if (r1.type !== "stack" || !scalarIsConst(r1.s)) return undefined;
  const off = r1.off + constNumS(r1.s);
  const slot = st.frames[r1.frame]?.spills[Math.trunc((-off - 1) / 8)];
  return slot?.type === "iter" ? slot : undefined;
}

/** r0 of a kfunc returning `int *` that may be NULL (KF_RET_NULL): 4 bytes read-only, in the iterator's reference. */
export function intPtrOrNull(env: Env, ref: number): Reg {
  return pointer("rdonly_mem_or_null", { id: env.nextId(), range: 4, ref });
}
