// Soundness of scalar tracking: for random abstract values and random concrete members of them,
// every ALU result and every branch refinement must still contain the concrete outcome, and a
// branch declared decided must be decided for every member. The concrete semantics here are
// written independently of vm/verifier (RFC 9669 §4 with the kernel's choices).

import { describe, expect, test } from "vitest";
import { UNKNOWN, scalarConst, scalarFromFacts, scalarURange, type Scalar } from "../../vm/verifier/bounds.js";
import { branchTaken, refine, type Cond } from "../../vm/verifier/compare.js";
import { scalarAlu, scalarEnd, scalarMovsx, scalarNeg } from "../../vm/verifier/scalar-alu.js";
import { tnumIn, tnumConst, U64 } from "../../vm/verifier/tnum.js";
import type { AluName } from "../../vm/isa/table.js";

// A small deterministic PRNG (xorshift) so failures reproduce.
let seed = 0x2545f491;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

const INTERESTING = [0n, 1n, 2n, 7n, 8n, 255n, 256n, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, U64, U64 - 1n, (1n << 40n) + 3n];

function randomU64(): bigint {
  const r = rnd();
  if (r < 0.4) return pick(INTERESTING);
  if (r < 0.6) return BigInt(Math.floor(rnd() * 64));
  if (r < 0.8) return BigInt.asUintN(64, -BigInt(Math.floor(rnd() * 64)));
  return (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
}

const contains = (s: Scalar, v: bigint): boolean => {
  const u = BigInt.asUintN(64, v);
  const sv = BigInt.asIntN(64, u);
  const lo = u & 0xffffffffn;
  const slo = BigInt.asIntN(32, lo);
  return s.umin <= u && u <= s.umax && s.smin <= sv && sv <= s.smax && s.u32min <= lo && lo <= s.u32max &&
    s.s32min <= slo && slo <= s.s32max && tnumIn(s.t, tnumConst(u));
};

/** An abstract value and some of its members. */
function randomAbstract(): [Scalar, bigint[]] {
  const a = randomU64();
  const b = randomU64();
  const kind = Math.floor(rnd() * 5);
  let s: Scalar;
  let members: bigint[];
  if (kind === 0) {
    s = scalarConst(a);
    members = [a];
  } else if (kind === 1) {
    const [lo, hi] = a < b ? [a, b] : [b, a];
    s = scalarURange(lo, hi);
    members = [lo, hi, lo + (hi - lo) / 2n, lo + BigInt(Math.floor(rnd() * 1000)) % (hi - lo + 1n)];
  } else if (kind === 2) {
    const mask = pick([0xffn, 0xfff0n, 0xffffffffn, 7n, U64 ^ 7n]);
    s = scalarFromFacts({ t: { value: a & ~mask & U64, mask } })!;
    members = [a & ~mask & U64, (a & ~mask & U64) | mask, (a & ~mask & U64) | (b & mask)];
  } else if (kind === 3) {
    const lo = BigInt.asIntN(64, a) < BigInt.asIntN(64, b) ? BigInt.asIntN(64, a) : BigInt.asIntN(64, b);
    const hi = BigInt.asIntN(64, a) < BigInt.asIntN(64, b) ? BigInt.asIntN(64, b) : BigInt.asIntN(64, a);
    s = scalarFromFacts({ smin: lo, smax: hi })!;
    members = [lo, hi, lo + (hi - lo) / 3n].map((x) => BigInt.asUintN(64, x));
  } else {
    s = UNKNOWN;
    members = [a, b, 0n, U64];
  }
  return [s, members.filter((m) => contains(s, m))];
}

function concreteAlu(op: AluName, a: bigint, b: bigint, wide: boolean): bigint {
  const bits = wide ? 64 : 32;
  const u = (x: bigint): bigint => BigInt.asUintN(bits, x);
  const s = (x: bigint): bigint => BigInt.asIntN(bits, x);
  const x = u(a);
  const y = u(b);
  const sh = y & BigInt(bits - 1); // shift amounts are masked (RFC 9669 §4.1)
  switch (op) {
    case "add": return u(x + y);
    case "sub": return u(x - y);
    case "mul": return u(x * y);
    case "div": return y === 0n ? 0n : x / y;
    case "mod": return y === 0n ? x : x % y;
    case "sdiv": return y === 0n ? 0n : u(s(x) / s(y));
    case "smod": return y === 0n ? x : u(s(x) % s(y));
    case "or": return x | y;
    case "and": return x & y;
    case "xor": return x ^ y;
    case "lsh": return u(x << sh);
    case "rsh": return x >> sh;
    case "arsh": return u(s(x) >> sh);
    case "mov": return y;
  }
}

function concreteCond(cond: Cond, a: bigint, b: bigint, wide: boolean): boolean {
  const bits = wide ? 64 : 32;
  const x = BigInt.asUintN(bits, a);
  const y = BigInt.asUintN(bits, b);
  const sx = BigInt.asIntN(bits, a);
  const sy = BigInt.asIntN(bits, b);
  switch (cond) {
    case "jeq": return x === y;
    case "jne": return x !== y;
    case "jgt": return x > y;
    case "jge": return x >= y;
    case "jlt": return x < y;
    case "jle": return x <= y;
    case "jsgt": return sx > sy;
    case "jsge": return sx >= sy;
    case "jslt": return sx < sy;
    case "jsle": return sx <= sy;
    case "jset": return (x & y) !== 0n;
    case "jnset": return (x & y) === 0n;
  }
}

const OPS: AluName[] = ["add", "sub", "mul", "div", "mod", "sdiv", "smod", "or", "and", "xor", "lsh", "rsh", "arsh", "mov"];
const CONDS: Cond[] = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jset", "jnset"];

describe("scalar tracking is sound", () => {
  test("ALU results contain every concrete result", () => {
    let checked = 0;
    for (let n = 0; n < 4000; n++) {
      const [a, as] = randomAbstract();
      const [b, bs] = randomAbstract();
      const op = pick(OPS);
      const wide = rnd() < 0.6;
      const r = scalarAlu(op, a, b, wide);
      for (const x of as) for (const y of bs) {
        const v = concreteAlu(op, x, y, wide);
        checked++;
        if (!contains(r, v)) {
          expect.fail(`${op}${wide ? "" : "32"} ${x} ${y} = ${v} not in ${JSON.stringify(r, (_, w) => (typeof w === "bigint" ? w.toString() : w))}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(10000);
  });

  test("neg, movsx and byte swaps contain every concrete result", () => {
    for (let n = 0; n < 2000; n++) {
      const [a, as] = randomAbstract();
      const wide = rnd() < 0.5;
      for (const x of as) {
        expect(contains(scalarNeg(a, wide), concreteAlu("sub", 0n, x, wide))).toBe(true);
        const bits = pick([8, 16, 32] as const);
        const sx = BigInt.asUintN(64, BigInt.asIntN(bits, x));
        const want = wide ? sx : sx & 0xffffffffn;
        if (wide || bits !== 32) expect(contains(scalarMovsx(a, bits, wide), want)).toBe(true);
        const sw = pick([16, 32, 64] as const);
        const bytes = sw / 8;
        let swapped = 0n;
        for (let i = 0; i < bytes; i++) swapped = (swapped << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
        expect(contains(scalarEnd(a, "be", sw), swapped)).toBe(true);
        expect(contains(scalarEnd(a, "le", sw), BigInt.asUintN(sw, x))).toBe(true);
      }
    }
  });

  test("branch refinement keeps every member on the side it belongs to", () => {
    let decided = 0;
    for (let n = 0; n < 6000; n++) {
      const [a, as] = randomAbstract();
      const [b, bs] = randomAbstract();
      const cond = pick(CONDS);
      const wide = rnd() < 0.5;
      const taken = branchTaken(a, b, cond, wide);
      const r = refine(a, b, cond, wide);
      for (const x of as) for (const y of bs) {
        const holds = concreteCond(cond, x, y, wide);
        if (taken !== undefined) {
          decided++;
          expect(holds, `${cond} ${x} ${y} decided ${taken}`).toBe(taken);
        }
        if (holds) {
          expect(r, `${cond}${wide ? "" : "32"} ${x} ${y} holds but refined to infeasible`).toBeDefined();
          expect(contains(r![0], x) && contains(r![1], y), `${cond}${wide ? "" : "32"} ${x} ${y} lost`).toBe(true);
        }
      }
    }
    expect(decided).toBeGreaterThan(100);
  });
});
