// The scalar domain (vm/verifier bounds/tnum/views/scalar-alu/compare) keeps its facts in int32
// pairs for speed (u64.ts). test/verifier/reference/ holds the same rules written with BigInt,
// straight after the kernel's: here both are run on the same random abstract values and must
// give exactly the same facts — every sync, ALU op at both widths, branch decision and
// refinement. bounds.test.ts checks soundness against concrete values; this checks that the
// fast representation computes what the simple one does.

import { describe, expect, test } from "vitest";
import { scalarFromFacts, scalarIntersect, scalarWithin, zext32, type Scalar } from "../../vm/verifier/bounds.js";
import { branchTaken, refine, type Cond } from "../../vm/verifier/compare.js";
import { scalarAlu, scalarEnd, scalarMovsx, scalarNeg } from "../../vm/verifier/scalar-alu.js";
import type { AluName } from "../../vm/isa/table.js";
import * as R from "./reference/bounds.js";
import * as RC from "./reference/compare.js";
import * as RA from "./reference/scalar-alu.js";

let seed = Number(process.env["VERIFIER_EQUIV_SEED"] ?? 0x1b873593) | 0 || 1;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const U64 = (1n << 64n) - 1n;
const U32 = 0xffffffffn;

const EDGES = [0n, 1n, 2n, 3n, 7n, 8n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n,
  0xffffffffn, 0x100000000n, 0x1_0000_0001n, 0x7fffffffffffffffn, 0x8000000000000000n, U64, U64 - 1n, U64 - 0xffn,
  0xffffffff00000000n, 0xffffffff80000000n, (1n << 40n) + 3n];

function randomU64(): bigint {
  const r = rnd();
  if (r < 0.35) return pick(EDGES);
  if (r < 0.5) return pick(EDGES) + BigInt(Math.floor(rnd() * 5)) - 2n & U64;
  if (r < 0.65) return BigInt(Math.floor(rnd() * 300));
  if (r < 0.75) return BigInt.asUintN(64, -BigInt(Math.floor(rnd() * 300)));
  if (r < 0.85) return BigInt(Math.floor(rnd() * 2 ** 32));
  return (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
}

const sorted = (a: bigint, b: bigint): [bigint, bigint] => (a <= b ? [a, b] : [b, a]);

/** Random facts (bigints), each within its range; any subset of them. */
function randomFacts(): R.Scalar {
  const f: Record<string, bigint> = {};
  let t: { value: bigint; mask: bigint } | undefined;
  const kind = Math.floor(rnd() * 8);
  if (kind === 0) {
    const v = randomU64();
    t = { value: v, mask: 0n };
  } else {
    if (rnd() < 0.4) {
      const mask = pick([0xffn, 0xfff0n, 0xffffffffn, 7n, U64 ^ 7n, U64, 0xffffffff00000000n, 0x8000000000000000n, 1n, randomU64()]);
      t = { value: randomU64() & ~mask & U64, mask };
    }
    if (rnd() < 0.5) [f["umin"], f["umax"]] = sorted(randomU64(), randomU64());
    if (rnd() < 0.4) [f["smin"], f["smax"]] = sorted(BigInt.asIntN(64, randomU64()), BigInt.asIntN(64, randomU64()));
    if (rnd() < 0.3) [f["u32min"], f["u32max"]] = sorted(randomU64() & U32, randomU64() & U32);
    if (rnd() < 0.3) [f["s32min"], f["s32max"]] = sorted(BigInt.asIntN(32, randomU64()), BigInt.asIntN(32, randomU64()));
  }
  return { ...R.UNKNOWN, ...(t ? { t } : {}), ...f } as R.Scalar;
}

/** Results of earlier ops, in both representations: operands as the verifier meets them. */
const pool: Array<[R.Scalar, Scalar]> = [];
const remember = (ref: R.Scalar | undefined, fast: Scalar | undefined): void => {
  if (!ref || !fast) return;
  if (pool.length < 512) pool.push([ref, fast]);
  else pool[Math.floor(rnd() * pool.length)] = [ref, fast];
};

/** The same abstract value in both representations (undefined when the facts contradict). */
function pair(): [R.Scalar, Scalar] | undefined {
  if (pool.length > 0 && rnd() < 0.4) return pick(pool);
  const facts = randomFacts();
  const ref = R.sync(facts);
  const fast = scalarFromFacts(facts);
  expect(fast === undefined, `sync of ${show(facts)}: reference ${ref ? "feasible" : "infeasible"}`).toBe(ref === undefined);
  if (!ref || !fast) return undefined;
  same(fast, ref, `sync of ${show(facts)}`);
  return [ref, fast];
}

interface Facts {
  readonly t: { readonly value: bigint; readonly mask: bigint };
  readonly umin: bigint; readonly umax: bigint; readonly smin: bigint; readonly smax: bigint;
  readonly u32min: bigint; readonly u32max: bigint; readonly s32min: bigint; readonly s32max: bigint;
}

const show = (s: Facts | undefined): string =>
  s === undefined ? "infeasible" :
    `{t=(${s.t.value.toString(16)};${s.t.mask.toString(16)}) u=[${s.umin},${s.umax}] s=[${s.smin},${s.smax}] u32=[${s.u32min},${s.u32max}] s32=[${s.s32min},${s.s32max}]}`;

function same(fast: Facts | undefined, ref: Facts | undefined, what: string): void {
  if (show(fast) !== show(ref)) expect.fail(`${what}:\n  fast      ${show(fast)}\n  reference ${show(ref)}`);
}

const OPS: AluName[] = ["add", "sub", "mul", "div", "mod", "sdiv", "smod", "or", "and", "xor", "lsh", "rsh", "arsh", "mov"];
const CONDS: Cond[] = ["jeq", "jne", "jgt", "jge", "jlt", "jle", "jsgt", "jsge", "jslt", "jsle", "jset", "jnset"];
const N = Number(process.env["VERIFIER_EQUIV_N"] ?? (process.env["EBPF_WASM_LONG"] === "1" ? 200_000 : 4000));

describe("fast scalar domain = BigInt reference", () => {
  test("ALU ops at both widths, neg, movsx, byte swaps, zext32", () => {
    let n = 0;
    while (n < N) {
      const a = pair();
      const b = pair();
      if (!a || !b) continue;
      n++;
      const op = pick(OPS);
      const wide = rnd() < 0.5;
      // Small shift amounts are the interesting ones.
      const bb = op.endsWith("sh") && rnd() < 0.7 ? pairOf(BigInt(Math.floor(rnd() * 66))) : b;
      const fast = scalarAlu(op, a[1], bb[1], wide);
      const ref = RA.scalarAlu(op, a[0], bb[0], wide);
      same(fast, ref, `${op}${wide ? "" : "32"} ${show(a[0])} ${show(bb[0])}`);
      remember(ref, fast);
      same(scalarNeg(a[1], wide), RA.scalarNeg(a[0], wide), `neg ${show(a[0])}`);
      const bits = pick([8, 16, 32] as const);
      same(scalarMovsx(a[1], bits, wide), RA.scalarMovsx(a[0], bits, wide), `movsx${bits} ${show(a[0])}`);
      const order = pick(["le", "be", "swap"] as const);
      const sw = pick([16, 32, 64] as const);
      same(scalarEnd(a[1], order, sw), RA.scalarEnd(a[0], order, sw), `${order}${sw} ${show(a[0])}`);
      same(zext32(a[1]), R.zext32(a[0]), `zext32 ${show(a[0])}`);
    }
  }, 600_000);

  test("branch decisions, refinements, within and intersection", () => {
    let n = 0;
    while (n < N) {
      const a = pair();
      const b = rnd() < 0.3 ? pairOf(randomU64()) : pair();
      if (!a || !b) continue;
      n++;
      const cond = pick(CONDS);
      const wide = rnd() < 0.5;
      const what = `${cond}${wide ? "" : "32"} ${show(a[0])} ${show(b[0])}`;
      expect(branchTaken(a[1], b[1], cond, wide), what).toBe(RC.branchTaken(a[0], b[0], cond, wide));
      const f = refine(a[1], b[1], cond, wide);
      const r = RC.refine(a[0], b[0], cond, wide);
      expect(f === undefined, `${what}: refinement feasible?`).toBe(r === undefined);
      if (f && r) {
        same(f[0], r[0], `${what}: dst`);
        same(f[1], r[1], `${what}: src`);
        remember(r[0], f[0]);
      }
      expect(scalarWithin(a[1], b[1]), `within ${what}`).toBe(R.scalarWithin(a[0], b[0]));
      same(scalarIntersect(a[1], b[1]), R.scalarIntersect(a[0], b[0]), `intersect ${what}`);
    }
  }, 600_000);
});

function pairOf(v: bigint): [R.Scalar, Scalar] {
  return [R.scalarConst(v), scalarFromFacts({ t: { value: v & U64, mask: 0n } })!];
}
