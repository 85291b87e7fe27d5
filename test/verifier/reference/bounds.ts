// Scalar value tracking: a tnum (known bits) plus unsigned and signed ranges at 64 and 32 bits,
// kept coherent with each other after every step — the ideas of the kernel's
// reg_bounds_sync() (__update_reg_bounds, __reg_deduce_bounds, __reg_bound_offset).
//
// Each range is a sound over-approximation of the set of values a register may hold; each
// refinement only intersects. A Scalar is immutable: operations return new ones, so states can
// share them freely.

import {
  TNUM_UNKNOWN, U32, U64, isConst, tnumCast, tnumConst, tnumIntersect, tnumIn, tnumRange,
  tnumString, tnumWithSubreg, type Tnum,
} from "./tnum.js";

export interface Scalar {
  readonly t: Tnum;
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
  readonly u32min: bigint;
  readonly u32max: bigint;
  readonly s32min: bigint;
  readonly s32max: bigint;
}

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);

export const UNKNOWN: Scalar = {
  t: TNUM_UNKNOWN, umin: 0n, umax: U64, smin: S64_MIN, smax: S64_MAX,
  u32min: 0n, u32max: U32, s32min: S32_MIN, s32max: S32_MAX,
};

/** A known constant (given as any bigint; stored as its 64-bit pattern). */
export function scalarConst(v: bigint): Scalar {
  const u = v & U64;
  const lo = u & U32;
  return {
    t: tnumConst(u), umin: u, umax: u, smin: s64(u), smax: s64(u),
    u32min: lo, u32max: lo, s32min: s32(lo), s32max: s32(lo),
  };
}

export const ZERO = scalarConst(0n);

export const scalarIsConst = (s: Scalar): boolean => isConst(s.t);

/** Every 64-bit value in [lo, hi] (unsigned). */
export const scalarURange = (lo: bigint, hi: bigint): Scalar =>
  sync({ ...UNKNOWN, t: tnumRange(lo, hi), umin: lo, umax: hi }) ?? UNKNOWN;

/**
 * Make all nine facts agree; undefined when they contradict (the state is infeasible, e.g. the
 * branch of a comparison that cannot be taken). Two rounds reach the fixpoint in practice; the
 * kernel runs its deductions a fixed number of times too.
 */
export function sync(s: Scalar): Scalar | undefined {
  let r: Scalar | undefined = s;
  for (let i = 0; i < 2 && r; i++) r = syncOnce(r);
  return r && consistent(r) ? r : undefined;
}

function consistent(s: Scalar): boolean {
  return s.umin <= s.umax && s.smin <= s.smax && s.u32min <= s.u32max && s.s32min <= s.s32max;
}

function syncOnce(s: Scalar): Scalar | undefined {
  let { t, umin, umax, smin, smax, u32min, u32max, s32min, s32max } = s;
  // Ranges from known bits (__update_reg_bounds).
  const sign = 1n << 63n;
  umin = max(umin, t.value);
  umax = min(umax, t.value | t.mask);
  smin = max(smin, s64(t.value | (t.mask & sign)));
  smax = min(smax, s64(t.value | (t.mask & (U64 ^ sign))));
  const t32 = tnumCast(t, 4);
  const sign32 = 1n << 31n;
  u32min = max(u32min, t32.value);
  u32max = min(u32max, t32.value | t32.mask);
  s32min = max(s32min, s32(t32.value | (t32.mask & sign32)));
  s32max = min(s32max, s32(t32.value | (t32.mask & (U32 ^ sign32))));
  // 32-bit facts from 64-bit ranges whose upper halves agree (__reg32_deduce_bounds).
  if (umin >> 32n === umax >> 32n) {
    u32min = max(u32min, umin & U32);
    u32max = min(u32max, umax & U32);
    if (s32(umin) <= s32(umax)) {
      s32min = max(s32min, s32(umin));
      s32max = min(s32max, s32(umax));
    }
  }
  if (smin >> 32n === smax >> 32n) {
    if ((smin & U32) <= (smax & U32)) {
      u32min = max(u32min, smin & U32);
      u32max = min(u32max, smax & U32);
    }
    if (s32(smin) <= s32(smax)) {
      s32min = max(s32min, s32(smin));
      s32max = min(s32max, s32(smax));
    }
  }
  // Upper halves a sequence of two, the low half going from negative to non-negative.
  const hi = (v: bigint): bigint => (v >> 32n) & U32;
  if (((hi(umin) + 1n) & U32) === hi(umax) && s32(umin) < 0n && s32(umax) >= 0n) {
    s32min = max(s32min, s32(umin));
    s32max = min(s32max, s32(umax));
  }
  if (((hi(smin) + 1n) & U32) === hi(smax) && s32(smin) < 0n && s32(smax) >= 0n) {
    s32min = max(s32min, s32(smin));
    s32max = min(s32max, s32(smax));
  }
  // If the u32 range forms a valid s32 range, then the s32 range from it; if the s32 range does
  // not cross the sign, the u32 range from it; else cut it to the side the u32 range meets. (The
  // kernel tests (u32)s32_min <= (u32)s32_max, the same for consistent ranges: an inconsistent
  // one, found infeasible here, is left so rather than cut.)
  if (s32(u32min) <= s32(u32max)) {
    s32min = max(s32min, s32(u32min));
    s32max = min(s32max, s32(u32max));
  }
  if (s32min >= 0n || s32max < 0n) {
    u32min = max(u32min, s32min & U32);
    u32max = min(u32max, s32max & U32);
  } else if (u32max < (s32min & U32)) {
    s32min = s32(u32min);
    u32max = min(u32max, s32max & U32);
  } else if ((s32max & U32) < u32min) {
    s32max = s32(u32max);
    u32min = max(u32min, s32min & U32);
  }
  // Same at 64 bits (__reg64_deduce_bounds).
  if (s64(umin) <= s64(umax)) {
    smin = max(smin, s64(umin));
    smax = min(smax, s64(umax));
  }
  if (smin >= 0n || smax < 0n) {
    umin = max(umin, smin & U64);
    umax = min(umax, smax & U64);
  } else if (umax < (smin & U64)) {
    smin = s64(umin);
    umax = min(umax, smax & U64);
  } else if ((smax & U64) < umin) {
    smax = s64(umax);
    umin = max(umin, smin & U64);
  }
  // 64-bit bounds from the 32-bit ones: the low half of every value lies in [u32min, u32max]
  // (__reg_deduce_mixed_bounds).
  if (umin <= umax) {
    umin = max(umin, (umin & ~U32) | u32min);
    umax = min(umax, (umax & ~U32) | u32max);
  }
  if (smin <= smax && u32min <= u32max) {
    smin = max(smin, (smin & ~U32) | u32min);
    smax = min(smax, (smax & ~U32) | u32max);
  }
  if (umin > umax || smin > smax || u32min > u32max || s32min > s32max) return undefined;
  // Known bits from the ranges (__reg_bound_offset).
  const tr = tnumIntersect(t, tnumRange(umin, umax));
  if (!tr) return undefined;
  const r32 = tnumRange(u32min, u32max);
  const t2 = tnumIntersect(tr, tnumWithSubreg(TNUM_UNKNOWN, r32));
  if (!t2) return undefined;
  return { t: t2, umin, umax, smin, smax, u32min, u32max, s32min, s32max };
}

/** The facts of `s` narrowed to its low 32 bits, zero-extended (a 32-bit ALU result). */
export function zext32(s: Scalar): Scalar {
  return sync({
    t: tnumCast(s.t, 4), umin: s.u32min, umax: s.u32max, smin: s.u32min, smax: s.u32max,
    u32min: s.u32min, u32max: s.u32max, s32min: s.s32min, s32max: s.s32max,
  }) ?? scalarURange(0n, U32);
}

/** old ⊇ cur: every value cur may hold, old may hold too (for state pruning). */
export function scalarWithin(old: Scalar, cur: Scalar): boolean {
  return (
    old.umin <= cur.umin && cur.umax <= old.umax &&
    old.smin <= cur.smin && cur.smax <= old.smax &&
    old.u32min <= cur.u32min && cur.u32max <= old.u32max &&
    old.s32min <= cur.s32min && cur.s32max <= old.s32max &&
    tnumIn(old.t, cur.t)
  );
}

export function scalarEquals(a: Scalar, b: Scalar): boolean {
  return (
    a.t.value === b.t.value && a.t.mask === b.t.mask && a.umin === b.umin && a.umax === b.umax &&
    a.smin === b.smin && a.smax === b.smax && a.u32min === b.u32min && a.u32max === b.u32max &&
    a.s32min === b.s32min && a.s32max === b.s32max
  );
}

/** Intersection of two sets of values (both registers hold the same value, e.g. after `==`). */
export function scalarIntersect(a: Scalar, b: Scalar): Scalar | undefined {
  const t = tnumIntersect(a.t, b.t);
  if (!t) return undefined;
  return sync({
    t,
    umin: max(a.umin, b.umin), umax: min(a.umax, b.umax),
    smin: max(a.smin, b.smin), smax: min(a.smax, b.smax),
    u32min: max(a.u32min, b.u32min), u32max: min(a.u32max, b.u32max),
    s32min: max(a.s32min, b.s32min), s32max: min(a.s32max, b.s32max),
  });
}

/** As the kernel's log prints a scalar: `0x2a`, or `scalar(umin=..,umax=..,var_off=..)`. */
export function scalarString(s: Scalar): string {
  if (isConst(s.t)) return `${s64(s.t.value)}`;
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
