// Conditional jumps on scalars: whether a branch is decided by what is known (the kernel's
// is_branch_taken), and what each branch learns (regs_refine_cond_op): after `if r1 > 10 goto`
// the taken side knows r1 >= 11 and the fall-through side knows r1 <= 10.

import { Tnum, tnumAnd, tnumIntersect, tnumOr } from "./tnum.js";
import { P, add64, leS, leU, ltS, ltU, sub64 } from "./u64.js";
import { makeView, viewIsConst, viewOf, widthInfo, withView, type View, type WidthInfo } from "./views.js";
import type { Scalar } from "./bounds.js";
import type { CondName } from "../isa/table.js";

/** A condition or its negation; "jnset" is the false side of jset. */
export type Cond = CondName | "jnset";

const NEGATE: Record<Cond, Cond> = {
  jeq: "jne", jne: "jeq", jgt: "jle", jle: "jgt", jge: "jlt", jlt: "jge",
  jsgt: "jsle", jsle: "jsgt", jsge: "jslt", jslt: "jsge", jset: "jnset", jnset: "jset",
};

export const negate = (c: Cond): Cond => NEGATE[c];

/** `a op b` with the operands swapped: `b op' a`. */
const FLIP: Record<Cond, Cond> = {
  jeq: "jeq", jne: "jne", jgt: "jlt", jlt: "jgt", jge: "jle", jle: "jge",
  jsgt: "jslt", jslt: "jsgt", jsge: "jsle", jsle: "jsge", jset: "jset", jnset: "jnset",
};

export const flip = (c: Cond): Cond => FLIP[c];

/** true / false when `a cond b` is decided at this width, undefined when both may happen. */
export function branchTaken(a: Scalar, b: Scalar, cond: Cond, wide: boolean): boolean | undefined {
  const w = widthInfo(wide);
  return taken(viewOf(a, w), viewOf(b, w), cond);
}

function taken(a: View, b: View, cond: Cond): boolean | undefined {
  switch (cond) {
    case "jeq":
      if (viewIsConst(a) && viewIsConst(b)) return a.t.vh === b.t.vh && a.t.vl === b.t.vl;
      if (
        ltU(b.umaxH, b.umaxL, a.uminH, a.uminL) || ltU(a.umaxH, a.umaxL, b.uminH, b.uminL) ||
        ltS(b.smaxH, b.smaxL, a.sminH, a.sminL) || ltS(a.smaxH, a.smaxL, b.sminH, b.sminL)
      ) {
        return false;
      }
      if (!tnumIntersect(a.t, b.t)) return false;
      return undefined;
    case "jgt":
      return ltU(b.umaxH, b.umaxL, a.uminH, a.uminL) ? true : leU(a.umaxH, a.umaxL, b.uminH, b.uminL) ? false : undefined;
    case "jge":
      return leU(b.umaxH, b.umaxL, a.uminH, a.uminL) ? true : ltU(a.umaxH, a.umaxL, b.uminH, b.uminL) ? false : undefined;
    case "jsgt":
      return ltS(b.smaxH, b.smaxL, a.sminH, a.sminL) ? true : leS(a.smaxH, a.smaxL, b.sminH, b.sminL) ? false : undefined;
    case "jsge":
      return leS(b.smaxH, b.smaxL, a.sminH, a.sminL) ? true : ltS(a.smaxH, a.smaxL, b.sminH, b.sminL) ? false : undefined;
    case "jset": {
      const and = tnumAnd(a.t, b.t);
      if (and.vh !== 0 || and.vl !== 0) return true;
      if (((a.t.vh | a.t.mh) & (b.t.vh | b.t.mh)) === 0 && ((a.t.vl | a.t.ml) & (b.t.vl | b.t.ml)) === 0) return false;
      return undefined;
    }
    default: {
      const r = taken(a, b, NEGATE[cond]);
      return r === undefined ? undefined : !r;
    }
  }
}

/**
 * What `a cond b` being true teaches about a and b; undefined when it cannot be true
 * (an infeasible branch, which is then not explored).
 */
export function refine(a: Scalar, b: Scalar, cond: Cond, wide: boolean): [Scalar, Scalar] | undefined {
  const w = widthInfo(wide);
  const r = refineView(viewOf(a, w), viewOf(b, w), cond, w);
  if (!r) return undefined;
  const na = withView(a, r[0], w);
  if (!na) return undefined;
  const nb = withView(b, r[1], w);
  return nb ? [na, nb] : undefined;
}

const withT = (v: View, t: Tnum): View => makeView(t, v.uminH, v.uminL, v.umaxH, v.umaxL, v.sminH, v.sminL, v.smaxH, v.smaxL);

/**
 * The refined views; undefined when the condition cannot hold. A bound moved past the end of
 * its range (b.umin + 1 when b.umin is the largest value...) means exactly that.
 */
function refineView(a: View, b: View, cond: Cond, w: WidthInfo): [View, View] | undefined {
  switch (cond) {
    case "jeq": {
      const t = tnumIntersect(a.t, b.t);
      if (!t) return undefined;
      const uMin = ltU(a.uminH, a.uminL, b.uminH, b.uminL) ? b : a;
      const uMax = ltU(a.umaxH, a.umaxL, b.umaxH, b.umaxL) ? a : b;
      const sMin = ltS(a.sminH, a.sminL, b.sminH, b.sminL) ? b : a;
      const sMax = ltS(a.smaxH, a.smaxL, b.smaxH, b.smaxL) ? a : b;
      const v = makeView(t, uMin.uminH, uMin.uminL, uMax.umaxH, uMax.umaxL, sMin.sminH, sMin.sminL, sMax.smaxH, sMax.smaxL);
      return [v, v];
    }
    case "jne": {
      if (viewIsConst(a) && viewIsConst(b)) return a.t.vh === b.t.vh && a.t.vl === b.t.vl ? undefined : [a, b];
      if (viewIsConst(b)) {
        const na = excludeConst(a, b.t, w);
        return na && [na, b];
      }
      if (viewIsConst(a)) {
        const nb = excludeConst(b, a.t, w);
        return nb && [a, nb];
      }
      return [a, b];
    }
    case "jgt": {
      // a > b: a >= b.umin + 1 and b <= a.umax - 1.
      if ((b.uminH === w.umaxH && b.uminL === w.umaxL) || (a.umaxH === 0 && a.umaxL === 0)) return undefined;
      add64(b.uminH, b.uminL, 0, 1);
      const na = ltU(a.uminH, a.uminL, P.h, P.l) ? makeView(a.t, P.h, P.l, a.umaxH, a.umaxL, a.sminH, a.sminL, a.smaxH, a.smaxL) : a;
      sub64(a.umaxH, a.umaxL, 0, 1);
      const nb = ltU(P.h, P.l, b.umaxH, b.umaxL) ? makeView(b.t, b.uminH, b.uminL, P.h, P.l, b.sminH, b.sminL, b.smaxH, b.smaxL) : b;
      return [na, nb];
    }
    case "jge": {
      const na = ltU(a.uminH, a.uminL, b.uminH, b.uminL) ? makeView(a.t, b.uminH, b.uminL, a.umaxH, a.umaxL, a.sminH, a.sminL, a.smaxH, a.smaxL) : a;
      const nb = ltU(a.umaxH, a.umaxL, b.umaxH, b.umaxL) ? makeView(b.t, b.uminH, b.uminL, a.umaxH, a.umaxL, b.sminH, b.sminL, b.smaxH, b.smaxL) : b;
      return [na, nb];
    }
    case "jsgt": {
      if ((b.sminH === w.smaxH && b.sminL === w.smaxL) || (a.smaxH === w.sminH && a.smaxL === w.sminL)) return undefined;
      add64(b.sminH, b.sminL, 0, 1);
      const na = ltS(a.sminH, a.sminL, P.h, P.l) ? makeView(a.t, a.uminH, a.uminL, a.umaxH, a.umaxL, P.h, P.l, a.smaxH, a.smaxL) : a;
      sub64(a.smaxH, a.smaxL, 0, 1);
      const nb = ltS(P.h, P.l, b.smaxH, b.smaxL) ? makeView(b.t, b.uminH, b.uminL, b.umaxH, b.umaxL, b.sminH, b.sminL, P.h, P.l) : b;
      return [na, nb];
    }
    case "jsge": {
      const na = ltS(a.sminH, a.sminL, b.sminH, b.sminL) ? makeView(a.t, a.uminH, a.uminL, a.umaxH, a.umaxL, b.sminH, b.sminL, a.smaxH, a.smaxL) : a;
      const nb = ltS(a.smaxH, a.smaxL, b.smaxH, b.smaxL) ? makeView(b.t, b.uminH, b.uminL, b.umaxH, b.umaxL, b.sminH, b.sminL, a.smaxH, a.smaxL) : b;
      return [na, nb];
    }
    case "jlt": case "jle": case "jslt": case "jsle": {
      const r = refineView(b, a, FLIP[cond], w);
      return r && [r[1], r[0]];
    }
    case "jset": {
      // A single known bit tested true is known to be set (kernel: is_power_of_2 case).
      if (viewIsConst(b) && isPow2(b.t)) return [withT(a, tnumOr(a.t, b.t)), b];
      if (viewIsConst(a) && isPow2(a.t)) return [a, withT(b, tnumOr(b.t, a.t))];
      return [a, b];
    }
    case "jnset": {
      // No bit in common: the bits set in a known operand are clear in the other.
      if (viewIsConst(b)) return [withT(a, tnumAnd(a.t, new Tnum(~b.t.vh & w.umaxH, ~b.t.vl & w.umaxL, 0, 0))), b];
      if (viewIsConst(a)) return [a, withT(b, tnumAnd(b.t, new Tnum(~a.t.vh & w.umaxH, ~a.t.vl & w.umaxL, 0, 0)))];
      return [a, b];
    }
  }
}

const pow2 = (x: number): boolean => x !== 0 && (x & (x - 1)) === 0;
const isPow2 = (t: Tnum): boolean => (t.vh === 0 && pow2(t.vl)) || (t.vl === 0 && pow2(t.vh));

/** a != c: shave c off either end of a's ranges; undefined when that empties a range. */
function excludeConst(a: View, c: Tnum, w: WidthInfo): View | undefined {
  let { uminH, uminL, umaxH, umaxL, sminH, sminL, smaxH, smaxL } = a;
  // c as a signed value of this width (a 32-bit view's constant is zero-extended).
  const sch = w.bits === 64 ? c.vh : c.vl >> 31;
  const scl = c.vl;
  if (uminH === c.vh && uminL === c.vl) {
    if (uminH === w.umaxH && uminL === w.umaxL) return undefined;
    add64(uminH, uminL, 0, 1);
    [uminH, uminL] = [P.h, P.l];
  }
  if (umaxH === c.vh && umaxL === c.vl) {
    if (umaxH === 0 && umaxL === 0) return undefined;
    sub64(umaxH, umaxL, 0, 1);
    [umaxH, umaxL] = [P.h, P.l];
  }
  if (sminH === sch && sminL === scl) {
    if (sminH === w.smaxH && sminL === w.smaxL) return undefined;
    add64(sminH, sminL, 0, 1);
    [sminH, sminL] = [P.h, P.l];
  }
  if (smaxH === sch && smaxL === scl) {
    if (smaxH === w.sminH && smaxL === w.sminL) return undefined;
    sub64(smaxH, smaxL, 0, 1);
    [smaxH, smaxL] = [P.h, P.l];
  }
  return makeView(a.t, uminH, uminL, umaxH, umaxL, sminH, sminL, smaxH, smaxL);
}
