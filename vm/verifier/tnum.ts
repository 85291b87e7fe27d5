// Tristate numbers ("tnums", kernel/bpf/tnum.c): what is known about the bits of a 64-bit value.
// A bit is known when its `mask` bit is 0, and then it equals the `value` bit; a bit whose mask
// bit is 1 is unknown (and its value bit is 0). Value and mask are 64-bit pairs of int32 halves
// (u64.ts); `value` and `mask` read them as unsigned bigints (messages, tests).
//
// The operations are the kernel's ideas (Vishwanathan et al., "Sound, Precise, and Fast Abstract
// Interpretation with Tristate Numbers", CGO'22 for add/sub/mul), written afresh here.

import { P, add64, bitLength64, fromBig, sar64, shl64, shr64, sub64, toBigU } from "./u64.js";

export class Tnum {
  constructor(
    readonly vh: number,
    readonly vl: number,
    readonly mh: number,
    readonly ml: number,
  ) {}

  get value(): bigint {
    return toBigU(this.vh, this.vl);
  }

  get mask(): bigint {
    return toBigU(this.mh, this.ml);
  }
}

export const U64 = 0xffff_ffff_ffff_ffffn;
export const U32 = 0xffff_ffffn;

export const TNUM_UNKNOWN = new Tnum(0, 0, -1, -1);
/** The low 32 bits unknown, the high 32 known zero. */
export const TNUM_UNKNOWN32 = new Tnum(0, 0, 0, -1);
export const TNUM_ZERO = new Tnum(0, 0, 0, 0);

export const tnumConstHL = (h: number, l: number): Tnum => new Tnum(h, l, 0, 0);

/** A known value (any bigint, taken mod 2^64). */
export function tnumConst(value: bigint): Tnum {
  fromBig(value);
  return new Tnum(P.h, P.l, 0, 0);
}

/** A tnum from bigint value and mask (tests, messages): value bits under the mask are dropped. */
export function tnumOf(value: bigint, mask: bigint): Tnum {
  fromBig(mask);
  const mh = P.h;
  const ml = P.l;
  fromBig(value);
  return new Tnum(P.h & ~mh, P.l & ~ml, mh, ml);
}

/** The tnum of every value in the unsigned range [min, max]. */
export function tnumRange(minH: number, minL: number, maxH: number, maxL: number): Tnum {
  const bits = bitLength64(minH ^ maxH, minL ^ maxL);
  if (bits > 63) return TNUM_UNKNOWN;
  // delta = 2^bits - 1
  const dh = bits > 32 ? -1 >>> (64 - bits) | 0 : 0;
  const dl = bits >= 32 ? -1 : bits === 0 ? 0 : -1 >>> (32 - bits) | 0;
  return new Tnum(minH & ~dh, minL & ~dl, dh, dl);
}

export const isConst = (a: Tnum): boolean => a.mh === 0 && a.ml === 0;
export const isUnknown = (a: Tnum): boolean => a.mh === -1 && a.ml === -1;

export function tnumLshift(a: Tnum, s: number): Tnum {
  shl64(a.vh, a.vl, s);
  const vh = P.h;
  const vl = P.l;
  shl64(a.mh, a.ml, s);
  return new Tnum(vh, vl, P.h, P.l);
}

export function tnumRshift(a: Tnum, s: number): Tnum {
  shr64(a.vh, a.vl, s);
  const vh = P.h;
  const vl = P.l;
  shr64(a.mh, a.ml, s);
  return new Tnum(vh, vl, P.h, P.l);
}

/** Arithmetic right shift within `bits` (32 or 64): the sign bit and its mask bit are replicated. */
export function tnumArshift(a: Tnum, s: number, bits: 32 | 64): Tnum {
  if (bits === 32) return new Tnum(0, a.vl >> s, 0, a.ml >> s);
  sar64(a.vh, a.vl, s);
  const vh = P.h;
  const vl = P.l;
  sar64(a.mh, a.ml, s);
  return new Tnum(vh, vl, P.h, P.l);
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  add64(a.mh, a.ml, b.mh, b.ml);
  const smh = P.h;
  const sml = P.l;
  add64(a.vh, a.vl, b.vh, b.vl);
  const svh = P.h;
  const svl = P.l;
  add64(smh, sml, svh, svl); // sigma
  const muh = (P.h ^ svh) | a.mh | b.mh;
  const mul = (P.l ^ svl) | a.ml | b.ml;
  return new Tnum(svh & ~muh, svl & ~mul, muh, mul);
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  sub64(a.vh, a.vl, b.vh, b.vl);
  const dvh = P.h;
  const dvl = P.l;
  add64(dvh, dvl, a.mh, a.ml);
  const alh = P.h;
  const all = P.l;
  sub64(dvh, dvl, b.mh, b.ml);
  const muh = (alh ^ P.h) | a.mh | b.mh;
  const mul = (all ^ P.l) | a.ml | b.ml;
  return new Tnum(dvh & ~muh, dvl & ~mul, muh, mul);
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const vh = a.vh & b.vh;
  const vl = a.vl & b.vl;
  return new Tnum(vh, vl, (a.vh | a.mh) & (b.vh | b.mh) & ~vh, (a.vl | a.ml) & (b.vl | b.ml) & ~vl);
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const vh = a.vh | b.vh;
  const vl = a.vl | b.vl;
  return new Tnum(vh, vl, (a.mh | b.mh) & ~vh, (a.ml | b.ml) & ~vl);
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const muh = a.mh | b.mh;
  const mul = a.ml | b.ml;
  return new Tnum((a.vh ^ b.vh) & ~muh, (a.vl ^ b.vl) & ~mul, muh, mul);
}

/** Multiplication by long multiplication over the bits of `a` (kernel tnum_mul, v6.2+). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  fromBig(BigInt.asUintN(64, a.value * b.value));
  const accV = new Tnum(P.h, P.l, 0, 0);
  let accM = TNUM_ZERO;
  let x = a;
  let y = b;
  while (x.vh !== 0 || x.vl !== 0 || x.mh !== 0 || x.ml !== 0) {
    if ((x.vl & 1) !== 0) accM = tnumAdd(accM, new Tnum(0, 0, y.mh, y.ml));
    else if ((x.ml & 1) !== 0) accM = tnumAdd(accM, new Tnum(0, 0, y.vh | y.mh, y.vl | y.ml));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return tnumAdd(accV, accM);
}

/** Both a and b hold: the bits known in either. Undefined when they contradict. */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum | undefined {
  if (((a.vh ^ b.vh) & ~a.mh & ~b.mh) !== 0 || ((a.vl ^ b.vl) & ~a.ml & ~b.ml) !== 0) return undefined;
  const muh = a.mh & b.mh;
  const mul = a.ml & b.ml;
  return new Tnum((a.vh | b.vh) & ~muh, (a.vl | b.vl) & ~mul, muh, mul);
}

/** Every value of b is a value of a (b ⊆ a). */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mh & ~a.mh) !== 0 || (b.ml & ~a.ml) !== 0) return false;
  return (b.vh & ~a.mh) === a.vh && (b.vl & ~a.ml) === a.vl;
}

/** Truncate to the low `bytes` bytes. */
export function tnumCast(a: Tnum, bytes: 1 | 2 | 4 | 8): Tnum {
  switch (bytes) {
    case 8: return a;
    case 4: return a.vh === 0 && a.mh === 0 ? a : new Tnum(0, a.vl, 0, a.ml);
    case 2: return new Tnum(0, a.vl & 0xffff, 0, a.ml & 0xffff);
    case 1: return new Tnum(0, a.vl & 0xff, 0, a.ml & 0xff);
  }
}

/** Replace the low 32 bits by those of `low` (used to merge 32-bit knowledge into 64 bits). */
export const tnumWithSubreg = (a: Tnum, low: Tnum): Tnum => new Tnum(a.vh, low.vl, a.mh, low.ml);

export const tnumEquals = (a: Tnum, b: Tnum): boolean => a.vh === b.vh && a.vl === b.vl && a.mh === b.mh && a.ml === b.ml;

/** As the kernel prints it: `(0x0; 0xff)` = (value; mask). */
export const tnumString = (a: Tnum): string => `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
