// The JIT's entry: eBPF program → wasm module (issue 3, DESIGN.md "The JIT").
//
//   validate (vm/program/validate.ts) → CFG (cfg.ts) → per subprogram: structure plan (structure.ts) and
//   lowering (program.ts, function.ts, lower/*) into an IR builder (ir.ts) → entry points (entry.ts) →
//   binary → [Binaryen passes when opt >= 1] → WebAssembly.Module.
//
// The default builder writes the wasm binary directly (direct/module.ts); Binaryen is loaded only
// to optimise (opt >= 1), to validate (tests), or as the alternative IR builder (backend
// "binaryen"). ir.ts has the measurements behind that split. Everything up to the binary is
// synchronous once Binaryen (when needed) is loaded: `compileSync` serves the tail-call targets
// a running program reaches for the first time (link.ts). compile() builds the WebAssembly.Module
// synchronously too unless it is very large (moduleOf: V8 compiles function bodies lazily, so
// that is only decoding and validation). docs/jit.md has the compile-latency figures.
//
// What the module imports is in its ImportPlan (imports.ts); its name section names it uniquely
// (names.ts) so faults in any module of a machine are traced to their program.
//
// Refusals of the program (unknown opcode, bad jump, unknown helper...) are BpfErrors with the
// instruction index: compile() validates the program itself, with the checks and messages of
// every engine (vm/program/validate.ts), so a caller that skipped validate() is safe too. Anything else going wrong — Binaryen aborting, V8 rejecting the binary — is
// a bug in this JIT and becomes a JitInternalError that carries the program and what Binaryen
// printed (never printed to stderr). Every Binaryen module is disposed, on error paths too.

import { BpfError } from "../vm/errors.js";
import type { HelperTable } from "../vm/helpers/registry.js";
import type { Insn } from "../vm/isa/instruction.js";
import type { MapDescriptor } from "../vm/maps/descriptor.js";
import { validateProgram } from "../vm/program/validate.js";
import { SKB_DATA_END_OFFSET, SKB_DATA_OFFSET } from "../vm/programs/skb.js";
import { binaryenIfLoaded, features, loadBinaryen, quietly, type Binaryen, type BinaryenModule } from "./binaryen.js";
import { DirectModule } from "./direct/module.js";
import { buildCfg } from "./cfg.js";
import type { ImportPlan } from "./imports.js";
import type { ModuleState, PacketFields } from "./lower/context.js";
import { lowerProgram } from "./program.js";
import { withModuleName } from "./names.js";

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
  /**
   * How map helpers are called: "wasm" (default) imports the maps runtime's exports
   * wasm-to-wasm (lower/maps.ts); "js" calls every helper through its JS HelperDef, as the
   * interpreter does (benchmarks compare the two).
   */
  readonly mapCalls?: "wasm" | "js";
  /** Inline ARRAY / PERCPU_ARRAY lookups of maps known at compile time. Default true (with mapCalls "wasm"). */
  readonly inlineArrays?: boolean;
  /**
   * The instruction budget of a run, as the interpreter's (default DEFAULT_MAX_INSNS): a run whose
   * loops pass it stops with a fault naming the loop, so an unverified program that never ends
   * stops too. The JIT charges each loop iteration the loop's length in instructions, at the
   * loop's head; code outside loops is not counted (it runs once per call, and calls are at most
   * 8 frames deep), so a run stops no later than the interpreter would on loops alone.
   * `Infinity`: no counting (a verified program ends by construction).
   */
  readonly maxInsns?: number;
}

/** What the module needs from the machine it will run on. */
export interface JitTarget {
  /** The memory's size in 64 KiB pages when the module is instantiated. */
  readonly pages: number;
  readonly shared: boolean;
  readonly helpers: HelperTable;
  /** The machine's maps (MapSet.describe()): map helpers call the runtime directly when given. */
  readonly maps?: readonly MapDescriptor[];
  /** Bytes of each CPU's packet slot (vm/memory/layout.ts), for the helpers that move packets in it. */
  readonly packetSlotSize?: number;
}

export interface CompileStats {
  readonly insns: number;
  readonly functions: number;
  /** Functions lowered as a dispatch loop (irreducible flow). */
  readonly dispatchFunctions: number;
  readonly bytes: number;
  /**
   * Where the time went: analysis (validation + CFG), build (lowering into the IR builder), opt
   * (Binaryen reading, validating and optimising), emit (writing the binary), wasm (V8's
   * WebAssembly.Module: decoding and validation; function bodies are compiled lazily, at first call).
   */
  readonly ms: { readonly analysis: number; readonly build: number; readonly opt: number; readonly emit: number; readonly wasm: number };
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
  /** Everything the module imports (plain data: workers get it with the module). */
  readonly plan: ImportPlan;
  /** The direct builder's source map at opt 0 (plain arrays, for insnAt in another thread). */
  readonly sourceMap?: SourceMap;
  readonly stats: CompileStats;
}

/** Module byte offsets (ascending) where an instruction's code starts, and the instruction (-1: none). */
export interface SourceMap {
  readonly offsets: Int32Array;
  readonly insns: Int32Array;
}

/** Binaryen is needed to optimise, validate or build IR. */
const needsBinaryen = (options: JitOptions): boolean => (options.opt ?? 0) > 0 || options.validate === true || options.backend === "binaryen";

/** __sk_buff.data and __sk_buff.data_end (include/uapi/linux/bpf.h), as the interpreter reads them. */
export const SKB_PACKET_FIELDS: PacketFields = { data: SKB_DATA_OFFSET, dataEnd: SKB_DATA_END_OFFSET };

/**
 * The short pass list of level 1: cheap clean-ups of the structure's blocks and branches.
 * Not merge-blocks: on the structure's chains of nested blocks it grows quadratically (measured:
 * 237 ms for a 10k-instruction program, 849 ms for 20k, against 24 ms for these three passes
 * together at 10k and 157 ms at 100k).
 */
const LEVEL1_PASSES = ["remove-unused-brs", "remove-unused-names", "vacuum"];

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
  const bn = needsBinaryen(options) ? await loadBinaryen() : undefined;
  const { built, times, funcs } = buildBinary(insns, target, options, name, bn);
  const t1 = performance.now();
  let module: WebAssembly.Module;
  try {
    module = await moduleOf(built.binary as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw failure(err, "", insns, name);
  }
  times.wasm = performance.now() - t1;
  return compiled(module, built, times, insns.length, funcs);
}

/**
 * Binaries up to this size are compiled with the synchronous `new WebAssembly.Module` even by the
 * async compile(): V8 compiles function bodies lazily (on first call), so the constructor only
 * decodes and validates — 0.05–0.7 ms for a 10k-instruction program (86 KB) here — while
 * `WebAssembly.compile` hands the same work to background threads and resolves its promise
 * through the event loop: 0.9–100 ms for the same module on this 2-core machine, the more the
 * busier the cores. 8 MB is the largest module Chromium lets the main thread compile
 * synchronously since version 114; larger ones go through WebAssembly.compile.
 */
export const SYNC_COMPILE_LIMIT = 8 << 20;

/** A WebAssembly.Module of `binary`: synchronously up to SYNC_COMPILE_LIMIT, else (or if refused) asynchronously. */
export async function moduleOf(binary: Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module> {
  if (binary.length > SYNC_COMPILE_LIMIT) return WebAssembly.compile(binary);
  try {
    return new WebAssembly.Module(binary);
  } catch (err) {
    // An engine that refuses synchronous compilation here (a RangeError) may still compile it asynchronously.
    if (err instanceof RangeError) return WebAssembly.compile(binary);
    throw err;
  }
}

/**
 * compile() without a promise: V8 compiles the module synchronously. Binaryen must already be
 * loaded when the options need it (loadBinaryen()); if it is not, optimisation is skipped (the
 * code is the same, only less tidy) and validation too.
 */
export function compileSync(insns: readonly Insn[], target: JitTarget, options: JitOptions = {}, name = "program"): Compiled {
  const bn = binaryenIfLoaded();
  const usable = bn || !needsBinaryen(options) ? options : { ...options, opt: 0 as const, validate: false, backend: "direct" as const };
  const { built, times, funcs } = buildBinary(insns, target, usable, name, bn);
  const t1 = performance.now();
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(built.binary as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw failure(err, "", insns, name);
  }
  times.wasm = performance.now() - t1;
  return compiled(module, built, times, insns.length, funcs);
}

function compiled(module: WebAssembly.Module, built: Built, times: Times, insns: number, functions: number): Compiled {
  return {
    module,
    insnAt: built.sourceMap ? sourceLookup(built.sourceMap) : unknownInsn,
    binary: built.binary,
    helpers: built.plan.helpers,
    plan: built.plan,
    ...(built.sourceMap ? { sourceMap: built.sourceMap } : {}),
    stats: { insns, functions, dispatchFunctions: built.dispatchFunctions, bytes: built.binary.length, ms: times },
  };
}

/** Decode, build with the chosen backend, optimise, name: the binary and its plan. */
function buildBinary(
  insns: readonly Insn[],
  target: JitTarget,
  options: JitOptions,
  name: string,
  bn: Binaryen | undefined,
): { built: Built; times: Times; funcs: number } {
  const t0 = performance.now();
  const { defs: decoded, subprograms } = validateProgram(insns, { helpers: target.helpers });
  const cfg = buildCfg(insns, decoded, subprograms);
  const times = { analysis: performance.now() - t0, build: 0, opt: 0, emit: 0, wasm: 0 };
  const built =
    options.backend === "binaryen"
      ? buildWithBinaryen(bn!, insns, decoded, cfg, target, options, name, times)
      : buildDirect(bn, insns, decoded, cfg, target, options, name, times);
  return { built: { ...built, binary: withModuleName(built.binary, built.plan.module) }, times, funcs: cfg.funcs.length };
}

interface Built {
  readonly binary: Uint8Array;
  readonly sourceMap?: SourceMap;
  readonly plan: ImportPlan;
  readonly dispatchFunctions: number;
}

type Times = { analysis: number; build: number; opt: number; emit: number; wasm: number };

/**
 * The default path: write the binary directly (ir.ts says why), then — only for opt >= 1 or
 * when validation is asked for — read it into Binaryen to optimise or validate it.
 */
function buildDirect(
  loaded: Binaryen | undefined,
  insns: readonly Insn[],
  decoded: ModuleState["decoded"],
  cfg: ModuleState["cfg"],
  target: JitTarget,
  options: JitOptions,
  name: string,
  times: Times,
): Built {
  const t0 = performance.now();
  const m = new DirectModule(insns.length);
  let lowered: { plan: ImportPlan; dispatchFunctions: number };
  let binary: Uint8Array;
  try {
    lowered = lowerProgram(m, m.types, insns, decoded, cfg, target, options, name);
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
    const bn = loaded!;
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
  if (opt !== 0) return { binary, ...lowered };
  return { binary, sourceMap: m.sourceMap, ...lowered };
}

/** The Binaryen-IR path (options.backend = "binaryen"): same lowering, Binaryen's builder. */
function buildWithBinaryen(
  bn: Binaryen,
  insns: readonly Insn[],
  decoded: ModuleState["decoded"],
  cfg: ModuleState["cfg"],
  target: JitTarget,
  options: JitOptions,
  name: string,
  times: Times,
): Built {
  const t0 = performance.now();
  const m = new bn.Module();
  try {
    m.setFeatures(features(bn));
    const built = quietly(() => {
      const lowered = lowerProgram(m, bn, insns, decoded, cfg, target, options, name);
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
    return { binary: emitted.value!, ...built.value! };
  } finally {
    m.dispose();
  }
}

const unknownInsn = (): undefined => undefined;

/** Binary search of the last mark at or before `offset`. */
export function sourceLookup({ offsets, insns }: SourceMap): Compiled["insnAt"] {
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

/** Binaryen (Emscripten) may throw a non-Error: say what it is rather than "[object Object]". */
function describeThrown(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err !== "object" || err === null) return String(err);
  try {
    return `${err.constructor?.name ?? "object"} ${JSON.stringify(err)}`;
  } catch {
    return String(err);
  }
}

function failure(err: unknown, printed: string, insns: readonly Insn[], name: string): Error {
  if (err instanceof BpfError) return err;
  const why = describeThrown(err);
  return new JitInternalError(
    `JIT internal error compiling ${name} (${insns.length} insns): ${why} — this is a bug in ebpf-wasm's JIT; please report it with the program`,
    insns,
    printed,
  );
}
