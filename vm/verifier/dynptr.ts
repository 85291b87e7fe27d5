// Dynamic pointers: `struct bpf_dynptr`, 16 bytes at a constant offset of the stack, made by
// bpf_dynptr_from_mem (LOCAL: over a map value) or bpf_ringbuf_reserve_dynptr (RINGBUF: a ring
// buffer record, a reference to submit or discard), read and written only through the dynptr
// helpers (kernel/bpf/verifier.c: process_dynptr_func, mark_stack_slots_dynptr,
// destroy_if_dynptr_stack_slot, unmark_stack_slots_dynptr, is_dynptr_reg_valid_(un)init).
//
// Its two stack slots hold Slot.DYNPTR bytes described by their `spills` entries (dynptr-slot.ts).
// Its bytes are opaque (stack.ts refuses reads of them). An instruction's write over either slot
// destroys the dynptr (and invalidates its slices), unless it holds a reference: "cannot
// overwrite referenced dynptr". Only this module builds or reads these fields.

import { constNumS, scalarIsConst } from "./bounds.js";
import type { Env } from "./env.js";
import { checkMemAccess } from "./memory.js";
import { reject } from "./messages.js";
import { UNKNOWN_SCALAR, pointer, typeName, type Reg } from "./regs.js";
import { Slot, type Frame, type VState } from "./state.js";
import { DYNPTR_TYPE_NAMES, DynptrType, type DynptrTypeValue } from "./dynptr-slot.js";
import { DYNPTR_SIZE } from "../helpers/dynptr-type.js";

/** What a helper's dynptr argument wants (the ARG_PTR_TO_DYNPTR flags of its proto). */
export type DynptrArg =
  /** MEM_UNINIT: stack to make a dynptr of `make`'s type in; a clone takes its parent's reference. */
  | { readonly make: DynptrTypeValue; readonly cloneRef?: number }
  /** An initialised dynptr, of `type` when given (else any); `release`: OBJ_RELEASE. */
  | { readonly make?: undefined; readonly type?: DynptrTypeValue; readonly release?: boolean };

/** The dynptr (its first slot's state) a checked dynptr argument points at. */
export interface DynptrAt {
  readonly frame: number;
  /** The first slot's index (the kernel's spi). */
  readonly slot: number;
  readonly state: Reg;
}

/**
 * process_dynptr_func for argument register `regno` of the helper or kfunc called at `pc`: makes
 * the dynptr (MEM_UNINIT) or checks that one of the wanted type is there. Returns the dynptr.
 */
export function processDynptrArg(env: Env, st: VState, pc: number, regno: number, want: DynptrArg, caller: "helper" | "kfunc"): DynptrAt {
  const r = st.regs[regno]!;
  const arg = regno - 1;
  // A dynptr is on the stack here (CONST_PTR_TO_DYNPTR, a callback's, is not built): a helper's
  // argument fails check_reg_type, a kfunc's check_kfunc_args.
  if (r.type !== "stack") {
    reject(caller === "helper" ? `R${regno} type=${typeName(r)} expected=fp, dynptr_ptr` : `arg#${arg} expected pointer to stack or dynptr_ptr`);
  }
  const spi = dynptrSlot(r);
  if (want.make !== undefined) {
    if (typeof spi === "string") reject(`${spi}\nDynptr has to be an uninitialized dynptr`);
    // The kernel writes the 16 bytes first (check_mem_access, two BPF_DW writes): bounds, and an
    // unreferenced dynptr there is destroyed (a referenced one refuses the write).
    for (let off = 0; off < DYNPTR_SIZE; off += 8) checkMemAccess(env, st, { regno, off, size: 8, access: "write", value: UNKNOWN_SCALAR });
    return makeDynptr(env, st, pc, r.frame, spi as number, want.make, want.cloneRef);
  }
  if (want.release) {
    // check_func_arg's OBJ_RELEASE check comes before the dynptr's own.
    const slot = typeof spi === "number" ? st.frames[r.frame]!.spills[spi] : undefined;
    if (slot?.type !== "dynptr" || slot.ref === 0) reject(`arg ${regno} is an unacquired reference`);
  }
  if (typeof spi === "string") reject(`${spi}\nExpected an initialized dynptr as arg #${arg}`);
  const state = initialised(st.frames[r.frame]!, spi as number);
  if (!state) reject(`Expected an initialized dynptr as arg #${arg}`);
  if (want.type !== undefined && state!.map !== want.type) reject(`Expected a dynptr of type ${DYNPTR_TYPE_NAMES[want.type]} as arg #${arg}`);
  return { frame: r.frame, slot: spi as number, state: state! };
}

/**
 * unmark_stack_slots_dynptr for a referenced dynptr (bpf_ringbuf_submit_dynptr / discard):
 * the reference is released, and with it the slices of the record and the dynptr's slots.
 */
export function releaseDynptr(st: VState, at: DynptrAt): void {
  const ref = at.state.ref;
  for (const f of st.frames) {
    for (let k = 0; k < f.slotsUsed; k++) {
      const s = f.spills[k];
      if (s?.type === "dynptr" && s.ref === ref && s.range === 1) clearDynptr(f, k);
    }
  }
  st.refs = st.refs.filter((x) => x.id !== ref);
  st.mapRegs((x) => (x.ref === ref && x.type !== "scalar" ? UNKNOWN_SCALAR : x));
}

/**
 * destroy_if_dynptr_stack_slot for each slot that bytes [lo, hi) of `frame`'s stack touch: an
 * instruction or a helper is about to write there. A referenced dynptr refuses; any other is
 * gone, both its slots uninitialised stack again and its slices unusable.
 */
export function destroyDynptrsIn(st: VState, frameno: number, lo: number, hi: number): void {
  const f = st.frames[frameno]!;
  for (let k = (-lo - 1) >> 3; k >= 0 && k >= (-hi) >> 3; k--) {
    if (f.bytes[512 - 8 * (k + 1)] !== Slot.DYNPTR) continue;
    const first = f.spills[k]!.range === 1 ? k : k + 1;
    const state = f.spills[first]!;
    if (state.ref !== 0) reject("cannot overwrite referenced dynptr");
    clearDynptr(f, first);
    // Only bpf_dynptr_data's slices (plain PTR_TO_MEM): a kfunc's carry the dynptr's type flag or
    // MEM_RDONLY, which the kernel's check leaves alone.
    st.mapRegs((x) => ((x.type === "mem" || x.type === "mem_or_null") && x.frame === 0 && x.map === state.id ? UNKNOWN_SCALAR : x));
  }
}

/**
 * check_stack_range_initialized in raw mode: a helper writing memory at [lo, hi) of the stack
 * must not write over a dynptr (it could alias the helper's dynptr argument).
 */
export function refuseDynptrOverlap(frame: Frame, lo: number, hi: number): void {
  for (let o = lo; o < hi; o++) if (frame.bytes[512 + o] === Slot.DYNPTR) reject(`potential write to dynptr at off=${o} disallowed`);
}

/** The slice bpf_dynptr_data returns (RET_PTR_TO_DYNPTR_MEM_OR_NULL) of `size` bytes of the dynptr. */
export function dynptrSlice(env: Env, at: DynptrAt, size: number): Reg {
  return pointer("mem_or_null", { id: env.nextId(), range: size, ref: at.state.ref, map: at.state.id });
}

/**
 * The slice bpf_dynptr_slice (read-only) or bpf_dynptr_slice_rdwr returns: PTR_TO_MEM with the
 * dynptr's type flag (Reg.frame), or NULL. The kernel gives it no reference, even of a ring
 * buffer dynptr ("packet slices are not refcounted").
 */
export function kfuncSlice(env: Env, at: DynptrAt, size: number, writable: boolean): Reg {
  return pointer(writable ? "mem_or_null" : "rdonly_mem_or_null", { id: env.nextId(), range: size, map: at.state.id, frame: at.state.map });
}


/**
 * stack_slot_obj_get_spi: the first slot of a dynptr a stack pointer points at, or the
 * kernel's message why it cannot be one.
 */
function dynptrSlot(r: Reg): number | string {
  if (!scalarIsConst(r.s)) return "dynptr has to be at a constant offset";
  const off = r.off + constNumS(r.s);
  if (off % 8 !== 0) return `cannot pass in dynptr at an offset=${off}`;
  // __get_spi, with C's division (offsets 0..7 give slot 0, which the size check refuses).
  const spi = Math.trunc((-off - 1) / 8);
  if (spi + 1 < DYNPTR_SIZE / 8) return `cannot pass in dynptr at an offset=${off}`;
  return spi;
}

/**
 * mark_stack_slots_dynptr: slots spi (first) and spi - 1 hold a new dynptr; RINGBUF acquires its
 * reference, or shares its parent's (`cloneRef`: bpf_dynptr_clone, released with it).
 */
function makeDynptr(env: Env, st: VState, pc: number, frameno: number, spi: number, type: DynptrTypeValue, cloneRef = 0): DynptrAt {
  const id = env.nextId();
  let ref = 0;
  if (type === DynptrType.RINGBUF) {
    ref = cloneRef || env.nextId();
    if (!cloneRef) st.refs.push({ id: ref, insn: pc });
  }
  const f = st.frames[frameno]!;
  const state = pointer("dynptr", { map: type, range: 1, id, ref });
  setSlot(f, spi, state);
  setSlot(f, spi - 1, { ...state, range: 0 });
  return { frame: frameno, slot: spi, state };
}

/** is_dynptr_reg_valid_init: slot spi is a dynptr's first slot, every byte of both slots the dynptr's. */
function initialised(f: Frame, spi: number): Reg | undefined {
  const s = f.spills[spi];
  if (s?.type !== "dynptr" || s.range !== 1) return undefined;
  for (let b = 512 - 8 * (spi + 1); b < 512 - 8 * (spi - 1); b++) if (f.bytes[b] !== Slot.DYNPTR) return undefined;
  return s;
}

/** Both slots of the dynptr whose first slot is `first`: uninitialised stack (invalidate_dynptr). */
function clearDynptr(f: Frame, first: number): void {
  setSlot(f, first, undefined);
  setSlot(f, first - 1, undefined);
}

function setSlot(f: Frame, k: number, r: Reg | undefined): void {
  f.own();
  f.touch(-8 * (k + 1));
  const base = 512 - 8 * (k + 1);
  f.spills[k] = r;
  f.bytes.fill(r ? Slot.DYNPTR : Slot.INVALID, base, base + 8);
  f.known.fill(-1, base, base + 8);
}
