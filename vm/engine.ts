// The spine every engine implements: load → (verify) → compile → run. The interpreter, the JIT
// and (later) the kernel engine all implement `Engine`, and one shared test suite runs against
// each (test/engines/*.test.ts), so "the JIT agrees with the interpreter" is a property of the
// code base, not of a test someone remembered to write.

import type { Insn } from "./isa/instruction.js";
import type { HelperTable } from "./helpers/registry.js";
import type { Layout } from "./memory/layout.js";
import type { MapSet } from "./maps/mapset.js";
import type { ProgramTable } from "./runtime/programs.js";

/** A program ready to run: its instruction slots (lddw = two slots) and a name for messages. */
/**
 * Default instruction budget of a run, on every engine: about 2–3 s of interpretation. A verified
 * program always ends well within it; an unverified one that loops forever stops with a fault.
 */
export const DEFAULT_MAX_INSNS = 1_000_000_000;

export interface Program {
  readonly insns: readonly Insn[];
  readonly name?: string;
}

/** A range of the address space a run may touch: [start, end). */
export interface Region {
  readonly start: number;
  readonly end: number;
  readonly writable: boolean;
  /** What it is, for fault messages: "stack", "packet", "map 'flows' value"... */
  readonly name: string;
}

/** Where programs run: the one memory, its layout, and the helpers programs may call. */
export interface Machine {
  readonly memory: WebAssembly.Memory;
  readonly layout: Layout;
  readonly helpers: HelperTable;
  /**
   * The maps programs reference: `lddw rX, map_fd N` loads the header address of the map with
   * fd N (its index here). Engines resolve these at load (vm/program/lddw.ts). None: no maps.
   */
  readonly maps?: MapSet;
  /** Programs that tail calls reach: the ids PROG_ARRAY slots hold (vm/runtime/programs.ts). */
  readonly programs?: ProgramTable;
  /**
   * The machine's BPF timers (vm/runtime/timers.ts): engines tell them each program they load,
   * so that a timer callback of it runs later on the same engine.
   */
  readonly timers?: { bind(program: Program, engine: Engine): void };
}

export interface RunInput {
  /** r1..r5 at entry (missing ones are 0). r10 is set by the engine to the CPU's stack top. */
  readonly args?: readonly bigint[];
  /** The CPU (worker) the run is on: selects its stack, ctx and packet slot. Default 0. */
  readonly cpu?: number;
  /**
   * Memory the program may touch besides its own stack (input, packet, ctx, map values).
   * The interpreter checks every access against these; the JIT relies on the verifier.
   */
  readonly regions?: readonly Region[];
}

/**
 * A batch of runs over inputs already in memory (`runBatch`): one call into the engine for N
 * packets. Descriptors are `count` × 8 bytes at `descAddr`: { ptr: u32, len: u32 } little-endian.
 * Without `ctx`, each run gets r1 = ptr, r2 = len (the conformance / raw program type); with it,
 * the engine stores u32 ptr at ctx.addr + dataOff and ptr + len at ctx.addr + dataEndOff
 * (xdp_md: 0/4, __sk_buff: 76/80) and runs with r1 = ctx.addr. r0 of run k is stored as a
 * little-endian u64 at resultsAddr + 8k.
 */
export interface BatchInput {
  readonly descAddr: number;
  readonly count: number;
  readonly resultsAddr: number;
  /** The CPU the batch runs on (stack, helpers' CPU id). Default 0. */
  readonly cpu?: number;
  readonly ctx?: { readonly addr: number; readonly dataOff: number; readonly dataEndOff: number };
}

export interface LoadedProgram {
  /** Run once and return r0 as an unsigned 64-bit value. */
  run(input?: RunInput): bigint;
  /** Run over `count` inputs described in memory, storing each r0 (see BatchInput). */
  runBatch?(batch: BatchInput): void;
  /** Release what the engine holds (wasm instances, Binaryen modules). */
  dispose(): void;
}

export interface Engine {
  readonly name: string;
  load(program: Program, machine: Machine): Promise<LoadedProgram>;
}
