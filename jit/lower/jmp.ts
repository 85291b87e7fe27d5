// Jumps and exit (RFC 9669 §4.3): the instruction that ends a basic block. Conditions compare
// 64-bit registers (JMP) or their low 32 bits (JMP32); an immediate is sign-extended to 64 bits
// for JMP and used as is for JMP32. Where control goes is the structure plan's business.

import type { Expr } from "../ir.js";
import type { Edge } from "../structure.js";
import { MAY_GOTO_LOOPS } from "../../vm/isa/opcodes.js";
import { MAY_GOTO_LOCAL, type FnLowering } from "./context.js";
import { conditionFor, type Jump } from "./templates.js";

/**
 * Why unconditional branches are emitted as `br_if (i32.const 1)` and `exit` as
 * `if (i32.const 1) (return ...)`: Binaryen types a plain `br`/`return` `unreachable`, and a
 * named block with an unreachable child is re-typed on creation by searching its whole body for
 * branches to it (Block::finalize → BranchSeeker). With blocks nested thousands deep that search
 * made IR construction quadratic (210 ms for 10k instructions). The constant condition keeps
 * every child typed `none`; V8 folds it, and Binaryen's passes (opt >= 1) turn it back into `br`.
 */
const always = (f: FnLowering): Expr => f.m.i32.const(1);

/**
 * A back edge of a dispatch loop (structure.ts, irreducible flow): when the jump at slot i is
 * taken, set pc to the target and re-enter the loop. (Other jumps are the structure's `br_if`s:
 * branch templates, templates.ts.)
 */
export function dispatchJump(f: FnLowering, def: Jump, i: number, edge: DispatchEdge): Expr {
  const ins = f.insns[i]!;
  return f.m.if(def.kind === "jcond" ? f.template(conditionFor(def, ins), ins, f.bn.i32) : always(f), reenter(f, edge));
}

type DispatchEdge = Extract<Edge, { kind: "dispatch" }>;

/** Set pc to the edge's target block and re-enter the dispatch loop. */
function reenter(f: FnLowering, edge: DispatchEdge): Expr {
  const { m } = f;
  return m.block(null, [m.local.set(f.pcLocal, m.i32.const(edge.pc)), m.br(edge.label, always(f))], f.bn.none);
}

/**
 * may_goto: jump when this call's budget is spent, else spend one — the kernel's rewrite
 * (do_misc_fixups: `if (*(u64 *)(fp - depth - 8) == 0) goto +off; count--`), with the count in a
 * local instead of a hidden stack slot. A function holding a may_goto starts its budget at
 * MAY_GOTO_LOOPS (mayGotoEntry), so a call, a callback's iteration and a tail call each get
 * their own, as the kernel's prologue store gives them.
 */
export function mayGoto(f: FnLowering, edge: Edge): Expr {
  const { m, bn } = f;
  f.usesMayGoto = true;
  const left = m.local.get(MAY_GOTO_LOCAL, bn.i32);
  const spend = m.local.set(MAY_GOTO_LOCAL, m.i32.sub(m.local.get(MAY_GOTO_LOCAL, bn.i32), m.i32.const(1)));
  // `may_goto +0` (the target is the next block): taken or not, only the budget changes.
  if (edge.kind === "fall") return m.if(left, spend);
  const spent = m.i32.eqz(left);
  const jump = edge.kind === "br" ? m.br(edge.label, spent) : m.if(spent, reenter(f, edge));
  return m.block(null, [jump, spend], bn.none);
}

/** A function's budget for may_goto at its entry (include/linux/bpf.h BPF_MAX_LOOPS). */
export function mayGotoEntry(f: FnLowering): Expr {
  return f.m.local.set(MAY_GOTO_LOCAL, f.m.i32.const(MAY_GOTO_LOOPS));
}

/** `exit`: return r0 to the caller (or to the run/runBatch entry); a callee also hands back r1..r5. */
export function lowerExit(f: FnLowering): Expr {
  return f.m.if(always(f), f.ret(f.get(0)));
}
