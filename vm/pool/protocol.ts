// What the pool's main thread and its workers say to each other: plain, structured-clonable
// data. A WebAssembly.Module and a shared WebAssembly.Memory clone by reference (the compiled
// code and the bytes are shared, not copied).

import type { JitModule } from "../../jit/modules.js";
import type { Program } from "../engine.js";
import type { MachineDescription } from "../runtime/machine.js";
import type { SharedCorpusInfo } from "./corpus.js";

export type PoolEngine = "jit" | "interpreter";

/** Piscina's workerData: everything a worker needs to become one CPU of the machine. */
export interface WorkerInit {
  readonly memory: WebAssembly.Memory;
  /** The maps runtime built for shared memory (build/maps.wasm). */
  readonly mapsModule: WebAssembly.Module;
  readonly machine: MachineDescription;
  /** Int32 per CPU: the threadId of the worker that is that CPU (0 = free). */
  readonly owners: SharedArrayBuffer;
}

/** A program as workers load it (cached per worker by id). */
export interface ProgramRef {
  readonly id: number;
  readonly name: string;
  readonly engine: PoolEngine;
  /** The program's instructions as given (lddw map references unresolved), encoded. */
  readonly insns: Uint8Array;
  /** The JIT's compilation (module, import plan, source map): workers instantiate it, never compile. */
  readonly jit?: JitModule;
  /** Run on the corpus bytes themselves (true) or on a per-CPU copy (false). */
  readonly inPlace: boolean;
  /**
   * The machine's program table (tail-call targets) when the program was loaded: a worker adds
   * the ones its attached machine lacks (they were added after the pool started).
   */
  readonly table: ReadonlyArray<readonly [id: number, program: Program]>;
}

export interface RunTask {
  readonly kind: "run";
  readonly program: ProgramRef;
  readonly corpus: SharedCorpusInfo;
  /**
   * Packet indices [first, end) of this run; index i is corpus packet i mod count, so a range
   * longer than the corpus goes round it several times.
   */
  readonly first: number;
  readonly end: number;
  /**
   * 0: this task is the range [first, end) itself. Otherwise the task takes chunks of this many
   * packets from the shared cursor (control word `cursor`) until the run's range is done or the
   * cancel word (`cursor + 1`) is set.
   */
  readonly chunk: number;
  readonly cursor: number;
  /** Store each packet's r0 in the corpus results array. */
  readonly results: boolean;
}

/** Wait until every CPU has a worker; answers the worker's CPU. */
export interface HelloTask {
  readonly kind: "hello";
}

export type PoolTask = RunTask | HelloTask;

export interface RunTaskResult {
  readonly cpu: number;
  readonly packets: number;
  /** Time spent running packets in this task (ms). */
  readonly busyMs: number;
  /** Of that, the time the worker's thread was on a CPU (ms; thread-cpu.ts), when known. */
  readonly cpuMs?: number;
  /** Verdict bins: runs by min(u32 r0, 7). */
  readonly hist: readonly number[];
}

export interface HelloResult {
  readonly cpu: number;
  readonly threadId: number;
}
