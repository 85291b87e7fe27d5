// One eBPF subprogram → one wasm function `f<k>(r1..r5, r10, r0, r6..r9: i64) -> i64` (see
// lower/context.ts for why every register is a parameter): lower each basic block's
// instructions, let the structure plan decide how its jumps become branches, and nest the bodies
// into blocks and loops. Each instruction's code is tagged with its index, so a trap can be
// traced back to it (faults.ts).

import type { OpDef } from "../vm/isa/table.js";
import type { Expr } from "./ir.js";
import { jumpTarget, type FuncCfg } from "./cfg.js";
import { lowerAluLike } from "./lower/alu.js";
import { lowerAtomic } from "./lower/atomic.js";
import { knownAt } from "./known.js";
import { lowerCall, wantsFacts } from "./lower/call.js";
import { FnLowering, funcName, PARAM_COUNT, PC_LOCAL, varTypes, type ModuleState } from "./lower/context.js";
import { branch, condition, lowerExit } from "./lower/jmp.js";
import { lowerMemory } from "./lower/mem.js";
import { planStructure, type Plan } from "./structure.js";

export interface FunctionStats {
  readonly mode: Plan["mode"];
  readonly blocks: number;
}

export function lowerFunction(mod: ModuleState, func: FuncCfg): FunctionStats {
  const { m, bn } = mod;
  const f = new FnLowering(mod, func, knownAt(func, mod.insns, mod.decoded, (i) => wantsFacts(mod, i)));
  const plan = planStructure(func.blocks.length, jumpEdges(mod, func));
  const bodies = func.blocks.map((block, k) => {
    const out: Expr[] = [];
    for (let i = block.start; i < block.end; i++) {
      const def = mod.decoded[i];
      if (!def) continue;
      const before = out.length;
      lowerInsn(f, func, plan, def, i, k, out);
      if (m.tag) for (let e = before; e < out.length; e++) m.tag(out[e]!, i);
    }
    return out;
  });
  const body = m.block(null, [plan.build(m, bn, bodies, PC_LOCAL), m.unreachable()], bn.i64);
  const params = bn.createType(Array<number>(PARAM_COUNT).fill(bn.i64));
  m.addFunction(funcName(func.index), params, bn.i64, varTypes(bn), body);
  return { mode: plan.mode, blocks: func.blocks.length };
}

/** Jump edges between blocks (block indices), from each block's last instruction. */
function jumpEdges(mod: ModuleState, func: FuncCfg): Array<[number, number]> {
  const edges: Array<[number, number]> = [];
  func.blocks.forEach((block, k) => {
    const last = lastSlot(mod, block.end);
    const target = jumpTarget(mod.decoded[last], mod.insns[last]!, last);
    if (target !== undefined) edges.push([k, func.blockAt[target]!]);
  });
  return edges;
}

/** The last real instruction before `end` (skipping an lddw's second slot). */
const lastSlot = (mod: ModuleState, end: number): number => (mod.decoded[end - 1] ? end - 1 : end - 2);

function lowerInsn(f: FnLowering, func: FuncCfg, plan: Plan, def: OpDef, i: number, k: number, out: Expr[]): void {
  switch (def.kind) {
    case "alu":
    case "neg":
    case "movsx":
    case "end":
    case "lddw":
      out.push(lowerAluLike(f, def, i));
      return;
    case "ldx":
    case "st":
    case "stx":
    case "ldpkt":
      out.push(lowerMemory(f, def, i));
      return;
    case "atomic":
      out.push(lowerAtomic(f, def, i));
      return;
    case "call":
    case "callx":
      out.push(lowerCall(f, def, i));
      return;
    case "exit":
      out.push(lowerExit(f, f.mod.called.has(func.index)));
      return;
    case "ja":
    case "jcond": {
      const to = func.blockAt[jumpTarget(def, f.insns[i]!, i)!]!;
      const e = branch(f, plan.edge(k, to), def.kind === "jcond" ? condition(f, def, i) : undefined);
      if (e !== undefined) out.push(e);
    }
  }
}
