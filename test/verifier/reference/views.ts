// A Scalar seen at one width: the 64-bit facts, or the 32-bit facts of its low half. ALU and
// comparison rules are written once over a View and applied at 64 bits (ALU64, JMP) or 32 bits
// (ALU, JMP32), as the kernel's scalar_min_max_* and scalar32_min_max_* pairs do.

import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, UNKNOWN, sync, type Scalar } from "./bounds.js";
import { TNUM_UNKNOWN, U32, U64, tnumCast, tnumIntersect, tnumWithSubreg, type Tnum } from "./tnum.js";

export type Width = 32 | 64;

export interface View {
  readonly t: Tnum; // only the low `width` bits
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
}

export interface WidthInfo {
  readonly bits: Width;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
  readonly mod: bigint; // 2^bits
  readonly unknownT: Tnum;
}

export const W64: WidthInfo = { bits: 64, umax: U64, smin: S64_MIN, smax: S64_MAX, mod: 1n << 64n, unknownT: TNUM_UNKNOWN };
export const W32: WidthInfo = { bits: 32, umax: U32, smin: S32_MIN, smax: S32_MAX, mod: 1n << 32n, unknownT: { value: 0n, mask: U32 } };

export const widthInfo = (wide: boolean): WidthInfo => (wide ? W64 : W32);

export function viewOf(s: Scalar, w: WidthInfo): View {
  if (w.bits === 64) return { t: s.t, umin: s.umin, umax: s.umax, smin: s.smin, smax: s.smax };
  return { t: tnumCast(s.t, 4), umin: s.u32min, umax: s.u32max, smin: s.s32min, smax: s.s32max };
}

export const unboundedView = (w: WidthInfo, t: Tnum = w.unknownT): View => ({ t, umin: 0n, umax: w.umax, smin: w.smin, smax: w.smax });

export const viewIsConst = (v: View): boolean => v.t.mask === 0n;

/** The result of a 64-bit op: its 64-bit view, and optionally the 32-bit view computed alongside. */
export function fromView64(v: View, low?: View): Scalar | undefined {
  let t = v.t;
  if (low) t = tnumIntersect(t, tnumWithSubreg(TNUM_UNKNOWN, low.t)) ?? v.t;
  return sync({
    ...UNKNOWN, t, umin: v.umin, umax: v.umax, smin: v.smin, smax: v.smax,
    ...(low ? { u32min: low.umin, u32max: low.umax, s32min: low.smin, s32max: low.smax } : {}),
  });
}

/** The result of a 32-bit op: the low half, zero-extended into 64 bits (RFC 9669 §4.1). */
export function fromView32(v: View): Scalar | undefined {
  return sync({
    t: tnumCast(v.t, 4), umin: v.umin, umax: v.umax, smin: v.umin, smax: v.umax,
    u32min: v.umin, u32max: v.umax, s32min: v.smin, s32max: v.smax,
  });
}

/** Put refined facts of one width back into the full scalar, keeping the other width's facts. */
export function withView(s: Scalar, v: View, w: WidthInfo): Scalar | undefined {
  if (w.bits === 64) {
    const t = tnumIntersect(s.t, v.t);
    if (!t) return undefined;
    return sync({ ...s, t, umin: v.umin, umax: v.umax, smin: v.smin, smax: v.smax });
  }
  const t = tnumIntersect(s.t, tnumWithSubreg(TNUM_UNKNOWN, v.t));
  if (!t) return undefined;
  return sync({ ...s, t, u32min: v.umin, u32max: v.umax, s32min: v.smin, s32max: v.smax });
}
