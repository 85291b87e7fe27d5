// Jumps and exit (RFC 9669 §4.3): the instruction that ends a basic block. Conditions compare
// 64-bit registers (JMP) or their low 32 bits (JMP32); an immediate is sign-extended to 64 bits
// for JMP and used as is for JMP32. Where control goes is the structure plan's business.

import type { OpDef } from "../../vm/isa/table.js";
import type { Expr } from "../ir.js";
import type { Edge } from "../structure.js";
import { RESULT_REG_GLOBALS, type FnLowering } from "./context.js";
import { conditionFor } from "./templates.js";

/** The i32 condition of a conditional jump at slot i (a code template, templates.ts). */
export function condition(f: FnLowering, def: Extract<OpDef, { kind: "jcond" }>, i: number): Expr {
  const ins = f.insns[i]!;
  return f.template(conditionFor(def, ins), ins, f.bn.i32);
}

/**
 * Why unconditional branches are emitted as `br_if (i32.const 1)` and `exit` as
 * `if (i32.const 1) (return ...)`: Binaryen types a plain `br`/`return` `unreachable`, and a
 * named block with an unreachable child is re-typed on creation by searching its whole body for
 * branches to it (Block::finalize → BranchSeeker). With blocks nested thousands deep that search
 * made IR construction quadratic (210 ms for 10k instructions). The constant condition keeps
 * every child typed `none`; V8 folds it, and Binaryen's passes (opt >= 1) turn it back into `br`.
 */
const always = (f: FnLowering): Expr => f.m.i32.const(1);

/** Go along `edge`, when `cond` holds if given; undefined when there is nothing to emit. */
export function branch(f: FnLowering, edge: Edge, cond?: Expr): Expr | undefined {
  const { m } = f;
  switch (edge.kind) {
    case "fall":
      return undefined; // taken or not, control reaches the next block
    case "br":
      return m.br(edge.label, cond ?? always(f));
    case "dispatch": {
      const go = m.block(null, [m.local.set(f.pcLocal, m.i32.const(edge.pc)), m.br(edge.label, always(f))], f.bn.none);
      return m.if(cond ?? always(f), go);
    }
  }
}

/** `exit`: return r0 to the caller (or to the run/runBatch entry); a callee also hands back r1..r5. */
export function lowerExit(f: FnLowering, callee: boolean): Expr {
  const { m } = f;
  const ret = m.return(f.get(0));
  if (!callee) return m.if(always(f), ret);
  const handBack = RESULT_REG_GLOBALS.map((g, k) => m.global.set(g, f.get(k + 1)));
  return m.if(always(f), m.block(null, [...handBack, ret], f.bn.unreachable));
}
