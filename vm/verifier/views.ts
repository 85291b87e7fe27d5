// A Scalar seen at one width: the 64-bit facts, or the 32-bit facts of its low half. ALU and
// comparison rules are written once over a View and applied at 64 bits (ALU64, JMP) or 32 bits
// (ALU, JMP32), as the kernel's scalar_min_max_* and scalar32_min_max_* pairs do.
//
// Bounds are 64-bit pairs (u64.ts) at both widths: a 32-bit view holds its unsigned bounds
// zero-extended and its signed bounds sign-extended, so one rule serves both widths; the width
// tells where values wrap. A Scalar is itself its own 64-bit view.

import { syncFields, type Scalar } from "./bounds.js";
import { TNUM_UNKNOWN, TNUM_UNKNOWN32, tnumCast, tnumIntersect, tnumWithSubreg, type Tnum } from "./tnum.js";

export type Width = 32 | 64;

export interface View {
  readonly t: Tnum; // only the low `width` bits
  readonly uminH: number;
  readonly uminL: number;
  readonly umaxH: number;
  readonly umaxL: number;
  readonly sminH: number;
  readonly sminL: number;
  readonly smaxH: number;
  readonly smaxL: number;
}

export class View32 implements View {
  constructor(
    readonly t: Tnum,
    readonly uminH: number,
    readonly uminL: number,
    readonly umaxH: number,
    readonly umaxL: number,
    readonly sminH: number,
    readonly sminL: number,
    readonly smaxH: number,
    readonly smaxL: number,
  ) {}
}

/** A view from its facts (any width). */
export const makeView = (t: Tnum, uminH: number, uminL: number, umaxH: number, umaxL: number, sminH: number, sminL: number, smaxH: number, smaxL: number): View =>
  new View32(t, uminH, uminL, umaxH, umaxL, sminH, sminL, smaxH, smaxL);

export interface WidthInfo {
  readonly bits: Width;
  /** umax = 2^bits - 1, smin, smax, as pairs. */
  readonly umaxH: number;
  readonly umaxL: number;
  readonly sminH: number;
  readonly sminL: number;
  readonly smaxH: number;
  readonly smaxL: number;
  readonly unknownT: Tnum;
}

export const W64: WidthInfo = { bits: 64, umaxH: -1, umaxL: -1, sminH: -0x80000000, sminL: 0, smaxH: 0x7fffffff, smaxL: -1, unknownT: TNUM_UNKNOWN };
export const W32: WidthInfo = { bits: 32, umaxH: 0, umaxL: -1, sminH: -1, sminL: -0x80000000, smaxH: 0, smaxL: 0x7fffffff, unknownT: TNUM_UNKNOWN32 };

export const widthInfo = (wide: boolean): WidthInfo => (wide ? W64 : W32);

export function viewOf(s: Scalar, w: WidthInfo): View {
  if (w.bits === 64) return s;
  const lo = s.u32minI;
  const hi = s.u32maxI;
  return new View32(tnumCast(s.t, 4), 0, lo, 0, hi, s.s32minI >> 31, s.s32minI, s.s32maxI >> 31, s.s32maxI);
}

export const unboundedView = (w: WidthInfo, t: Tnum = w.unknownT): View =>
  new View32(t, 0, 0, w.umaxH, w.umaxL, w.sminH, w.sminL, w.smaxH, w.smaxL);

export const viewIsConst = (v: View): boolean => v.t.mh === 0 && v.t.ml === 0;

/** The result of a 64-bit op: its 64-bit view, and optionally the 32-bit view computed alongside. */
export function fromView64(v: View, low?: View): Scalar | undefined {
  if (!low) return syncFields(v.t, v.uminH, v.uminL, v.umaxH, v.umaxL, v.sminH, v.sminL, v.smaxH, v.smaxL, 0, 0xffffffff, -0x80000000, 0x7fffffff);
  const t = tnumIntersect(v.t, tnumWithSubreg(TNUM_UNKNOWN, low.t)) ?? v.t;
  return syncFields(t, v.uminH, v.uminL, v.umaxH, v.umaxL, v.sminH, v.sminL, v.smaxH, v.smaxL, low.uminL >>> 0, low.umaxL >>> 0, low.sminL, low.smaxL);
}

/** The result of a 32-bit op: the low half, zero-extended into 64 bits (RFC 9669 §4.1). */
export function fromView32(v: View): Scalar | undefined {
  return syncFields(tnumCast(v.t, 4), 0, v.uminL, 0, v.umaxL, 0, v.uminL, 0, v.umaxL, v.uminL >>> 0, v.umaxL >>> 0, v.sminL, v.smaxL);
}

/** Put refined facts of one width back into the full scalar, keeping the other width's facts. */
export function withView(s: Scalar, v: View, w: WidthInfo): Scalar | undefined {
  if (w.bits === 64) {
    const t = tnumIntersect(s.t, v.t);
    if (!t) return undefined;
    return syncFields(t, v.uminH, v.uminL, v.umaxH, v.umaxL, v.sminH, v.sminL, v.smaxH, v.smaxL, s.u32minI >>> 0, s.u32maxI >>> 0, s.s32minI, s.s32maxI);
  }
  const t = tnumIntersect(s.t, tnumWithSubreg(TNUM_UNKNOWN, v.t));
  if (!t) return undefined;
  return syncFields(t, s.uminH, s.uminL, s.umaxH, s.umaxL, s.sminH, s.sminL, s.smaxH, s.smaxL, v.uminL >>> 0, v.umaxL >>> 0, v.sminL, v.smaxL);
}
