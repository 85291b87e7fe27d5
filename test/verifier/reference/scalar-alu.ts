// Arithmetic on scalars: what is known about `dst op src` from what is known about dst and src
// (the kernel's adjust_scalar_min_max_vals and its scalar_min_max_* helpers). Every rule is a
// sound over-approximation; where precision is not worth it the result is simply unknown.
//
// 64-bit ops also compute the low-32-bit result alongside when the low half of the result
// depends only on the low halves of the operands (add, sub, mul, and, or, xor), as the kernel does.

import { UNKNOWN, ZERO, scalarConst, sync, type Scalar } from "./bounds.js";
import {
  tnumAdd, tnumAnd, tnumArshift, tnumCast, tnumLshift, tnumMul, tnumOr, tnumRange, tnumRshift,
  tnumSub, tnumXor, U64, type Tnum,
} from "./tnum.js";
import {
  W32, W64, fromView32, fromView64, unboundedView, viewIsConst, viewOf, widthInfo,
  type View, type WidthInfo,
} from "./views.js";
import type { AluName } from "../../../vm/isa/table.js";

type ViewOp = (a: View, b: View, w: WidthInfo) => View;

const trunc = (t: Tnum, w: WidthInfo): Tnum => (w.bits === 64 ? t : tnumCast(t, 4));

/** An unsigned range [lo, hi] computed exactly (may leave [0, 2^w)): wrap it back or give up. */
function uRange(lo: bigint, hi: bigint, w: WidthInfo): [bigint, bigint] {
  if (lo >= 0n && hi <= w.umax) return [lo, hi];
  if (lo > w.umax || hi < 0n) {
    // Both ends wrapped by the same amount: the range survives, shifted.
    const k = lo > w.umax ? -w.mod : w.mod;
    if (lo + k >= 0n && hi + k <= w.umax) return [lo + k, hi + k];
  }
  return [0n, w.umax];
}

function sRange(lo: bigint, hi: bigint, w: WidthInfo): [bigint, bigint] {
  if (lo >= w.smin && hi <= w.smax) return [lo, hi];
  if (lo > w.smax || hi < w.smin) {
    const k = lo > w.smax ? -w.mod : w.mod;
    if (lo + k >= w.smin && hi + k <= w.smax) return [lo + k, hi + k];
  }
  return [w.smin, w.smax];
}

function view(t: Tnum, u: [bigint, bigint], s: [bigint, bigint]): View {
  return { t, umin: u[0], umax: u[1], smin: s[0], smax: s[1] };
}

const add: ViewOp = (a, b, w) =>
  view(trunc(tnumAdd(a.t, b.t), w), uRange(a.umin + b.umin, a.umax + b.umax, w), sRange(a.smin + b.smin, a.smax + b.smax, w));

const sub: ViewOp = (a, b, w) =>
  view(trunc(tnumSub(a.t, b.t), w), uRange(a.umin - b.umax, a.umax - b.umin, w), sRange(a.smin - b.smax, a.smax - b.smin, w));

const mul: ViewOp = (a, b, w) => {
  const t = trunc(tnumMul(a.t, b.t), w);
  const u: [bigint, bigint] = a.umax * b.umax <= w.umax ? [a.umin * b.umin, a.umax * b.umax] : [0n, w.umax];
  const p = [a.smin * b.smin, a.smin * b.smax, a.smax * b.smin, a.smax * b.smax];
  const lo = p.reduce((x, y) => (x < y ? x : y));
  const hi = p.reduce((x, y) => (x > y ? x : y));
  const s: [bigint, bigint] = lo >= w.smin && hi <= w.smax ? [lo, hi] : [w.smin, w.smax];
  return view(t, u, s);
};

const and: ViewOp = (a, b, w) => {
  const t = tnumAnd(a.t, b.t);
  return view(t, [t.value, a.umax < b.umax ? a.umax : b.umax], [w.smin, w.smax]);
};

const or: ViewOp = (a, b, w) => {
  const t = tnumOr(a.t, b.t);
  return view(t, [a.umin > b.umin ? a.umin : b.umin, t.value | t.mask], [w.smin, w.smax]);
};

const xor: ViewOp = (a, b, w) => {
  const t = tnumXor(a.t, b.t);
  return view(t, [t.value, t.value | t.mask], [w.smin, w.smax]);
};

/** Shift amount range, or undefined when it may reach the width (the result is then unknown). */
function shiftRange(b: View, w: WidthInfo): [number, number] | undefined {
  if (b.umax >= BigInt(w.bits)) return undefined;
  return [Number(b.umin), Number(b.umax)];
}

const lsh: ViewOp = (a, b, w) => {
  const r = shiftRange(b, w);
  if (!r) return unboundedView(w);
  const [lo, hi] = r;
  const t = lo === hi ? trunc(tnumLshift(a.t, lo), w) : w.unknownT;
  const u: [bigint, bigint] = a.umax << BigInt(hi) <= w.umax ? [a.umin << BigInt(lo), a.umax << BigInt(hi)] : [0n, w.umax];
  return view(t, u, [w.smin, w.smax]);
};

const rsh: ViewOp = (a, b, w) => {
  const r = shiftRange(b, w);
  if (!r) return unboundedView(w);
  const [lo, hi] = r;
  const u: [bigint, bigint] = [a.umin >> BigInt(hi), a.umax >> BigInt(lo)];
  const t = lo === hi ? tnumRshift(a.t, lo) : tnumRange(u[0], u[1]);
  return view(t, u, [w.smin, w.smax]);
};

const arsh: ViewOp = (a, b, w) => {
  const r = shiftRange(b, w);
  if (!r) return unboundedView(w);
  const [lo, hi] = r;
  const t = lo === hi ? tnumArshift(a.t, lo, w.bits) : w.unknownT;
  const l = [a.smin >> BigInt(lo), a.smin >> BigInt(hi)];
  const h = [a.smax >> BigInt(lo), a.smax >> BigInt(hi)];
  return view(t, [0n, w.umax], [l[0]! < l[1]! ? l[0]! : l[1]!, h[0]! > h[1]! ? h[0]! : h[1]!]);
};

/** Unsigned division; x / 0 = 0 in eBPF (RFC 9669 §4.1), so the result never exceeds x. */
const div: ViewOp = (a, b, w) => {
  if (b.umin > 0n) {
    const u: [bigint, bigint] = [a.umin / b.umax, a.umax / b.umin];
    return view(tnumRange(u[0], u[1]), u, [w.smin, w.smax]);
  }
  if (viewIsConst(b)) return view({ value: 0n, mask: 0n }, [0n, 0n], [0n, 0n]);
  return view(tnumRange(0n, a.umax), [0n, a.umax], [w.smin, w.smax]);
};

/** Unsigned modulo; x % 0 = x in eBPF, so the result never exceeds x either. */
const mod: ViewOp = (a, b, w) => {
  let hi = a.umax;
  if (b.umin > 0n && b.umax - 1n < hi) hi = b.umax - 1n;
  if (viewIsConst(a) && viewIsConst(b)) {
    const x = a.t.value;
    const y = b.t.value;
    const r = y === 0n ? x : x % y;
    return view({ value: r, mask: 0n }, [r, r], [BigInt.asIntN(w.bits, r), BigInt.asIntN(w.bits, r)]);
  }
  return view(tnumRange(0n, hi), [0n, hi], [w.smin, w.smax]);
};

/** Signed division and modulo: exact for constants (with the kernel's INT_MIN / -1 and /0 rules). */
function signedConst(opName: "sdiv" | "smod"): ViewOp {
  return (a, b, w) => {
    if (!viewIsConst(a) || !viewIsConst(b)) return unboundedView(w);
    const x = BigInt.asIntN(w.bits, a.t.value);
    const y = BigInt.asIntN(w.bits, b.t.value);
    let r: bigint;
    if (opName === "sdiv") r = y === 0n ? 0n : x / y; // INT_MIN / -1 wraps to INT_MIN below
    else r = y === 0n ? x : y === -1n ? 0n : x % y;
    const u = BigInt.asUintN(w.bits, r);
    const s = BigInt.asIntN(w.bits, r);
    return view({ value: u, mask: 0n }, [u, u], [s, s]);
  };
}

const movOp: ViewOp = (_a, b) => b;

const VIEW_OPS: Record<AluName, ViewOp> = {
  add, sub, mul, div, sdiv: signedConst("sdiv"), or, and, lsh, rsh, mod, smod: signedConst("smod"),
  xor, mov: movOp, arsh,
};

/** Ops whose low 32 result bits depend only on the low 32 bits of the operands. */
const LOW_HALF_CLOSED = new Set<AluName>(["add", "sub", "mul", "and", "or", "xor", "mov"]);

/** dst op src on scalars, 64-bit (wide) or 32-bit with zero-extension. */
export function scalarAlu(op: AluName, dst: Scalar, src: Scalar, wide: boolean): Scalar {
  if (op === "mov") return wide ? src : fromView32(viewOf(src, W32)) ?? UNKNOWN;
  // Known operands: compute the value itself (the common case of loop counters and constants).
  if (dst.t.mask === 0n && src.t.mask === 0n) {
    const v = constAlu(op, dst.t.value, src.t.value, wide);
    if (v !== undefined) return scalarConst(v);
  }
  const f = VIEW_OPS[op];
  const w = widthInfo(wide);
  const r = f(viewOf(dst, w), viewOf(src, w), w);
  if (!wide) return fromView32(r) ?? UNKNOWN;
  const low = LOW_HALF_CLOSED.has(op) ? f(viewOf(dst, W32), viewOf(src, W32), W32) : undefined;
  return fromView64(r, low) ?? fromView64(r) ?? UNKNOWN;
}

/** -dst: 0 - dst at the given width. */
export function scalarNeg(dst: Scalar, wide: boolean): Scalar {
  return scalarAlu("sub", ZERO, dst, wide);
}

/** Sign-extend the low `bits` of src (movsx, RFC 9669 §4.1); 32-bit form zero-extends after. */
export function scalarMovsx(src: Scalar, bits: 8 | 16 | 32, wide: boolean): Scalar {
  const half = 1n << BigInt(bits - 1);
  const narrow = tnumCast(src.t, (bits / 8) as 1 | 2 | 4);
  const shift = 64 - bits;
  const t = tnumArshift(tnumLshift(narrow, shift), shift, 64);
  let lo = -half;
  let hi = half - 1n;
  // A value already within the narrow signed range is unchanged by the extension.
  if (src.smin >= -half && src.smax <= half - 1n) [lo, hi] = [src.smin, src.smax];
  const r = sync({ ...UNKNOWN, t, smin: lo, smax: hi }) ?? UNKNOWN;
  return wide ? r : scalarAlu("mov", ZERO, r, false);
}

/** Byte-order conversion (RFC 9669 §4.2) on a little-endian machine: `le` truncates, the others swap. */
export function scalarEnd(src: Scalar, order: "le" | "be" | "swap", bits: 16 | 32 | 64): Scalar {
  const bytes = (bits / 8) as 2 | 4 | 8;
  const t = tnumCast(src.t, bytes);
  const swapped = order === "le" ? t : { value: swapBytes(t.value, bytes), mask: swapBytes(t.mask, bytes) };
  const hi = bits === 64 ? U64 : (1n << BigInt(bits)) - 1n;
  return sync({ ...UNKNOWN, t: swapped, umax: hi }) ?? UNKNOWN;
}

function swapBytes(x: bigint, bytes: number): bigint {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
}

/** The immediate of an ALU/JMP instruction as a scalar: sign-extended to 64 bits (RFC 9669 §4). */
export const immScalar = (imm: number): Scalar => scalarConst(BigInt(imm));

export { W64 };

/**
 * The exact result of `a op b` on known values (RFC 9669 §4.1 with the kernel's choices: x/0 = 0,
 * x%0 = x, shifts masked), or undefined for a shift the verifier treats as unknown.
 */
function constAlu(op: AluName, a: bigint, b: bigint, wide: boolean): bigint | undefined {
  const bits = wide ? 64 : 32;
  const u = (x: bigint): bigint => BigInt.asUintN(bits, x);
  const s = (x: bigint): bigint => BigInt.asIntN(bits, x);
  const x = u(a);
  const y = u(b);
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
    case "lsh": return y >= BigInt(bits) ? undefined : u(x << y);
    case "rsh": return y >= BigInt(bits) ? undefined : x >> y;
    case "arsh": return y >= BigInt(bits) ? undefined : u(s(x) >> y);
    case "mov": return y;
  }
}
