// Scalar value tracking: a tnum (known bits) plus unsigned and signed ranges at 64 and 32 bits,
// kept coherent with each other after every step — the ideas of the kernel's
// reg_bounds_sync() (__update_reg_bounds, __reg_deduce_bounds, __reg_bound_offset).
//
// Each range is a sound over-approximation of the set of values a register may hold; each
// refinement only intersects. A Scalar is immutable: operations return new ones, so states can
// share them freely.
//
// Representation (for speed, see u64.ts): 64-bit bounds are pairs of int32 halves (uminH/uminL
// ...), 32-bit bounds int32 numbers (u32min/u32max hold the bit pattern: `>>> 0` reads them).
// The getters umin, umax, smin, smax, u32min..s32max... give the bigint values, for messages
// and tests.

import {
  TNUM_UNKNOWN, Tnum, U32, U64, isConst, tnumCast, tnumConstHL, tnumIntersect, tnumIn, tnumOf, tnumRange,
  tnumString, tnumWithSubreg,
} from "./tnum.js";
import { P, fromBig, leS, leU, ltS, ltU, toBigS, toBigU, toNumS, toNumU } from "./u64.js";

export class Scalar {
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
    /** Bit patterns (int32); the unsigned values are `u32min >>> 0`, `u32max >>> 0`. */
    readonly u32minI: number,
    readonly u32maxI: number,
    readonly s32minI: number,
    readonly s32maxI: number,
  ) {}

  get umin(): bigint { return toBigU(this.uminH, this.uminL); }
  get umax(): bigint { return toBigU(this.umaxH, this.umaxL); }
  get smin(): bigint { return toBigS(this.sminH, this.sminL); }
  get smax(): bigint { return toBigS(this.smaxH, this.smaxL); }
  get u32min(): bigint { return BigInt(this.u32minI >>> 0); }
  get u32max(): bigint { return BigInt(this.u32maxI >>> 0); }
  get s32min(): bigint { return BigInt(this.s32minI); }
  get s32max(): bigint { return BigInt(this.s32maxI); }
}

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;

export const UNKNOWN: Scalar = new Scalar(TNUM_UNKNOWN, 0, 0, -1, -1, I32_MIN, 0, I32_MAX, -1, 0, -1, I32_MIN, I32_MAX);

/** A known constant given as its two halves. */
export function scalarConstHL(h: number, l: number): Scalar {
  return new Scalar(tnumConstHL(h, l), h, l, h, l, h, l, h, l, l, l, l, l);
}

/** A known constant (given as any bigint; stored as its 64-bit pattern). */
export function scalarConst(v: bigint): Scalar {
  fromBig(v);
  return scalarConstHL(P.h, P.l);
}

export const ZERO = scalarConstHL(0, 0);

export const scalarIsConst = (s: Scalar): boolean => isConst(s.t);

/** Every 64-bit value in [lo, hi] (unsigned). */
export function scalarURange(lo: bigint, hi: bigint): Scalar {
  fromBig(lo);
  const lh = P.h;
  const ll = P.l;
  fromBig(hi);
  const t = tnumRange(lh, ll, P.h, P.l);
  return syncFields(t, lh, ll, P.h, P.l, I32_MIN, 0, I32_MAX, -1, 0, 0xffffffff, I32_MIN, I32_MAX) ?? UNKNOWN;
}

/** Bigint facts (tests, rare paths): any omitted fact is unbounded. Synced; undefined when contradictory. */
export interface ScalarFacts {
  readonly t?: { readonly value: bigint; readonly mask: bigint };
  readonly umin?: bigint;
  readonly umax?: bigint;
  readonly smin?: bigint;
  readonly smax?: bigint;
  readonly u32min?: bigint;
  readonly u32max?: bigint;
  readonly s32min?: bigint;
  readonly s32max?: bigint;
}

export function scalarFromFacts(f: ScalarFacts): Scalar | undefined {
  // Out-of-range facts contradict every value.
  const inRange = (v: bigint | undefined, lo: bigint, hi: bigint): boolean => v === undefined || (v >= lo && v <= hi);
  if (!inRange(f.umin, 0n, U64) || !inRange(f.umax, 0n, U64) || !inRange(f.smin, S64_MIN, S64_MAX) || !inRange(f.smax, S64_MIN, S64_MAX) ||
    !inRange(f.u32min, 0n, U32) || !inRange(f.u32max, 0n, U32) || !inRange(f.s32min, S32_MIN, S32_MAX) || !inRange(f.s32max, S32_MIN, S32_MAX)) {
    return undefined;
  }
  const pair = (v: bigint): [number, number] => {
    fromBig(v);
    return [P.h, P.l];
  };
  const t = f.t ? tnumOf(f.t.value, f.t.mask) : TNUM_UNKNOWN;
  const [a, b] = pair(f.umin ?? 0n);
  const [c, d] = pair(f.umax ?? U64);
  const [e, g] = pair(f.smin ?? S64_MIN);
  const [h, i] = pair(f.smax ?? S64_MAX);
  return syncFields(t, a, b, c, d, e, g, h, i, Number(f.u32min ?? 0n), Number(f.u32max ?? U32), Number(f.s32min ?? S32_MIN), Number(f.s32max ?? S32_MAX));
}

/** Make all nine facts of `s` agree; undefined when they contradict. */
export function sync(s: Scalar): Scalar | undefined {
  return syncFields(s.t, s.uminH, s.uminL, s.umaxH, s.umaxL, s.sminH, s.sminL, s.smaxH, s.smaxL, s.u32minI >>> 0, s.u32maxI >>> 0, s.s32minI, s.s32maxI);
}

/**
 * Make all nine facts agree; undefined when they contradict (the state is infeasible, e.g. the
 * branch of a comparison that cannot be taken). The 32-bit bounds come as numbers: u32 as
 * unsigned values, s32 as int32. Two rounds reach the fixpoint in practice (the kernel runs its
 * deductions a fixed number of times too); the second is skipped when the first changed nothing.
 */
export function syncFields(
  t: Tnum,
  uminH: number, uminL: number, umaxH: number, umaxL: number,
  sminH: number, sminL: number, smaxH: number, smaxL: number,
  u32min: number, u32max: number, s32min: number, s32max: number,
): Scalar | undefined {
  let r = syncOnce(t, uminH, uminL, umaxH, umaxL, sminH, sminL, smaxH, smaxL, u32min, u32max, s32min, s32max);
  if (!r) return undefined;
  if (
    r.t.vh === t.vh && r.t.vl === t.vl && r.t.mh === t.mh && r.t.ml === t.ml &&
    r.uminH === uminH && r.uminL === uminL && r.umaxH === umaxH && r.umaxL === umaxL &&
    r.sminH === sminH && r.sminL === sminL && r.smaxH === smaxH && r.smaxL === smaxL &&
    r.u32minI >>> 0 === u32min && r.u32maxI >>> 0 === u32max && r.s32minI === s32min && r.s32maxI === s32max
  ) {
    return r; // a fixpoint already
  }
  r = syncOnce(r.t, r.uminH, r.uminL, r.umaxH, r.umaxL, r.sminH, r.sminL, r.smaxH, r.smaxL, r.u32minI >>> 0, r.u32maxI >>> 0, r.s32minI, r.s32maxI);
  return r;
}

function syncOnce(
  t: Tnum,
  uminH: number, uminL: number, umaxH: number, umaxL: number,
  sminH: number, sminL: number, smaxH: number, smaxL: number,
  u32min: number, u32max: number, s32min: number, s32max: number,
): Scalar | undefined {
  // Ranges from known bits (__update_reg_bounds).
  if (ltU(uminH, uminL, t.vh, t.vl)) { uminH = t.vh; uminL = t.vl; }
  let xh = t.vh | t.mh;
  let xl = t.vl | t.ml;
  if (ltU(xh, xl, umaxH, umaxL)) { umaxH = xh; umaxL = xl; }
  xh = t.vh | (t.mh & I32_MIN); // value | (mask & sign)
  xl = t.vl;
  if (ltS(sminH, sminL, xh, xl)) { sminH = xh; sminL = xl; }
  xh = t.vh | (t.mh & I32_MAX); // value | (mask & ~sign)
  xl = t.vl | t.ml;
  if (ltS(xh, xl, smaxH, smaxL)) { smaxH = xh; smaxL = xl; }
  const v32 = t.vl >>> 0;
  const vm32 = (t.vl | t.ml) >>> 0;
  if (u32min < v32) u32min = v32;
  if (vm32 < u32max) u32max = vm32;
  const sMin32 = t.vl | (t.ml & I32_MIN);
  const sMax32 = t.vl | (t.ml & I32_MAX);
  if (s32min < sMin32) s32min = sMin32;
  if (sMax32 < s32max) s32max = sMax32;
  // 32-bit facts from 64-bit ranges whose upper halves agree (__reg32_deduce_bounds).
  if (uminH === umaxH) {
    if (u32min < uminL >>> 0) u32min = uminL >>> 0;
    if (umaxL >>> 0 < u32max) u32max = umaxL >>> 0;
    if ((uminL | 0) <= (umaxL | 0)) {
      if (s32min < (uminL | 0)) s32min = uminL | 0;
      if ((umaxL | 0) < s32max) s32max = umaxL | 0;
    }
  }
  if (sminH === smaxH) {
    if (sminL >>> 0 <= smaxL >>> 0) {
      if (u32min < sminL >>> 0) u32min = sminL >>> 0;
      if (smaxL >>> 0 < u32max) u32max = smaxL >>> 0;
    }
    if ((sminL | 0) <= (smaxL | 0)) {
      if (s32min < (sminL | 0)) s32min = sminL | 0;
      if ((smaxL | 0) < s32max) s32max = smaxL | 0;
    }
  }
  // A 64-bit range whose upper halves are two consecutive values, with the low half wrapping
  // from negative to non-negative across them, is one s32 range.
  if (((uminH + 1) | 0) === umaxH && (uminL | 0) < 0 && (umaxL | 0) >= 0) {
    if (s32min < (uminL | 0)) s32min = uminL | 0;
    if ((umaxL | 0) < s32max) s32max = umaxL | 0;
  }
  if (((sminH + 1) | 0) === smaxH && (sminL | 0) < 0 && (smaxL | 0) >= 0) {
    if (s32min < (sminL | 0)) s32min = sminL | 0;
    if ((smaxL | 0) < s32max) s32max = smaxL | 0;
  }
  // Signed and unsigned 32-bit ranges inform each other when they do not cross the sign; a
  // signed range that does, of which the unsigned range meets only one side, is cut to that side.
  if ((u32min | 0) <= (u32max | 0)) {
    if (s32min < (u32min | 0)) s32min = u32min | 0;
    if ((u32max | 0) < s32max) s32max = u32max | 0;
  }
  if (s32min >= 0 || s32max < 0) {
    if (u32min < s32min >>> 0) u32min = s32min >>> 0;
    if (s32max >>> 0 < u32max) u32max = s32max >>> 0;
  } else if (u32max < s32min >>> 0) {
    s32min = u32min | 0;
    if (s32max >>> 0 < u32max) u32max = s32max >>> 0;
  } else if (s32max >>> 0 < u32min) {
    s32max = u32max | 0;
    if (u32min < s32min >>> 0) u32min = s32min >>> 0;
  }
  // Same at 64 bits (__reg64_deduce_bounds).
  if (leS(uminH, uminL, umaxH, umaxL)) {
    if (ltS(sminH, sminL, uminH, uminL)) { sminH = uminH; sminL = uminL; }
    if (ltS(umaxH, umaxL, smaxH, smaxL)) { smaxH = umaxH; smaxL = umaxL; }
  }
  if (sminH >= 0 || smaxH < 0) {
    if (ltU(uminH, uminL, sminH, sminL)) { uminH = sminH; uminL = sminL; }
    if (ltU(smaxH, smaxL, umaxH, umaxL)) { umaxH = smaxH; umaxL = smaxL; }
  } else if (ltU(umaxH, umaxL, sminH, sminL)) {
    // The unsigned range meets only the non-negative side of a signed range crossing the sign.
    sminH = uminH; sminL = uminL;
    if (ltU(smaxH, smaxL, umaxH, umaxL)) { umaxH = smaxH; umaxL = smaxL; }
  } else if (ltU(smaxH, smaxL, uminH, uminL)) {
    // ... only its negative side.
    smaxH = umaxH; smaxL = umaxL;
    if (ltU(uminH, uminL, sminH, sminL)) { uminH = sminH; uminL = sminL; }
  }
  // 64-bit bounds from the 32-bit ones: the low half of every value lies in [u32min, u32max]
  // (__reg_deduce_mixed_bounds).
  if (leU(uminH, uminL, umaxH, umaxL)) {
    if (ltU(uminH, uminL, uminH, u32min | 0)) uminL = u32min | 0;
    if (ltU(umaxH, u32max | 0, umaxH, umaxL)) umaxL = u32max | 0;
  }
  if (leS(sminH, sminL, smaxH, smaxL) && u32min <= u32max) {
    if (ltS(sminH, sminL, sminH, u32min | 0)) sminL = u32min | 0;
    if (ltS(smaxH, u32max | 0, smaxH, smaxL)) smaxL = u32max | 0;
  }
  if (ltU(umaxH, umaxL, uminH, uminL) || ltS(smaxH, smaxL, sminH, sminL) || u32max < u32min || s32max < s32min) return undefined;
  // Known bits from the ranges (__reg_bound_offset).
  const tr = tnumIntersect(t, tnumRange(uminH, uminL, umaxH, umaxL));
  if (!tr) return undefined;
  const r32 = tnumRange(0, u32min | 0, 0, u32max | 0);
  const t2 = tnumIntersect(tr, tnumWithSubreg(TNUM_UNKNOWN, r32));
  if (!t2) return undefined;
  return new Scalar(t2, uminH, uminL, umaxH, umaxL, sminH, sminL, smaxH, smaxL, u32min | 0, u32max | 0, s32min, s32max);
}

/** get_reg_width(reg) <= 8 * bytes: every value `s` may hold fits in its low `bytes` bytes. */
export const fitsBytes = (s: Scalar, bytes: number): boolean =>
  bytes === 8 || (s.umaxH === 0 && (bytes === 4 || s.umaxL >>> 0 < 2 ** (8 * bytes)));

/** The facts of `s` narrowed to its low 32 bits, zero-extended (a 32-bit ALU result). */
export function zext32(s: Scalar): Scalar {
  const lo = s.u32minI;
  const hi = s.u32maxI;
  return syncFields(tnumCast(s.t, 4), 0, lo, 0, hi, 0, lo, 0, hi, lo >>> 0, hi >>> 0, s.s32minI, s.s32maxI) ??
    scalarURange(0n, U32);
}

/** old ⊇ cur: every value cur may hold, old may hold too (for state pruning). */
export function scalarWithin(old: Scalar, cur: Scalar): boolean {
  return (
    leU(old.uminH, old.uminL, cur.uminH, cur.uminL) && leU(cur.umaxH, cur.umaxL, old.umaxH, old.umaxL) &&
    leS(old.sminH, old.sminL, cur.sminH, cur.sminL) && leS(cur.smaxH, cur.smaxL, old.smaxH, old.smaxL) &&
    old.u32minI >>> 0 <= cur.u32minI >>> 0 && cur.u32maxI >>> 0 <= old.u32maxI >>> 0 &&
    old.s32minI <= cur.s32minI && cur.s32maxI <= old.s32maxI &&
    tnumIn(old.t, cur.t)
  );
}

export function scalarEquals(a: Scalar, b: Scalar): boolean {
  return (
    a === b ||
    (a.t.vh === b.t.vh && a.t.vl === b.t.vl && a.t.mh === b.t.mh && a.t.ml === b.t.ml &&
      a.uminH === b.uminH && a.uminL === b.uminL && a.umaxH === b.umaxH && a.umaxL === b.umaxL &&
      a.sminH === b.sminH && a.sminL === b.sminL && a.smaxH === b.smaxH && a.smaxL === b.smaxL &&
      a.u32minI === b.u32minI && a.u32maxI === b.u32maxI && a.s32minI === b.s32minI && a.s32maxI === b.s32maxI)
  );
}

/** Intersection of two sets of values (both registers hold the same value, e.g. after `==`). */
export function scalarIntersect(a: Scalar, b: Scalar): Scalar | undefined {
  const t = tnumIntersect(a.t, b.t);
  if (!t) return undefined;
  const uMin = ltU(a.uminH, a.uminL, b.uminH, b.uminL) ? b : a;
  const uMax = ltU(a.umaxH, a.umaxL, b.umaxH, b.umaxL) ? a : b;
  const sMin = ltS(a.sminH, a.sminL, b.sminH, b.sminL) ? b : a;
  const sMax = ltS(a.smaxH, a.smaxL, b.smaxH, b.smaxL) ? a : b;
  return syncFields(
    t, uMin.uminH, uMin.uminL, uMax.umaxH, uMax.umaxL, sMin.sminH, sMin.sminL, sMax.smaxH, sMax.smaxL,
    Math.max(a.u32minI >>> 0, b.u32minI >>> 0), Math.min(a.u32maxI >>> 0, b.u32maxI >>> 0),
    Math.max(a.s32minI, b.s32minI), Math.min(a.s32maxI, b.s32maxI),
  );
}

// ---- reading bounds as numbers (memory checks against small limits) -------------------------

// Exact within ±2^53, the nearest double beyond (toNumU/toNumS): enough to compare with limits.
export const umaxNum = (s: Scalar): number => toNumU(s.umaxH, s.umaxL);
export const uminNum = (s: Scalar): number => toNumU(s.uminH, s.uminL);
export const sminNum = (s: Scalar): number => toNumS(s.sminH, s.sminL);
export const smaxNum = (s: Scalar): number => toNumS(s.smaxH, s.smaxL);
/** The value of a constant scalar, signed. */
export const constNumS = (s: Scalar): number => toNumS(s.t.vh, s.t.vl);
/** smin is the smallest 64-bit value (unbounded below). */
export const sminUnbounded = (s: Scalar): boolean => s.sminH === -0x80000000 && s.sminL === 0;
/** Is the scalar the constant `v` (a small non-negative integer)? */
export const isConstValue = (s: Scalar, v: number): boolean => s.t.mh === 0 && s.t.ml === 0 && s.t.vh === 0 && s.t.vl === v;

/** As the kernel's log prints a scalar: `0x2a`, or `scalar(umin=..,umax=..,var_off=..)`. */
export function scalarString(s: Scalar): string {
  if (isConst(s.t)) return `${BigInt.asIntN(64, s.t.value)}`;
  const parts: string[] = [];
  if (s.smin !== S64_MIN) parts.push(`smin=${s.smin}`);
  if (s.smax !== S64_MAX) parts.push(`smax=${s.smax}`);
  if (s.umin !== 0n) parts.push(`umin=${s.umin}`);
  if (s.umax !== U64) parts.push(`umax=${s.umax}`);
  if (s.s32min !== S32_MIN && s.s32min !== s.smin) parts.push(`smin32=${s.s32min}`);
  if (s.s32max !== S32_MAX && s.s32max !== s.smax) parts.push(`smax32=${s.s32max}`);
  if (s.u32min !== 0n && s.u32min !== s.umin) parts.push(`umin32=${s.u32min}`);
  if (s.u32max !== U32 && s.u32max !== s.umax) parts.push(`umax32=${s.u32max}`);
  if (s.t.mask !== U64) parts.push(`var_off=${tnumString(s.t)}`);
  return parts.join(",");
}
