// One eBPF subprogram → one wasm function `f<k>(r1..r5, r10, r0, r6..r9: i64) -> i64` (see
// lower/context.ts for why every register is a parameter): lower each basic block's
// instructions, let the structure plan decide how its jumps become branches, and nest the code
// into blocks and loops. Each instruction's code is tagged with its index, so a trap can be
// traced back to it (faults.ts).

import type { OpDef } from "../vm/isa/table.js";
import type { Expr } from "./ir.js";
import type { FuncCfg } from "./cfg.js";
import { lowerAluLike } from "./lower/alu.js";
import { lowerAtomic } from "./lower/atomic.js";
import { knownAt } from "./known.js";
import { lowerCall, wantsFacts } from "./lower/call.js";
import { FnLowering, funcName, PARAM_COUNT, PC_LOCAL, regLocal, varTypes, type ModuleState } from "./lower/context.js";
import { dispatchJump, lowerExit, mayGoto, mayGotoEntry } from "./lower/jmp.js";
import { lowerMemory } from "./lower/mem.js";
import { branchFor, templateFor, type Jump } from "./lower/templates.js";
import { planStructure, type Edge, type Plan } from "./structure.js";

export interface FunctionStats {
  readonly mode: Plan["mode"];
  readonly blocks: number;
}

export function lowerFunction(mod: ModuleState, func: FuncCfg): FunctionStats {
  const { m, bn } = mod;
  const plan = planStructure(func.blocks.length, func.jumps);
  const f = new FnLowering(mod, func, knownAt(func, mod.insns, mod.decoded, factSlots(mod, func)), plan.loops);
  const exprs = new Uint32Array(func.end - func.start); // at most one expression per slot
  const starts = new Int32Array(func.blocks.length + 1);
  let n = 0;
  for (let k = 0; k < func.blocks.length; k++) {
    starts[k] = n;
    n = lowerBlock(f, func, plan, k, exprs, n);
  }
  starts[func.blocks.length] = n;
  const loopHead = (header: number, last: number): Expr | undefined => {
    const first = func.blocks[header]!.start;
    return f.charge(func.blocks[last]!.end - first, first);
  };
  const entry = f.usesMayGoto ? [mayGotoEntry(f)] : [];
  const body = m.block(null, [...f.loadFuel(), ...entry, plan.build(m, bn, { exprs, starts, loopHead }, PC_LOCAL), m.unreachable()], bn.i64);
  const params = bn.createType(Array<number>(PARAM_COUNT).fill(bn.i64));
  m.addFunction(funcName(func.index), params, bn.i64, varTypes(bn), body);
  return { mode: plan.mode, blocks: func.blocks.length };
}

/**
 * The code of block k's instructions into exprs from n on; returns the new n. Each instruction's
 * code is tagged with its index; consecutive templated ones (lower/templates.ts; a jump that
 * leaves by a `br_if` is its branch template) become one run when the builder writes runs (the
 * direct builder: its writer fills them in), else each is replayed through the builder's API.
 */
function lowerBlock(f: FnLowering, func: FuncCfg, plan: Plan, k: number, exprs: Uint32Array, n: number): number {
  const { m, mod } = f;
  const { decoded, insns } = mod;
  const block = func.blocks[k]!;
  const run = m.templates;
  let open = false;
  for (let i = block.start; i < block.end; i++) {
    const def = decoded[i];
    if (!def) continue;
    const ins = insns[i]!;
    const edge = def.kind === "jcond" || def.kind === "ja" || def.kind === "maygoto" ? plan.edge(k, func.jumps[k]!) : undefined; // a jump ends its block
    if (edge?.kind === "fall" && def.kind !== "maygoto") continue; // taken or not, control reaches the next block
    const template = edge === undefined ? templateFor(def, ins) : edge.kind === "br" && def.kind !== "maygoto" ? branchFor(def as Jump, ins) : undefined;
    const label = edge?.kind === "br" ? edge.label : undefined;
    if (template !== undefined && run) {
      if (!open) run.open();
      open = true;
      run.add(template, regLocal(ins.dst), regLocal(ins.src), ins.imm, ins.off, i, label);
      continue;
    }
    if (open) exprs[n++] = run!.close();
    open = false;
    const e = template !== undefined ? f.template(template, ins, f.bn.none, label) : lowerInsn(f, def, i, edge);
    m.tag?.(e, i);
    exprs[n++] = e;
  }
  if (open) exprs[n++] = run!.close();
  return n;
}

/** The helper calls of `func` whose lowering uses register facts (known.ts). */
function factSlots(mod: ModuleState, func: FuncCfg): Set<number> {
  const slots = new Set<number>();
  for (let i = func.start; i < func.end; i++) if (mod.decoded[i]?.kind === "call" && wantsFacts(mod, i)) slots.add(i);
  return slots;
}

/** The code of the instruction at slot i; a jump's `edge` is a dispatch loop's back edge (the others are templates). */
function lowerInsn(f: FnLowering, def: OpDef, i: number, edge: Edge | undefined): Expr {
  switch (def.kind) {
    case "alu":
    case "neg":
    case "movsx":
    case "end":
    case "lddw":
      return lowerAluLike(f, def, i);
    case "ldx":
    case "st":
    case "stx":
    case "ldpkt":
      return lowerMemory(f, def, i);
    case "atomic":
      return lowerAtomic(f, def, i);
    case "call":
    case "callx":
      return lowerCall(f, def, i);
    case "exit":
      return lowerExit(f);
    case "maygoto":
      return mayGoto(f, edge!);
    case "ja":
    case "jcond":
      if (edge?.kind !== "dispatch") throw new Error(`lowerInsn: jump at insn ${i} is not a dispatch edge`);
      return dispatchJump(f, def, i, edge);
  }
}
