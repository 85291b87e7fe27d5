// The stack of one frame, byte by byte (the kernel's check_stack_write_fixed_off /
// check_stack_read_fixed_off and their var-offset forms). A register stored at an 8-byte-aligned
// offset is spilled: its full state survives and a load of the same width fills it back, so
// pointers and bounded scalars can live on the stack. Other stores leave bytes that are MISC
// (something was written) or ZERO (a known zero was written). A byte never written (INVALID)
// reads as an unknown byte when uninitialised reads are allowed (root's allow_uninit_stack,
// the default), else the read is refused.

import { ZERO as ZERO_SCALAR, fitsBytes, scalarIsConst } from "./bounds.js";
import { reject } from "./messages.js";
import { scalarCoerce, scalarMovsx } from "./scalar-alu.js";
import { isNullScalar, loadedScalar, scalarReg, type Reg } from "./regs.js";
import { Slot, type Frame } from "./state.js";

const idx = (off: number): number => 512 + off;
const slotOf = (off: number): number => (-off - 1) >> 3;

/**
 * Drop a spilled register from the slot holding `off`: every written byte of the slot becomes
 * MISC, the spill's and the zeros beside a narrow one alike (scrub_spilled_slot over the whole
 * slot, which check_stack_write_fixed_off applies to a slot holding a spill), and MISC bytes'
 * constants are forgotten (nothing reads them: stackWriteFixed). An iterator's state there is
 * gone too: its bytes not written stay STACK_ITER, unreadable, and the iterator no longer counts
 * as initialised (its reference stays held: vm/verifier/iter.ts).
 */
function scrub(frame: Frame, off: number): void {
  const k = slotOf(off);
  if (!frame.spills[k]) return;
  frame.spills[k] = undefined;
  const base = 512 - 8 * (k + 1);
  for (let b = base; b < base + 8; b++) {
    if (frame.bytes[b] !== Slot.SPILL && frame.bytes[b] !== Slot.ZERO) continue;
    frame.bytes[b] = Slot.MISC;
    frame.known[b] = -1;
  }
}

/** An iterator's or a dynptr's byte: only their kfuncs and helpers touch it. */
const opaque = (t: number): boolean => t === Slot.ITER || t === Slot.DYNPTR;

/** Bytes of the spill in slot k: the SPILL bytes from the slot's lowest address up. */
export function spillSize(frame: Frame, k: number): number {
  const base = 512 - 8 * (k + 1);
  let n = 0;
  while (n < 8 && frame.bytes[base + n] === Slot.SPILL) n++;
  return n;
}

/** Remember the bytes of a spilled constant (little-endian), or forget what was there. */
function noteBytes(frame: Frame, off: number, size: number, value: Reg | undefined): void {
  const at = idx(off);
  if (!value || value.type !== "scalar" || !scalarIsConst(value.s)) {
    frame.known.fill(-1, at, at + size);
    return;
  }
  const { vh, vl } = value.s.t;
  for (let i = 0; i < size; i++) frame.known[at + i] = i < 4 ? (vl >>> (8 * i)) & 0xff : (vh >>> (8 * (i - 4))) & 0xff;
}

/** The constant stored in [off, off+size), if every byte of it is known. */
export function stackConst(frame: Frame, off: number, size: number): bigint | undefined {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) {
    const b = frame.known[idx(off + i)]!;
    if (b < 0) return undefined;
    v = (v << 8n) | BigInt(b);
  }
  return v;
}

/**
 * Store `size` bytes at frame offset `off` (fixed, in bounds, aligned). A register stored at an
 * 8-byte-aligned offset is spilled: whole (8 bytes, any type), or narrow (1/2/4 bytes, scalars
 * only — LLVM spills 32-bit subregisters this way; kernel: save_register_state with size < 8).
 */
export function stackWriteFixed(frame: Frame, off: number, size: number, value: Reg | undefined): void {
  frame.own();
  frame.touch(off);
  const k = slotOf(off);
  if (value && (off & 7) === 0 && (size === 8 ? value.type !== "not_init" : value.type === "scalar")) {
    noteBytes(frame, off, size, value);
    const base = idx(off);
    frame.spills[k] = value;
    frame.bytes.fill(Slot.SPILL, base, base + size);
    // What is left of an older spill above a narrow one is just written bytes now.
    for (let b = base + size; b < base + 8; b++) {
      if (frame.bytes[b] !== Slot.SPILL) continue;
      frame.bytes[b] = Slot.MISC;
      frame.known[b] = -1;
    }
    return;
  }
  scrub(frame, off); // stack accesses are aligned, so they stay within one slot
  // Not a spill: the bytes are STACK_ZERO for a zero, else STACK_MISC — their value is not kept
  // (check_stack_write_fixed_off), so a later read cannot rely on it.
  const zero = value !== undefined && isNullScalar(value);
  frame.bytes.fill(zero ? Slot.ZERO : Slot.MISC, idx(off), idx(off) + size);
  frame.known.fill(-1, idx(off), idx(off) + size);
}

/** Load `size` bytes at frame offset `off` (fixed, in bounds, aligned). */
export function stackReadFixed(frame: Frame, off: number, size: number, signed: boolean, allowUninit: boolean): Reg {
  // An iterator's or a dynptr's state is opaque (check_stack_read_fixed_off: STACK_ITER and
  // STACK_DYNPTR are no readable types).
  for (let i = 0; i < size; i++) {
    if (opaque(frame.bytes[idx(off + i)]!)) reject(`invalid read from stack off ${off}+${i} size ${size}`);
  }
  const k = slotOf(off);
  const spilled = frame.spills[k];
  // Part of a spilled pointer does not come back as anything (check_stack_read_fixed_off: a
  // read of a spilled register that is not an 8-byte fill of an 8-byte spill must be a scalar's).
  if (spilled && spilled.type !== "scalar" && (size !== 8 || spillSize(frame, k) !== 8)) {
    reject("invalid size of register fill");
  }
  if (spilled && (off & 7) === 0 && size <= spillSize(frame, k)) {
    // A fill at the spill's start, of its size or narrower: the register comes back, cut to the
    // load's width (check_stack_read_fixed_off, bpf_stack_narrow_access_ok, then
    // coerce_reg_to_size). It stays linked to the spilled register (its id) only when the
    // value fits the width: a narrowing fill breaks the relation.
    if (size === 8) return spilled;
    if (fitsBytes(spilled.s, size)) {
      return signed ? scalarReg(scalarMovsx(spilled.s, (8 * size) as 8 | 16 | 32, true)) : spilled;
    }
    const low = scalarCoerce(spilled.s, size as 1 | 2 | 4);
    return scalarReg(signed ? scalarMovsx(low, (8 * size) as 8 | 16 | 32, true) : low);
  }
  // Any other read (check_stack_read_fixed_off's non-fill case): zero when every byte is
  // STACK_ZERO, or every byte belongs to a spill of the constant 0; else an unknown scalar. The
  // bytes of a constant stored anywhere else are not a value to the kernel either (they are
  // STACK_MISC), so they are not one here.
  let zeros = 0;
  let spillBytes = 0;
  for (let i = 0; i < size; i++) {
    const t = frame.bytes[idx(off + i)]!;
    if (t === Slot.INVALID && !allowUninit) reject(`invalid read from stack off ${off}+${i} size ${size}`);
    if (t === Slot.ZERO) zeros++;
    else if (t === Slot.SPILL) spillBytes++;
  }
  if (zeros === size) return scalarReg(ZERO_SCALAR);
  if (spilled && spillBytes === size && spilled.type === "scalar" && isNullScalar(spilled)) return scalarReg(ZERO_SCALAR);
  return loadedScalar(size, signed);
}

/**
 * Check that bytes [lo, hi) are initialised (helpers reading the stack, var-offset loads), unless
 * uninitialised reads are allowed (check_stack_range_initialized: STACK_INVALID passes with
 * allow_uninit_stack). `what` builds the kernel's message for the first uninitialised byte.
 */
export function stackCheckInit(
  frame: Frame, lo: number, hi: number, allowUninit: boolean, what: (byte: number, opaque: boolean) => string,
): void {
  for (let o = lo; o < hi; o++) {
    const t = frame.bytes[idx(o)]!;
    // An iterator's or a dynptr's state is never readable (check_stack_range_initialized;
    // `opaque` for the message), uninitialised bytes only when allowed.
    if (opaque(t) || (t === Slot.INVALID && !allowUninit)) reject(what(o - lo, opaque(t)));
  }
}

/** Something of unknown value was written somewhere in [lo, hi) (var-offset stores, helpers). */
export function stackClobber(frame: Frame, lo: number, hi: number): void {
  frame.own();
  frame.touch(lo);
  for (let o = lo; o < hi; o++) scrub(frame, o);
  frame.bytes.fill(Slot.MISC, idx(lo), idx(hi));
  frame.known.fill(-1, idx(lo), idx(hi));
}

