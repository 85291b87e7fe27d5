// Conditional jumps on scalars: whether a branch is decided by what is known (the kernel's
// is_branch_taken), and what each branch learns (regs_refine_cond_op): after `if r1 > 10 goto`
// the taken side knows r1 >= 11 and the fall-through side knows r1 <= 10.

import { tnumAnd, tnumIntersect, tnumOr, U64 } from "./tnum.js";
import { viewIsConst, viewOf, widthInfo, withView, type View, type WidthInfo } from "./views.js";
import type { Scalar } from "./bounds.js";
import { flip, negate, type Cond } from "../../../vm/verifier/compare.js";

// The condition tables hold no arithmetic, so the reference shares them with vm/verifier.
export type { Cond };

/** true / false when `a cond b` is decided at this width, undefined when both may happen. */
export function branchTaken(a: Scalar, b: Scalar, cond: Cond, wide: boolean): boolean | undefined {
  const w = widthInfo(wide);
  return taken(viewOf(a, w), viewOf(b, w), cond);
}

function taken(a: View, b: View, cond: Cond): boolean | undefined {
  switch (cond) {
    case "jeq":
      if (viewIsConst(a) && viewIsConst(b)) return a.t.value === b.t.value;
      if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin) return false;
      if (!tnumIntersect(a.t, b.t)) return false;
      return undefined;
    case "jgt": return a.umin > b.umax ? true : a.umax <= b.umin ? false : undefined;
    case "jge": return a.umin >= b.umax ? true : a.umax < b.umin ? false : undefined;
    case "jsgt": return a.smin > b.smax ? true : a.smax <= b.smin ? false : undefined;
    case "jsge": return a.smin >= b.smax ? true : a.smax < b.smin ? false : undefined;
    case "jset":
      if ((tnumAnd(a.t, b.t).value) !== 0n) return true;
      if (((a.t.value | a.t.mask) & (b.t.value | b.t.mask)) === 0n) return false;
      return undefined;
    default: {
      const r = taken(a, b, negate(cond));
      return r === undefined ? undefined : !r;
    }
  }
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * What `a cond b` being true teaches about a and b; undefined when it cannot be true
 * (an infeasible branch, which is then not explored).
 */
export function refine(a: Scalar, b: Scalar, cond: Cond, wide: boolean): [Scalar, Scalar] | undefined {
  const w = widthInfo(wide);
  const r = refineView(viewOf(a, w), viewOf(b, w), cond, w);
  if (!r) return undefined;
  const na = withView(a, r[0], w);
  const nb = withView(b, r[1], w);
  return na && nb ? [na, nb] : undefined;
}

function refineView(a: View, b: View, cond: Cond, w: WidthInfo): [View, View] | undefined {
  switch (cond) {
    case "jeq": {
      const t = tnumIntersect(a.t, b.t);
      if (!t) return undefined;
      const v: View = {
        t, umin: max(a.umin, b.umin), umax: min(a.umax, b.umax), smin: max(a.smin, b.smin), smax: min(a.smax, b.smax),
      };
      return [v, v];
    }
    case "jne": {
      if (viewIsConst(a) && viewIsConst(b)) return a.t.value === b.t.value ? undefined : [a, b];
      if (viewIsConst(b)) return [excludeConst(a, b.t.value, w), b];
      if (viewIsConst(a)) return [a, excludeConst(b, a.t.value, w)];
      return [a, b];
    }
    case "jgt":
      return [{ ...a, umin: max(a.umin, b.umin + 1n) }, { ...b, umax: min(b.umax, a.umax - 1n) }];
    case "jge":
      return [{ ...a, umin: max(a.umin, b.umin) }, { ...b, umax: min(b.umax, a.umax) }];
    case "jsgt":
      return [{ ...a, smin: max(a.smin, b.smin + 1n) }, { ...b, smax: min(b.smax, a.smax - 1n) }];
    case "jsge":
      return [{ ...a, smin: max(a.smin, b.smin) }, { ...b, smax: min(b.smax, a.smax) }];
    case "jlt": case "jle": case "jslt": case "jsle": {
      const r = refineView(b, a, flip(cond), w);
      return r && [r[1], r[0]];
    }
    case "jset": {
      // A single known bit tested true is known to be set (kernel: is_power_of_2 case).
      if (viewIsConst(b) && isPow2(b.t.value)) return [{ ...a, t: tnumOr(a.t, b.t) }, b];
      if (viewIsConst(a) && isPow2(a.t.value)) return [a, { ...b, t: tnumOr(b.t, a.t) }];
      return [a, b];
    }
    case "jnset": {
      // No bit in common: the bits set in a known operand are clear in the other.
      if (viewIsConst(b)) return [{ ...a, t: tnumAnd(a.t, { value: ~b.t.value & w.umax & U64, mask: 0n }) }, b];
      if (viewIsConst(a)) return [a, { ...b, t: tnumAnd(b.t, { value: ~a.t.value & w.umax & U64, mask: 0n }) }];
      return [a, b];
    }
  }
}

const isPow2 = (x: bigint): boolean => x !== 0n && (x & (x - 1n)) === 0n;

/** a != c: shave c off either end of a's ranges. */
function excludeConst(a: View, c: bigint, w: WidthInfo): View {
  let { umin, umax, smin, smax } = a;
  const sc = BigInt.asIntN(w.bits, c);
  if (umin === c) umin++;
  if (umax === c) umax--;
  if (smin === sc) smin++;
  if (smax === sc) smax--;
  return { ...a, umin, umax, smin, smax };
}
