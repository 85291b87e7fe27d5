// 64-bit integers as two int32 halves (h, l): the unsigned value is (h >>> 0) * 2^32 + (l >>> 0),
// the signed one h * 2^32 + (l >>> 0). The verifier's scalar facts (tnum.ts, bounds.ts) are kept
// this way because int32 numbers are V8 small integers: computing with and storing them
// allocates nothing, where every BigInt operation allocates (BigInt made the verifier several
// times slower than the kernel's; see bench/micro/verifier.ts).
//
// Halves are always stored as int32 (`x | 0`); `>>> 0` reads one as unsigned. Operations with a
// 64-bit result leave it in `P` (read it right after the call).

/** The result of the last pair operation. */
export const P = { h: 0, l: 0 };

const TWO32 = 4294967296;

/** a < b, unsigned. */
export function ltU(ah: number, al: number, bh: number, bl: number): boolean {
  return ah !== bh ? ah >>> 0 < bh >>> 0 : al >>> 0 < bl >>> 0;
}

/** a <= b, unsigned. */
export function leU(ah: number, al: number, bh: number, bl: number): boolean {
  return ah !== bh ? ah >>> 0 < bh >>> 0 : al >>> 0 <= bl >>> 0;
}

/** a < b, signed (h as int32). */
export function ltS(ah: number, al: number, bh: number, bl: number): boolean {
  return ah !== bh ? ah < bh : al >>> 0 < bl >>> 0;
}

/** a <= b, signed. */
export function leS(ah: number, al: number, bh: number, bl: number): boolean {
  return ah !== bh ? ah < bh : al >>> 0 <= bl >>> 0;
}

/** P = a + b mod 2^64; returns the carry out of bit 63 (1 when the unsigned sum wrapped). */
export function add64(ah: number, al: number, bh: number, bl: number): number {
  const lo = (al >>> 0) + (bl >>> 0);
  const hi = (ah >>> 0) + (bh >>> 0) + (lo >= TWO32 ? 1 : 0);
  P.l = lo | 0;
  P.h = hi | 0;
  return hi >= TWO32 ? 1 : 0;
}

/** P = a - b mod 2^64; returns the borrow (1 when a < b unsigned). */
export function sub64(ah: number, al: number, bh: number, bl: number): number {
  const lo = (al >>> 0) - (bl >>> 0);
  const hi = (ah >>> 0) - (bh >>> 0) - (lo < 0 ? 1 : 0);
  P.l = lo | 0;
  P.h = hi | 0;
  return hi < 0 ? 1 : 0;
}

/** P = a << s, 0 <= s <= 63. */
export function shl64(h: number, l: number, s: number): void {
  if (s === 0) {
    P.h = h;
    P.l = l;
  } else if (s < 32) {
    P.h = (h << s) | (l >>> (32 - s));
    P.l = l << s;
  } else {
    P.h = l << (s - 32);
    P.l = 0;
  }
}

/** P = a >>> s (logical), 0 <= s <= 63. */
export function shr64(h: number, l: number, s: number): void {
  if (s === 0) {
    P.h = h;
    P.l = l;
  } else if (s < 32) {
    P.l = (l >>> s) | (h << (32 - s));
    P.h = h >>> s | 0;
  } else {
    P.l = h >>> (s - 32) | 0;
    P.h = 0;
  }
}

/** P = a >> s (arithmetic), 0 <= s <= 63. */
export function sar64(h: number, l: number, s: number): void {
  if (s === 0) {
    P.h = h;
    P.l = l;
  } else if (s < 32) {
    P.l = (l >>> s) | (h << (32 - s));
    P.h = h >> s;
  } else {
    P.l = h >> (s - 32);
    P.h = h >> 31;
  }
}

/** Bit length (position of the highest set bit plus one; 0 for 0). */
export function bitLength64(h: number, l: number): number {
  return h !== 0 ? 64 - Math.clz32(h) : 32 - Math.clz32(l);
}

export const toBigU = (h: number, l: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
export const toBigS = (h: number, l: number): bigint => (BigInt(h) << 32n) | BigInt(l >>> 0);

/** P = the 64-bit pattern of v (any bigint, taken mod 2^64). */
export function fromBig(v: bigint): void {
  P.l = Number(BigInt.asUintN(32, v)) | 0;
  P.h = Number(BigInt.asUintN(32, v >> 32n)) | 0;
}

/**
 * The signed value as a JS number: exact within ±2^53, else the nearest double (as Number() of
 * the bigint; rounding keeps the order, so comparisons with small limits stay right).
 */
export const toNumS = (h: number, l: number): number => h * TWO32 + (l >>> 0);

/** The unsigned value as a JS number (exact below 2^53, else the nearest double). */
export const toNumU = (h: number, l: number): number => (h >>> 0) * TWO32 + (l >>> 0);
