// Arithmetic on scalars: what is known about `dst op src` from what is known about dst and src
// (the kernel's adjust_scalar_min_max_vals and its scalar_min_max_* helpers). Every rule is a
// sound over-approximation; where precision is not worth it the result is simply unknown.
//
// 64-bit ops also compute the low-32-bit result alongside when the low half of the result
// depends only on the low halves of the operands (add, sub, mul, and, or, xor), as the kernel does.
//
// Bounds are 64-bit pairs (u64.ts, views.ts). The rare ops (mul, div, mod, their signed forms)
// compute their bounds with BigInt: simpler, and off the hot path.

import { UNKNOWN, ZERO, scalarConstHL, syncFields, type Scalar } from "./bounds.js";
import {
  Tnum, U64, tnumAdd, tnumAnd, tnumArshift, tnumCast, tnumLshift, tnumMul, tnumOr, tnumRange,
  tnumRshift, tnumSub, tnumXor,
} from "./tnum.js";
import { P, add64, fromBig, leS, ltS, ltU, sar64, shl64, shr64, sub64, toBigS, toBigU } from "./u64.js";
import {
  W32, W64, fromView32, fromView64, makeView, unboundedView, viewIsConst, viewOf, widthInfo,
  type View, type WidthInfo,
} from "./views.js";
import type { AluName } from "../isa/table.js";

type ViewOp = (a: View, b: View, w: WidthInfo) => View;

const trunc = (t: Tnum, w: WidthInfo): Tnum => (w.bits === 64 ? t : tnumCast(t, 4));

// Pair results of the range helpers below.
let loH = 0;
let loL = 0;
let hiH = 0;
let hiL = 0;

/**
 * Unsigned overflow of an exact result: at 64 bits the carry (or borrow) the pair operation
 * reported; at 32 bits whether the exact value (operands zero-extended, so never wrapping the
 * pair) left [0, 2^32).
 */
const uOverflow = (w: WidthInfo, carry: number): number => (w.bits === 64 ? carry : P.h === 0 ? 0 : P.h < 0 ? -1 : 1);

/**
 * Signed overflow direction (-1, 0, 1) of P = x ± y. At 64 bits from the signs (xh, yh the
 * operands' high halves, yh already negated in meaning for a subtraction: `sameSign` says
 * whether overflow was possible); at 32 bits (operands sign-extended) from P's exact value.
 */
function sOverflow(w: WidthInfo, xNeg: boolean, yNeg: boolean): number {
  if (w.bits === 64) {
    const rNeg = P.h < 0;
    if (!xNeg && !yNeg && rNeg) return 1;
    if (xNeg && yNeg && !rNeg) return -1;
    return 0;
  }
  if (P.h > 0 || (P.h === 0 && P.l < 0)) return 1;
  if (P.h < -1 || (P.h === -1 && P.l >= 0)) return -1;
  return 0;
}

/** Wrap P to width w (32: keep the low half, zero- or sign-extended). */
function wrapU(w: WidthInfo): void {
  if (w.bits === 32) P.h = 0;
}
function wrapS(w: WidthInfo): void {
  if (w.bits === 32) P.h = P.l >> 31;
}

/**
 * uRange/sRange: [lo, hi] computed exactly, kept when both ends wrapped the same way (the
 * range survives, shifted), else every value of the width.
 */
function setU(w: WidthInfo, oLo: number, oHi: number, lh: number, ll: number, hh: number, hl: number): void {
  if (oLo === oHi) {
    loH = lh; loL = ll; hiH = hh; hiL = hl;
  } else {
    loH = 0; loL = 0; hiH = w.umaxH; hiL = w.umaxL;
  }
}

function add(a: View, b: View, w: WidthInfo): View {
  const t = trunc(tnumAdd(a.t, b.t), w);
  let c = add64(a.uminH, a.uminL, b.uminH, b.uminL);
  const o1 = uOverflow(w, c);
  wrapU(w);
  const l1h = P.h, l1l = P.l;
  c = add64(a.umaxH, a.umaxL, b.umaxH, b.umaxL);
  const o2 = uOverflow(w, c);
  wrapU(w);
  setU(w, o1, o2, l1h, l1l, P.h, P.l);
  const uLoH = loH, uLoL = loL, uHiH = hiH, uHiL = hiL;
  add64(a.sminH, a.sminL, b.sminH, b.sminL);
  const s1 = sOverflow(w, a.sminH < 0, b.sminH < 0);
  wrapS(w);
  const m1h = P.h, m1l = P.l;
  add64(a.smaxH, a.smaxL, b.smaxH, b.smaxL);
  const s2 = sOverflow(w, a.smaxH < 0, b.smaxH < 0);
  wrapS(w);
  if (s1 === s2) return makeView(t, uLoH, uLoL, uHiH, uHiL, m1h, m1l, P.h, P.l);
  return makeView(t, uLoH, uLoL, uHiH, uHiL, w.sminH, w.sminL, w.smaxH, w.smaxL);
}

function sub(a: View, b: View, w: WidthInfo): View {
  const t = trunc(tnumSub(a.t, b.t), w);
  let c = sub64(a.uminH, a.uminL, b.umaxH, b.umaxL);
  const o1 = uOverflow(w, c);
  wrapU(w);
  const l1h = P.h, l1l = P.l;
  c = sub64(a.umaxH, a.umaxL, b.uminH, b.uminL);
  const o2 = uOverflow(w, c);
  wrapU(w);
  setU(w, o1, o2, l1h, l1l, P.h, P.l);
  const uLoH = loH, uLoL = loL, uHiH = hiH, uHiL = hiL;
  // x - y overflows only when x and y have different signs.
  sub64(a.sminH, a.sminL, b.smaxH, b.smaxL);
  const s1 = sOverflow(w, a.sminH < 0, !(b.smaxH < 0));
  wrapS(w);
  const m1h = P.h, m1l = P.l;
  sub64(a.smaxH, a.smaxL, b.sminH, b.sminL);
  const s2 = sOverflow(w, a.smaxH < 0, !(b.sminH < 0));
  wrapS(w);
  if (s1 === s2) return makeView(t, uLoH, uLoL, uHiH, uHiL, m1h, m1l, P.h, P.l);
  return makeView(t, uLoH, uLoL, uHiH, uHiL, w.sminH, w.sminL, w.smaxH, w.smaxL);
}

// ---- BigInt bounds for the rare ops -----------------------------------------------------------

interface BigView {
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
}

const big = (v: View): BigView => ({
  umin: toBigU(v.uminH, v.uminL), umax: toBigU(v.umaxH, v.umaxL), smin: toBigS(v.sminH, v.sminL), smax: toBigS(v.smaxH, v.smaxL),
});
const wUmax = (w: WidthInfo): bigint => (w.bits === 64 ? U64 : 0xffff_ffffn);
const wSmin = (w: WidthInfo): bigint => (w.bits === 64 ? -(1n << 63n) : -(1n << 31n));
const wSmax = (w: WidthInfo): bigint => (w.bits === 64 ? (1n << 63n) - 1n : (1n << 31n) - 1n);

/** A view from bigint bounds (each within its range at width w). */
function fromBigView(t: Tnum, umin: bigint, umax: bigint, smin: bigint, smax: bigint): View {
  fromBig(umin);
  const a = P.h, b = P.l;
  fromBig(umax);
  const c = P.h, d = P.l;
  fromBig(smin);
  const e = P.h, f = P.l;
  fromBig(smax);
  return makeView(t, a, b, c, d, e, f, P.h, P.l);
}

const tnumRangeBig = (lo: bigint, hi: bigint): Tnum => {
  fromBig(lo);
  const h = P.h, l = P.l;
  fromBig(hi);
  return tnumRange(h, l, P.h, P.l);
};

const mul: ViewOp = (a, b, w) => {
  const t = trunc(tnumMul(a.t, b.t), w);
  const x = big(a);
  const y = big(b);
  const [umin, umax] = x.umax * y.umax <= wUmax(w) ? [x.umin * y.umin, x.umax * y.umax] : [0n, wUmax(w)];
  const p = [x.smin * y.smin, x.smin * y.smax, x.smax * y.smin, x.smax * y.smax];
  const lo = p.reduce((m, v) => (m < v ? m : v));
  const hi = p.reduce((m, v) => (m > v ? m : v));
  const [smin, smax] = lo >= wSmin(w) && hi <= wSmax(w) ? [lo, hi] : [wSmin(w), wSmax(w)];
  return fromBigView(t, umin, umax, smin, smax);
};

/** Unsigned division; x / 0 = 0 in eBPF (RFC 9669 §4.1), so the result never exceeds x. */
const div: ViewOp = (a, b, w) => {
  if (b.uminH !== 0 || b.uminL !== 0) {
    const x = big(a);
    const y = big(b);
    const lo = x.umin / y.umax;
    const hi = x.umax / y.umin;
    return fromBigView(tnumRangeBig(lo, hi), lo, hi, wSmin(w), wSmax(w));
  }
  if (viewIsConst(b)) return makeView(new Tnum(0, 0, 0, 0), 0, 0, 0, 0, 0, 0, 0, 0);
  return makeView(tnumRange(0, 0, a.umaxH, a.umaxL), 0, 0, a.umaxH, a.umaxL, w.sminH, w.sminL, w.smaxH, w.smaxL);
};

/** Unsigned modulo; x % 0 = x in eBPF, so the result never exceeds x either. */
const mod: ViewOp = (a, b, w) => {
  const x = big(a);
  const y = big(b);
  let hi = x.umax;
  if (y.umin > 0n && y.umax - 1n < hi) hi = y.umax - 1n;
  if (viewIsConst(a) && viewIsConst(b)) {
    const xv = a.t.value;
    const yv = b.t.value;
    const r = yv === 0n ? xv : xv % yv;
    return fromBigView(tnumRangeBig(r, r), r, r, BigInt.asIntN(w.bits, r), BigInt.asIntN(w.bits, r));
  }
  return fromBigView(tnumRangeBig(0n, hi), 0n, hi, wSmin(w), wSmax(w));
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
    return fromBigView(tnumRangeBig(u, u), u, u, s, s);
  };
}

// ---- bitwise ops and shifts -------------------------------------------------------------------

const and: ViewOp = (a, b, w) => {
  const t = tnumAnd(a.t, b.t);
  const m = ltU(a.umaxH, a.umaxL, b.umaxH, b.umaxL) ? a : b;
  return makeView(t, t.vh, t.vl, m.umaxH, m.umaxL, w.sminH, w.sminL, w.smaxH, w.smaxL);
};

const or: ViewOp = (a, b, w) => {
  const t = tnumOr(a.t, b.t);
  const m = ltU(a.uminH, a.uminL, b.uminH, b.uminL) ? b : a;
  return makeView(t, m.uminH, m.uminL, t.vh | t.mh, t.vl | t.ml, w.sminH, w.sminL, w.smaxH, w.smaxL);
};

const xor: ViewOp = (a, b, w) => {
  const t = tnumXor(a.t, b.t);
  return makeView(t, t.vh, t.vl, t.vh | t.mh, t.vl | t.ml, w.sminH, w.sminL, w.smaxH, w.smaxL);
};

/** Shift amount range, or undefined when it may reach the width (the result is then unknown). */
function shiftRange(b: View, w: WidthInfo): [number, number] | undefined {
  if (b.umaxH !== 0 || b.umaxL >>> 0 >= w.bits) return undefined;
  return [b.uminL, b.umaxL];
}

const lsh: ViewOp = (a, b, w) => {
  const r = shiftRange(b, w);
  if (!r) return unboundedView(w);
  const [lo, hi] = r;
  const t = lo === hi ? trunc(tnumLshift(a.t, lo), w) : w.unknownT;
  // a.umax << hi must not lose bits of the width: its top `hi` bits are zero.
  if (hi > 0) {
    shr64(a.umaxH, a.umaxL, w.bits - hi);
    if (P.h !== 0 || P.l !== 0) return makeView(t, 0, 0, w.umaxH, w.umaxL, w.sminH, w.sminL, w.smaxH, w.smaxL);
  }
  shl64(a.uminH, a.uminL, lo);
  const mh = P.h, ml = P.l;
  shl64(a.umaxH, a.umaxL, hi);
  return makeView(t, mh, ml, P.h, P.l, w.sminH, w.sminL, w.smaxH, w.smaxL);
};

const rsh: ViewOp = (a, b, w) => {
  const r = shiftRange(b, w);
  if (!r) return unboundedView(w);
  const [lo, hi] = r;
  shr64(a.uminH, a.uminL, hi);
  const mh = P.h, ml = P.l;
  shr64(a.umaxH, a.umaxL, lo);
  const xh = P.h, xl = P.l;
  const t = lo === hi ? tnumRshift(a.t, lo) : tnumRange(mh, ml, xh, xl);
  return makeView(t, mh, ml, xh, xl, w.sminH, w.sminL, w.smaxH, w.smaxL);
};

const arsh: ViewOp = (a, b, w) => {
  const r = shiftRange(b, w);
  if (!r) return unboundedView(w);
  const [lo, hi] = r;
  const t = lo === hi ? tnumArshift(a.t, lo, w.bits) : w.unknownT;
  // Signed values are sign-extended pairs at either width: a 64-bit arithmetic shift serves both.
  sar64(a.sminH, a.sminL, lo);
  const l0h = P.h, l0l = P.l;
  sar64(a.sminH, a.sminL, hi);
  const [nh, nl] = ltS(P.h, P.l, l0h, l0l) ? [P.h, P.l] : [l0h, l0l];
  sar64(a.smaxH, a.smaxL, lo);
  const h0h = P.h, h0l = P.l;
  sar64(a.smaxH, a.smaxL, hi);
  const [xh, xl] = ltS(h0h, h0l, P.h, P.l) ? [P.h, P.l] : [h0h, h0l];
  return makeView(t, 0, 0, w.umaxH, w.umaxL, nh, nl, xh, xl);
};

const movOp: ViewOp = (_a, b) => b;

const VIEW_OPS: Record<AluName, ViewOp> = {
  add, sub, mul, div, sdiv: signedConst("sdiv"), or, and, lsh, rsh, mod, smod: signedConst("smod"),
  xor, mov: movOp, arsh,
};

/** Ops whose low 32 result bits depend only on the low 32 bits of the operands. */
const LOW_HALF_CLOSED = new Set<AluName>(["add", "sub", "mul", "and", "or", "xor", "mov"]);

/** dst op src on scalars, 64-bit (wide) or 32-bit with zero-extension. */
export function scalarAlu(op: AluName, dst: Scalar, src: Scalar, wide: boolean): Scalar {
  if (op === "mov") {
    if (wide) return src;
    // A constant's zero-extension is a constant (what fromView32 finds too, without the work).
    if (src.t.mh === 0 && src.t.ml === 0) return scalarConstHL(0, src.t.vl);
    return fromView32(viewOf(src, W32)) ?? UNKNOWN;
  }
  // Known operands: compute the value itself (the common case of loop counters and constants).
  if (dst.t.mh === 0 && dst.t.ml === 0 && src.t.mh === 0 && src.t.ml === 0) {
    if (constAlu(op, dst.t.vh, dst.t.vl, src.t.vh, src.t.vl, wide)) return scalarConstHL(P.h, P.l);
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
  const narrow = tnumCast(src.t, (bits / 8) as 1 | 2 | 4);
  const shift = 64 - bits;
  const t = tnumArshift(tnumLshift(narrow, shift), shift, 64);
  // [lo, hi] = [-2^(bits-1), 2^(bits-1) - 1] as pairs (sign-extended).
  let lh = -1, ll = bits === 32 ? -0x80000000 : -(1 << (bits - 1));
  let hh = 0, hl = bits === 32 ? 0x7fffffff : (1 << (bits - 1)) - 1;
  // A value already within the narrow signed range is unchanged by the extension.
  if (leS(lh, ll, src.sminH, src.sminL) && leS(src.smaxH, src.smaxL, hh, hl)) {
    [lh, ll, hh, hl] = [src.sminH, src.sminL, src.smaxH, src.smaxL];
  }
  const r = syncFields(t, 0, 0, -1, -1, lh, ll, hh, hl, 0, 0xffffffff, -0x80000000, 0x7fffffff) ?? UNKNOWN;
  return wide ? r : scalarAlu("mov", ZERO, r, false);
}

/**
 * coerce_reg_to_size: the low `size` bytes of src, zero-extended (what a narrow load or fill of
 * it gives). The bounds survive when src's smallest and largest values agree above the width.
 */
export function scalarCoerce(src: Scalar, size: 1 | 2 | 4): Scalar {
  const t = tnumCast(src.t, size);
  const mask = size === 4 ? -1 : (1 << (8 * size)) - 1;
  const keep = src.uminH === src.umaxH && (src.uminL & ~mask) === (src.umaxL & ~mask);
  const lo = keep ? src.uminL & mask : 0;
  const hi = keep ? src.umaxL & mask : mask;
  // Narrower than 32 bits: the 32-bit bounds start over from the 64-bit ones (reg_bounds_sync).
  return syncFields(t, 0, lo, 0, hi, 0, lo, 0, hi, 0, 0xffffffff, -0x80000000, 0x7fffffff) ?? UNKNOWN;
}

/** Byte-order conversion (RFC 9669 §4.2) on a little-endian machine: `le` truncates, the others swap. */
export function scalarEnd(src: Scalar, order: "le" | "be" | "swap", bits: 16 | 32 | 64): Scalar {
  const bytes = (bits / 8) as 2 | 4 | 8;
  const t = tnumCast(src.t, bytes);
  const swapped = order === "le" ? t : swapTnum(t, bytes);
  const [hh, hl] = bits === 64 ? [-1, -1] : bits === 32 ? [0, -1] : [0, 0xffff];
  return syncFields(swapped, 0, 0, hh, hl, -0x80000000, 0, 0x7fffffff, -1, 0, 0xffffffff, -0x80000000, 0x7fffffff) ?? UNKNOWN;
}

const bswap32 = (x: number): number => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);

function swapTnum(t: Tnum, bytes: 2 | 4 | 8): Tnum {
  switch (bytes) {
    case 2: return new Tnum(0, ((t.vl & 0xff) << 8) | ((t.vl >>> 8) & 0xff), 0, ((t.ml & 0xff) << 8) | ((t.ml >>> 8) & 0xff));
    case 4: return new Tnum(0, bswap32(t.vl), 0, bswap32(t.ml));
    case 8: return new Tnum(bswap32(t.vl), bswap32(t.vh), bswap32(t.ml), bswap32(t.mh));
  }
}

/** The immediate of an ALU/JMP instruction as a scalar: sign-extended to 64 bits (RFC 9669 §4). */
export const immScalar = (imm: number): Scalar => scalarConstHL(imm >> 31, imm | 0);

export { W64 };

/**
 * The exact result of `a op b` on known values into P (RFC 9669 §4.1 with the kernel's choices:
 * x/0 = 0, x%0 = x, shifts masked); false for a shift the verifier treats as unknown.
 */
function constAlu(op: AluName, ah: number, al: number, bh: number, bl: number, wide: boolean): boolean {
  if (!wide) {
    ah = 0;
    bh = 0;
  }
  const bits = wide ? 64 : 32;
  switch (op) {
    case "add": add64(ah, al, bh, bl); break;
    case "sub": sub64(ah, al, bh, bl); break;
    case "or": P.h = ah | bh; P.l = al | bl; break;
    case "and": P.h = ah & bh; P.l = al & bl; break;
    case "xor": P.h = ah ^ bh; P.l = al ^ bl; break;
    case "mov": P.h = bh; P.l = bl; break;
    case "lsh":
    case "rsh":
    case "arsh": {
      if (bh !== 0 || bl >>> 0 >= bits) return false;
      if (op === "lsh") shl64(ah, al, bl);
      else if (op === "rsh") shr64(ah, al, bl);
      else if (wide) sar64(ah, al, bl);
      else {
        P.h = 0;
        P.l = al >> bl;
      }
      break;
    }
    default: {
      // mul, div, mod, sdiv, smod: rare with two constants.
      const u = (x: bigint): bigint => BigInt.asUintN(bits, x);
      const s = (x: bigint): bigint => BigInt.asIntN(bits, x);
      const x = toBigU(ah, al);
      const y = toBigU(bh, bl);
      let r: bigint;
      switch (op) {
        case "mul": r = u(x * y); break;
        case "div": r = y === 0n ? 0n : x / y; break;
        case "mod": r = y === 0n ? x : x % y; break;
        case "sdiv": r = y === 0n ? 0n : u(s(x) / s(y)); break;
        default: r = y === 0n ? x : u(s(x) % s(y)); break;
      }
      fromBig(r);
    }
  }
  if (!wide) P.h = 0;
  return true;
}
