// The JIT's entry: eBPF program → wasm module (issue 3, DESIGN.md "The JIT").
//
//   decode (decode.ts) → CFG (cfg.ts) → per subprogram: structure plan (structure.ts) and
//   lowering (function.ts, lower/*) into an IR builder (ir.ts) → entry points (entry.ts) →
//   binary → [Binaryen passes when opt >= 1] → WebAssembly.Module.
//
// The default builder writes the wasm binary directly (direct/module.ts); Binaryen is loaded only
// to optimise (opt >= 1), to validate (tests), or as the alternative IR builder (backend
// "binaryen"). ir.ts has the measurements behind that split.
//
// Refusals of the program (unknown opcode, bad jump, unknown helper...) are BpfErrors with the
// instruction index. Anything else going wrong — Binaryen aborting, V8 rejecting the binary — is
// a bug in this JIT and becomes a JitInternalError that carries the program and what Binaryen
// printed (never printed to stderr). Every Binaryen module is disposed, on error paths too.

import { BpfError } from "../vm/errors.js";
import type { HelperTable } from "../vm/helpers/registry.js";
import type { Insn } from "../vm/isa/instruction.js";
import { SKB_DATA_END_OFFSET, SKB_DATA_OFFSET } from "../vm/programs/skb.js";
import { features, loadBinaryen, quietly, type Binaryen, type BinaryenModule } from "./binaryen.js";
import { DirectModule } from "./direct/module.js";
import type { IrModule, IrTypes } from "./ir.js";
import { needsDepthCheck } from "./calls.js";
import { buildCfg } from "./cfg.js";
import { decodeProgram } from "./decode.js";
import { addRun, addRunBatch } from "./entry.js";
import { lowerFunction } from "./function.js";
import { addCallxDispatcher } from "./lower/call.js";
import {
  FAULT_ARG_GLOBAL,
  FAULT_GLOBAL,
  FAULT_INSN_GLOBAL,
  helperName,
  RESULT_REG_GLOBALS,
  STACK_LOW_GLOBAL,
  type ModuleState,
  type PacketFields,
} from "./lower/context.js";

export type OptLevel = 0 | 1 | 2 | 3;

export interface JitOptions {
  /**
   * Binaryen optimisation: 0 none (V8 optimises the wasm itself), 1 a short pass list,
   * 2 and 3 `optimize()` at that level. Default 0 (bench/micro/jit.ts measures why).
   */
  readonly opt?: OptLevel;
  /** Context fields LD_ABS/LD_IND read the packet bounds from. Default: __sk_buff data/data_end. */
  readonly packet?: PacketFields;
  /** Run Binaryen's validator too (tests): a failure is a JitInternalError with its report. */
  readonly validate?: boolean;
  /**
   * How the module is built: "direct" (default) writes the binary itself and uses Binaryen only
   * to optimise (opt >= 1) or validate; "binaryen" builds Binaryen IR through its API (slower to
   * build; kept to cross-check the direct writer). See ir.ts.
   */
  readonly backend?: "direct" | "binaryen";
}

/** What the module needs from the machine it will run on. */
export interface JitTarget {
  /** The memory's size in 64 KiB pages when the module is instantiated. */
  readonly pages: number;
  readonly shared: boolean;
  readonly helpers: HelperTable;
}

export interface CompileStats {
  readonly insns: number;
  readonly functions: number;
  /** Functions lowered as a dispatch loop (irreducible flow). */
  readonly dispatchFunctions: number;
  readonly bytes: number;
  readonly ms: { readonly build: number; readonly opt: number; readonly emit: number; readonly wasm: number };
}

export interface Compiled {
  readonly module: WebAssembly.Module;
  /**
   * The eBPF instruction whose code holds a module byte offset (from a trap's stack frame), when
   * known: the direct builder at opt 0 keeps the map; Binaryen's passes rewrite the code.
   */
  readonly insnAt: (offset: number) => number | undefined;
  readonly binary: Uint8Array;
  /** Helper ids imported as `helpers.<id>`. */
  readonly helpers: readonly number[];
  readonly stats: CompileStats;
}

const MAX_PAGES = 65536;

/** __sk_buff.data and __sk_buff.data_end (include/uapi/linux/bpf.h), as the interpreter reads them. */
export const SKB_PACKET_FIELDS: PacketFields = { data: SKB_DATA_OFFSET, dataEnd: SKB_DATA_END_OFFSET };

/** The short pass list of level 1: cheap clean-ups of the structure's blocks and branches. */
const LEVEL1_PASSES = ["remove-unused-brs", "merge-blocks", "remove-unused-names", "vacuum"];

/** A failure inside the JIT itself: a bug to report, with the program that triggered it. */
export class JitInternalError extends BpfError {
  constructor(
    message: string,
    readonly program: readonly Insn[],
    readonly binaryenOutput: string,
  ) {
    super(message);
    this.name = "JitInternalError";
  }
}

export async function compile(
  insns: readonly Insn[],
  target: JitTarget,
  options: JitOptions = {},
  name = "program",
): Promise<Compiled> {
  const decoded = decodeProgram(insns);
  const cfg = buildCfg(insns, decoded);
  const times = { build: 0, opt: 0, emit: 0, wasm: 0 };
  const built =
    options.backend === "binaryen"
      ? await buildWithBinaryen(insns, decoded, cfg, target, options, name, times)
      : await buildDirect(insns, decoded, cfg, target, options, name, times);
  const t1 = performance.now();
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(built.binary as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw failure(err, "", insns, name);
  }
  times.wasm = performance.now() - t1;
  return {
    module,
    insnAt: built.insnAt,
    binary: built.binary,
    helpers: built.helpers,
    stats: {
      insns: insns.length,
      functions: cfg.funcs.length,
      dispatchFunctions: built.dispatchFunctions,
      bytes: built.binary.length,
      ms: times,
    },
  };
}

interface Built {
  readonly binary: Uint8Array;
  readonly insnAt: Compiled["insnAt"];
  readonly helpers: number[];
  readonly dispatchFunctions: number;
}

type Times = { build: number; opt: number; emit: number; wasm: number };

/** Lower every function and the entry points into `m`. */
function lowerProgram(
  m: IrModule,
  types: IrTypes,
  insns: readonly Insn[],
  decoded: ModuleState["decoded"],
  cfg: ModuleState["cfg"],
  target: JitTarget,
  options: JitOptions,
): { helpers: number[]; dispatchFunctions: number } {
  const state = buildModule(types, m, insns, decoded, cfg, target, options);
  let dispatchFunctions = 0;
  for (const func of cfg.funcs) if (lowerFunction(state, func).mode === "dispatch") dispatchFunctions++;
  if (state.callx) addCallxDispatcher(state);
  for (const id of state.usedHelpers) addHelperImport(types, m, id);
  return { helpers: [...state.usedHelpers].sort((a, b) => a - b), dispatchFunctions };
}

/**
 * The default path: write the binary directly (ir.ts says why), then — only for opt >= 1 or
 * when validation is asked for — read it into Binaryen to optimise or validate it.
 */
async function buildDirect(
  insns: readonly Insn[],
  decoded: ModuleState["decoded"],
  cfg: ModuleState["cfg"],
  target: JitTarget,
  options: JitOptions,
  name: string,
  times: Times,
): Promise<Built> {
  const t0 = performance.now();
  const m = new DirectModule();
  let lowered: { helpers: number[]; dispatchFunctions: number };
  let binary: Uint8Array;
  try {
    lowered = lowerProgram(m, m.types, insns, decoded, cfg, target, options);
    times.build = performance.now() - t0;
    binary = m.emitBinary();
  } catch (err) {
    throw failure(err, "", insns, name);
  } finally {
    m.dispose();
  }
  times.emit = performance.now() - t0 - times.build;
  const opt = options.opt ?? 0;
  if (opt > 0 || options.validate) {
    const t1 = performance.now();
    const bn = await loadBinaryen();
    const result = quietly(() => {
      // binaryen.js 132 takes the features as readBinary's second argument (its typings still
      // name a readBinaryWithFeatures that the JS does not export).
      const read = bn.readBinary as (data: Uint8Array, features?: number) => BinaryenModule;
      const bm = read(binary, features(bn));
      try {
        if (options.validate && !bm.validate()) throw new Error("Binaryen validation of the emitted module failed");
        if (opt === 0) return binary;
        optimise(bn, bm, opt);
        return bm.emitBinary();
      } finally {
        bm.dispose();
      }
    });
    if (result.error) throw failure(result.error, result.printed, insns, name);
    binary = result.value!;
    times.opt = performance.now() - t1;
  }
  const insnAt = opt === 0 ? sourceLookup(m.sourceMap.offsets.data.slice(0, m.sourceMap.offsets.length), m.sourceMap.insns.data.slice(0, m.sourceMap.insns.length)) : unknownInsn;
  return { binary, insnAt, ...lowered };
}

/** The Binaryen-IR path (options.backend = "binaryen"): same lowering, Binaryen's builder. */
async function buildWithBinaryen(
  insns: readonly Insn[],
  decoded: ModuleState["decoded"],
  cfg: ModuleState["cfg"],
  target: JitTarget,
  options: JitOptions,
  name: string,
  times: Times,
): Promise<Built> {
  const bn = await loadBinaryen();
  const t0 = performance.now();
  const m = new bn.Module();
  try {
    m.setFeatures(features(bn));
    const built = quietly(() => {
      const lowered = lowerProgram(m, bn, insns, decoded, cfg, target, options);
      if (options.validate && !m.validate()) throw new Error("Binaryen validation failed");
      return lowered;
    });
    if (built.error) throw failure(built.error, built.printed, insns, name);
    times.build = performance.now() - t0;
    const optimised = quietly(() => optimise(bn, m, options.opt ?? 0));
    if (optimised.error) throw failure(optimised.error, optimised.printed, insns, name);
    times.opt = performance.now() - t0 - times.build;
    const emitted = quietly(() => m.emitBinary());
    if (emitted.error) throw failure(emitted.error, emitted.printed, insns, name);
    times.emit = performance.now() - t0 - times.build - times.opt;
    return { binary: emitted.value!, insnAt: unknownInsn, ...built.value! };
  } finally {
    m.dispose();
  }
}

const unknownInsn = (): undefined => undefined;

/** Binary search of the last mark at or before `offset`. */
function sourceLookup(offsets: Int32Array, insns: Int32Array): Compiled["insnAt"] {
  return (offset) => {
    let lo = 0;
    let hi = offsets.length - 1;
    if (hi < 0 || offset < offsets[0]!) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const insn = insns[lo]!;
    return insn >= 0 ? insn : undefined;
  };
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
  };
  m.addGlobal(FAULT_GLOBAL, bn.i32, true, m.i32.const(0));
  m.addGlobal(FAULT_INSN_GLOBAL, bn.i32, true, m.i32.const(-1));
  m.addGlobal(FAULT_ARG_GLOBAL, bn.i64, true, m.i64.const(0n));
  m.addGlobal(STACK_LOW_GLOBAL, bn.i64, true, m.i64.const(0n));
  for (const g of RESULT_REG_GLOBALS) m.addGlobal(g, bn.i64, true, m.i64.const(0n));
  for (const g of [FAULT_GLOBAL, FAULT_INSN_GLOBAL, FAULT_ARG_GLOBAL]) m.addGlobalExport(g, g);
  addRun(state);
  addRunBatch(state);
  return state;
}

function addHelperImport(bn: IrTypes, m: IrModule, id: number): void {
  const params = bn.createType([bn.i64, bn.i64, bn.i64, bn.i64, bn.i64]);
  m.addFunctionImport(helperName(id), "helpers", String(id), params, bn.i64);
}

function optimise(bn: Binaryen, m: BinaryenModule, level: OptLevel): void {
  if (level === 0) return;
  if (level === 1) {
    m.runPasses(LEVEL1_PASSES);
    return;
  }
  const [optimizeLevel, shrinkLevel] = [bn.getOptimizeLevel(), bn.getShrinkLevel()];
  bn.setOptimizeLevel(level);
  bn.setShrinkLevel(0);
  try {
    m.optimize();
  } finally {
    bn.setOptimizeLevel(optimizeLevel);
    bn.setShrinkLevel(shrinkLevel);
  }
}

function failure(err: unknown, printed: string, insns: readonly Insn[], name: string): Error {
  if (err instanceof BpfError) return err;
  const why = err instanceof Error ? err.message : String(err);
  return new JitInternalError(
    `JIT internal error compiling ${name} (${insns.length} insns): ${why} — this is a bug in ebpf-wasm's JIT; please report it with the program`,
    insns,
    printed,
  );
}
