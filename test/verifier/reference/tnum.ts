// Tristate numbers ("tnums", kernel/bpf/tnum.c): what is known about the bits of a 64-bit value.
// A bit is known when its `mask` bit is 0, and then it equals the `value` bit; a bit whose mask
// bit is 1 is unknown (and its value bit is 0). All values are unsigned 64-bit bigints.
//
// The operations are the kernel's ideas (Vishwanathan et al., "Sound, Precise, and Fast Abstract
// Interpretation with Tristate Numbers", CGO'22 for add/sub/mul), written afresh here.

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64 = 0xffff_ffff_ffff_ffffn;
export const U32 = 0xffff_ffffn;
const HI32 = U64 ^ U32;

const u64 = (x: bigint): bigint => x & U64;

export const tnumConst = (value: bigint): Tnum => ({ value: u64(value), mask: 0n });
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64 };

/** Bit length of x (0 for 0): position of the highest set bit plus one. */
function fls(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The tnum of every value in the unsigned range [min, max]. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const bits = fls(min ^ max);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: min & ~delta & U64, mask: delta };
}

export const isConst = (a: Tnum): boolean => a.mask === 0n;
export const isUnknown = (a: Tnum): boolean => a.mask === U64;

export const tnumLshift = (a: Tnum, s: number): Tnum => ({
  value: u64(a.value << BigInt(s)),
  mask: u64(a.mask << BigInt(s)),
});

export const tnumRshift = (a: Tnum, s: number): Tnum => ({ value: a.value >> BigInt(s), mask: a.mask >> BigInt(s) });

/** Arithmetic right shift within `bits` (32 or 64): the sign bit and its mask bit are replicated. */
export function tnumArshift(a: Tnum, s: number, bits: 32 | 64): Tnum {
  const sx = (x: bigint): bigint => BigInt.asIntN(bits, x) >> BigInt(s);
  const width = bits === 64 ? U64 : U32;
  return { value: sx(a.value) & width, mask: sx(a.mask) & width };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const mu = (sigma ^ sv) | a.mask | b.mask;
  return { value: sv & ~mu & U64, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const mu = (alpha ^ beta) | a.mask | b.mask;
  return { value: dv & ~mu & U64, mask: mu };
}

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64 };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  return { value: v, mask: (a.mask | b.mask) & ~v & U64 };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask;
  return { value: (a.value ^ b.value) & ~mu & U64, mask: mu };
}

/** Multiplication by long multiplication over the bits of `a` (kernel tnum_mul, v6.2+). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  const accV = u64(a.value * b.value);
  let accM: Tnum = { value: 0n, mask: 0n };
  let x = a;
  let y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if ((x.value & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: y.mask });
    else if ((x.mask & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: y.value | y.mask });
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return tnumAdd({ value: accV, mask: 0n }, accM);
}

/** Both a and b hold: the bits known in either. Undefined when they contradict. */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum | undefined {
  if (((a.value ^ b.value) & ~a.mask & ~b.mask & U64) !== 0n) return undefined;
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64, mask: mu };
}

/** Every value of b is a value of a (b ⊆ a). */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask & U64) !== 0n) return false;
  return (b.value & ~a.mask & U64) === a.value;
}

/** Truncate to the low `bytes` bytes. */
export function tnumCast(a: Tnum, bytes: 1 | 2 | 4 | 8): Tnum {
  if (bytes === 8) return a;
  const m = (1n << BigInt(bytes * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

/** Replace the low 32 bits by those of `low` (used to merge 32-bit knowledge into 64 bits). */
export const tnumWithSubreg = (a: Tnum, low: Tnum): Tnum => ({
  value: (a.value & HI32) | (low.value & U32),
  mask: (a.mask & HI32) | (low.mask & U32),
});

export const tnumEquals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;

/** As the kernel prints it: `(0x0; 0xff)` = (value; mask). */
export const tnumString = (a: Tnum): string => `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
