// What a compiled module imports, declared in the module and described as plain data (the
// ImportPlan) — structured-clonable, so a worker given the WebAssembly.Module and its plan can
// build the import object against its own view of the machine (link.ts) without compiling.
//
//   env.memory            the machine's memory (shared in workers), ≥ plan.memory.pages
//   run.<global>          the run state shared by the machine's modules (lower/context.ts RUN_GLOBALS)
//   helpers.<id>          helpers called through their JS HelperDef (r1..r5 → r0, all i64)
//   maps.<export>         maps runtime exports, wasm-to-wasm (map-exports.ts gives the signatures)
//   env.programs          the program table (funcref), when the program makes tail calls
//   tail.ensure(id, insn) compile and place program `id` in the table (JS, first use only)
//   tail.lookup(r2, r3, insn) → id   the shared tail-call lookup, when r2 is not a known prog array

import type { MapsExports } from "../vm/maps/runtime.js";
import type { IrModule, IrTypes } from "./ir.js";
import { MAP_HELPER_EXPORTS, PACKET_HELPER_EXPORTS, type MapHelperExport } from "./map-exports.js";
import { helperArity, helperName, mapExportName, RUN_GLOBALS, type ModuleState } from "./lower/context.js";
import { TAIL_ENSURE, TAIL_LOOKUP } from "./lower/tailcall.js";

export interface ImportPlan {
  /** The module's name (its name section): traps and helper errors are traced back by it. */
  readonly module: string;
  /** The program's name, for messages. */
  readonly program: string;
  /** The memory the module was compiled for: at least `pages` 64 KiB pages, shared or not. */
  readonly memory: { readonly pages: number; readonly shared: boolean };
  /** Helper ids imported as JS functions (`helpers.<id>`). */
  readonly helpers: readonly number[];
  /** Maps runtime exports imported wasm-to-wasm (`maps.<name>`). */
  readonly mapExports: readonly (keyof MapsExports)[];
  /** The program makes tail calls: `env.programs` and `tail.ensure`. */
  readonly tailCalls: boolean;
  /** Some tail call's map is not known at compile time: `tail.lookup`. */
  readonly tailLookup: boolean;
}

export const RUN_MODULE = "run";

/** The run-state globals, imported mutable from "run" (before anything refers to them). */
export function declareRunState(m: IrModule, bn: IrTypes): void {
  for (const [name, type] of RUN_GLOBALS) m.addGlobalImport(name, RUN_MODULE, name, type === "i32" ? bn.i32 : bn.i64, true);
}

const EXPORT_BY_NAME = new Map<string, MapHelperExport>([...MAP_HELPER_EXPORTS, ...PACKET_HELPER_EXPORTS].map((e) => [e.export, e]));

/** Declare what the lowering used; the plan's import lists. */
export function declareUsedImports(mod: ModuleState): Pick<ImportPlan, "helpers" | "mapExports" | "tailCalls" | "tailLookup"> {
  const { m, bn } = mod;
  const helpers = [...mod.usedHelpers].sort((a, b) => a - b);
  for (const id of helpers) {
    const params = bn.createType(Array<number>(helperArity(mod.helpers, id)).fill(bn.i64));
    m.addFunctionImport(helperName(id), "helpers", String(id), params, bn.i64);
  }
  const mapExports = [...mod.usedMapExports].sort();
  for (const name of mapExports) {
    const e = EXPORT_BY_NAME.get(name)!;
    const params = bn.createType(e.params.map((p) => ("reg" in p && p.as === "i64" ? bn.i64 : bn.i32)));
    const result = e.result === "u32" ? bn.i32 : e.result === "void" ? bn.none : bn.i64;
    m.addFunctionImport(mapExportName(name), "maps", name, params, result);
  }
  // The table itself was imported before lowering (compile.ts buildModule).
  if (mod.tail.table) {
    m.addFunctionImport(TAIL_ENSURE, "tail", "ensure", bn.createType([bn.i32, bn.i32]), bn.none);
  }
  if (mod.tail.lookup) m.addFunctionImport(TAIL_LOOKUP, "tail", "lookup", bn.createType([bn.i64, bn.i64, bn.i32]), bn.i32);
  return { helpers, mapExports, tailCalls: mod.tail.table, tailLookup: mod.tail.lookup };
}

/**
 * The plan of a module this JIT compiled, read back from the module itself (its import list and
 * name section): for callers that kept only the WebAssembly.Module. The memory it was compiled
 * for is not in the import list; `memory` stands in (instantiation still checks it).
 */
export function planOf(module: WebAssembly.Module, program: string, memory: { pages: number; shared: boolean }): ImportPlan {
  const imports = WebAssembly.Module.imports(module);
  const from = (m: string): string[] => imports.filter((i) => i.module === m && i.kind === "function").map((i) => i.name);
  return {
    module: nameOf(module) ?? program,
    program,
    memory,
    helpers: from("helpers").map(Number).sort((a, b) => a - b),
    mapExports: from("maps") as (keyof MapsExports)[],
    tailCalls: imports.some((i) => i.module === "env" && i.kind === "table"),
    tailLookup: from("tail").includes("lookup"),
  };
}

/** The module name of a name section (subsection 0), if the module has one. */
function nameOf(module: WebAssembly.Module): string | undefined {
  const [section] = WebAssembly.Module.customSections(module, "name");
  if (!section) return undefined;
  const bytes = new Uint8Array(section);
  let at = 0;
  const uleb = (): number => {
    let v = 0;
    for (let shift = 0; at < bytes.length; shift += 7) {
      const b = bytes[at++]!;
      v |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return v >>> 0;
  };
  while (at < bytes.length) {
    const id = bytes[at++]!;
    const size = uleb();
    if (id !== 0) {
      at += size;
      continue;
    }
    const length = uleb();
    return new TextDecoder().decode(bytes.subarray(at, at + length));
  }
  return undefined;
}
