// A small seeded PRNG for the fuzzer: the same seed gives the same programs and inputs on every
// machine and every run, so a failure is reproduced by its seed alone. sfc32 (Chris Doty-Humphrey's
// "small fast counting" generator) seeded through splitmix32: fast in pure 32-bit JavaScript
// arithmetic and good enough for test generation (not for anything cryptographic).

/** 32-bit signed edge values for immediates: RFC 9669's corner cases live at these. */
export const EDGE_IMM32: readonly number[] = [
  0, 1, -1, 2, -2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
  0x7fffffff, -0x80000000, -0x7fffffff, 0x12345678, -0x12345678,
];

/** 64-bit edge values (for lddw and inputs). */
export const EDGE_U64: readonly bigint[] = [
  0n, 1n, 0xffffffffffffffffn, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffn, 0x80000000n, 0x7fffffffn,
  0x100000000n, 0xffffffff00000000n, 0xffffffff80000000n, 0x00000000ffff0000n, 0xffn, 0x80n, 0x8000n, 0xffffn,
  0x0123456789abcdefn, 0xfedcba9876543210n, 63n, 64n, 32n, 0xffffffffffffff80n,
];

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const mix = splitmix32(seed);
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniformly random u32. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** Pick by weight: entries are [weight, value]. */
  weighted<T>(entries: ReadonlyArray<readonly [number, T]>): T {
    const total = entries.reduce((sum, [w]) => sum + w, 0);
    let at = this.u32() / 0x100000000 * total;
    for (const [w, value] of entries) {
      if (at < w) return value;
      at -= w;
    }
    return entries[entries.length - 1]![1];
  }

  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }

  /** A 32-bit signed immediate, edge values half the time. */
  imm32(): number {
    return this.chance(0.5) ? this.pick(EDGE_IMM32) : this.u32() | 0;
  }

  /** A 64-bit value: an edge value, a small number or anything. */
  value64(): bigint {
    const kind = this.int(4);
    if (kind === 0) return this.pick(EDGE_U64);
    if (kind === 1) return BigInt.asUintN(64, BigInt(this.range(-64, 64)));
    return this.u64();
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}
