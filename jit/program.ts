// One program lowered into one module (an IR builder, ir.ts): the module-wide state every
// lowering function shares (lower/context.ts ModuleState), the memory, run-state and table
// imports, every subprogram's function, the entry points (entry.ts), and the imports the
// lowering used — summed up in the module's ImportPlan (imports.ts).

import { DEFAULT_MAX_INSNS } from "../vm/engine.js";
import { TAIL_CALL_ID } from "../vm/helpers/tailcall.js";
import type { Insn } from "../vm/isa/instruction.js";
import { WASM_PAGE } from "../vm/memory/layout.js";
import { needsDepthCheck } from "./calls.js";
import { SKB_PACKET_FIELDS, type JitOptions, type JitTarget } from "./compile.js";
import { addRun, addRunBatch } from "./entry.js";
import { lowerFunction } from "./function.js";
import { declareRunState, declareUsedImports, type ImportPlan } from "./imports.js";
import type { IrModule, IrTypes } from "./ir.js";
import { addCallxDispatcher, isTailCallJump } from "./lower/call.js";
import { PROGRAM_TABLE, RESULT_REG_GLOBALS, type ModuleState } from "./lower/context.js";
import { moduleName } from "./names.js";

const MAX_PAGES = 65536;

/** Lower every function and the entry points into `m`. */
export function lowerProgram(
  m: IrModule,
  types: IrTypes,
  insns: readonly Insn[],
  decoded: ModuleState["decoded"],
  cfg: ModuleState["cfg"],
  target: JitTarget,
  options: JitOptions,
  name: string,
): { plan: ImportPlan; dispatchFunctions: number } {
  const state = buildModule(types, m, insns, decoded, cfg, target, options);
  let dispatchFunctions = 0;
  for (const func of cfg.funcs) if (lowerFunction(state, func).mode === "dispatch") dispatchFunctions++;
  if (state.callx) addCallxDispatcher(state);
  const used = declareUsedImports(state);
  const plan: ImportPlan = { module: moduleName(name), program: name, memory: { pages: target.pages, shared: target.shared }, ...used };
  return { plan, dispatchFunctions };
}

function buildModule(
  bn: IrTypes,
  m: IrModule,
  insns: readonly Insn[],
  decoded: ModuleState["decoded"],
  cfg: ModuleState["cfg"],
  target: JitTarget,
  options: JitOptions,
): ModuleState {
  // The machine's one memory (DESIGN.md "Memory model"), imported with its current size and
  // sharedness: a shared memory only links to a module that declares it shared, and a shared
  // import must declare a maximum (the largest memory32: then any memory's maximum fits).
  m.setMemory(target.pages, target.shared ? MAX_PAGES : -1, null, [], target.shared, false, "0");
  m.addMemoryImport("0", "env", "memory", target.shared);
  declareRunState(m, bn);
  const mapCalls = (options.mapCalls ?? "wasm") === "wasm" && target.maps !== undefined;
  const state: ModuleState = {
    m,
    bn,
    insns,
    decoded,
    cfg,
    helpers: target.helpers,
    packet: options.packet ?? SKB_PACKET_FIELDS,
    depthCheck: needsDepthCheck(cfg),
    called: new Set(cfg.funcs.flatMap((func) => [...func.callees])),
    usedHelpers: new Set(),
    callx: false,
    maps: new Map((target.maps ?? []).map((d) => [d.address, d])),
    mapImports: mapCalls,
    inlineArrays: mapCalls && options.inlineArrays !== false,
    memoryBytes: target.pages * WASM_PAGE,
    tailCallJump: isTailCallJump(target.helpers),
    usedMapExports: new Set(),
    tail: { table: false, lookup: false },
    budget: budgetOf(options.maxInsns),
    packetSlotSize: target.packetSlotSize,
  };
  // Binaryen resolves a table when table.get / call_indirect are built: import it first.
  if (state.tailCallJump && makesTailCalls(insns, decoded)) {
    m.addTableImport(PROGRAM_TABLE, "env", PROGRAM_TABLE);
    state.tail.table = true;
  }
  for (const g of RESULT_REG_GLOBALS) m.addGlobal(g, bn.i64, true, m.i64.const(0n));
  addRun(state);
  addRunBatch(state);
  return state;
}

/** The instruction budget as the module's constant; undefined for Infinity (no counting). */
function budgetOf(maxInsns = DEFAULT_MAX_INSNS): bigint | undefined {
  if (maxInsns === Infinity) return undefined;
  if (!(Number.isSafeInteger(maxInsns) && maxInsns > 0)) throw new RangeError(`maxInsns must be a positive integer or Infinity, got ${maxInsns}`);
  return BigInt(maxInsns);
}

/** Does the program call helper 12 (bpf_tail_call)? */
function makesTailCalls(insns: readonly Insn[], decoded: ModuleState["decoded"]): boolean {
  return decoded.some((def, i) => def?.kind === "call" && def.target === "helper" && insns[i]!.imm === TAIL_CALL_ID);
}

