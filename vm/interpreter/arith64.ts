// 64-bit arithmetic on registers held as two int32 halves (lo, hi), for the operations that are
// not a line or two in the dispatch loop: multiplication and the division family. Results go to
// RES[0] (lo) and RES[1] (hi) so that no object is allocated per instruction.
//
// Division and modulo follow RFC 9669 §4.1 and the kernel: x / 0 = 0, x % 0 = x, and the signed
// forms truncate toward zero with LLONG_MIN / -1 = LLONG_MIN and LLONG_MIN % -1 = 0. Operands that
// fit in 32 bits (the common case) take an exact double-precision path; wider ones use BigInt.

/** Scratch result of the functions below: [lo, hi]. */
export const RES = new Int32Array(2);

const TWO32 = 4294967296;

export function toU64(lo: number, hi: number): bigint {
  if (hi === 0) return BigInt(lo >>> 0);
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function toS64(lo: number, hi: number): bigint {
  return BigInt.asIntN(64, toU64(lo, hi));
}

/** Store a BigInt (taken modulo 2^64) into RES. */
export function fromBig(v: bigint): void {
  RES[0] = Number(v & 0xffffffffn) | 0;
  RES[1] = Number((v >> 32n) & 0xffffffffn) | 0;
}

/** Low 64 bits of a × b. */
export function mul64(alo: number, ahi: number, blo: number, bhi: number): void {
  const a = alo >>> 0;
  const b = blo >>> 0;
  const p = a * b;
  let lo: number;
  let hi: number;
  if (p <= Number.MAX_SAFE_INTEGER) {
    lo = p | 0; // ToInt32 is exact modulo 2^32 for integers below 2^53
    hi = (p * 2 ** -32) | 0; // exact: a power of two
  } else {
    // 16-bit limbs: every partial product is exact in a double.
    const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
    const mid = a0 * b1 + a1 * b0; // < 2^33
    const low = a0 * b0 + (mid % 65536) * 65536; // < 2^33
    lo = low | 0;
    hi = (a1 * b1 + Math.floor(mid / 65536) + Math.floor(low / TWO32)) | 0;
  }
  RES[0] = lo;
  RES[1] = (hi + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
}

/** Unsigned a / b (b = 0 gives 0). */
export function divU64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    RES[0] = 0;
    RES[1] = 0;
  } else if (ahi === 0 && bhi === 0) {
    RES[0] = ((alo >>> 0) / (blo >>> 0)) >>> 0; // exact: see the note on u32 division below
    RES[1] = 0;
  } else {
    fromBig(toU64(alo, ahi) / toU64(blo, bhi));
  }
}

/** Unsigned a % b (b = 0 leaves a). */
export function modU64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    RES[0] = alo;
    RES[1] = ahi;
  } else if (ahi === 0 && bhi === 0) {
    RES[0] = (alo >>> 0) % (blo >>> 0);
    RES[1] = 0;
  } else {
    fromBig(toU64(alo, ahi) % toU64(blo, bhi));
  }
}

/** Signed a / b, truncating (b = 0 gives 0; LLONG_MIN / -1 = LLONG_MIN). */
export function divS64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    RES[0] = 0;
    RES[1] = 0;
  } else if (ahi === alo >> 31 && bhi === blo >> 31) {
    // Both are sign-extended int32: the quotient is exact in a double and within ±2^31.
    const q = Math.trunc(alo / blo);
    RES[0] = q | 0;
    RES[1] = q < 0 ? -1 : 0;
  } else {
    fromBig(toS64(alo, ahi) / toS64(blo, bhi)); // BigInt division truncates; 2^63 wraps to LLONG_MIN
  }
}

/** Signed a % b, sign of the dividend (b = 0 leaves a; LLONG_MIN % -1 = 0). */
export function modS64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    RES[0] = alo;
    RES[1] = ahi;
  } else if (ahi === alo >> 31 && bhi === blo >> 31) {
    const r = alo % blo; // |r| < 2^31; -0 becomes 0 below
    RES[0] = r | 0;
    RES[1] = r < 0 ? -1 : 0;
  } else {
    fromBig(toS64(alo, ahi) % toS64(blo, bhi));
  }
}

// Note on u32 division: for a, b < 2^32 the double quotient a / b rounds to an integer n only
// if |a/b - n| < n·2^-53, i.e. |a - n·b| < a·2^-53 < 1, so the floor is exact.

/** Reverse the bytes of a 32-bit value. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}
