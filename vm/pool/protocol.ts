// What a pool's main thread and its workers say to each other about programs and runs: plain,
// structured-clonable data, the same for the Node pool (Piscina tasks) and the web pool
// (postMessage). A WebAssembly.Module and a shared WebAssembly.Memory clone by reference (the
// compiled code and the bytes are shared, not copied). How a worker starts differs per host:
// protocol.node.ts (Piscina's workerData) and web/protocol.ts (an init message).

import type { JitModule } from "../../jit/modules.js";
import type { Program } from "../engine.js";
import type { MapDescriptor } from "../maps/descriptor.js";
import type { SharedCorpusInfo } from "./corpus.js";

export type PoolEngine = "jit" | "interpreter";

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
   * The program, or a tail-call target it may reach, loads `__sk_buff.sk`: its packets are placed
   * by ContextWriter (the test run's socket is written outside the ctx), not from the corpus's
   * precomputed contexts (placements.ts).
   */
  readonly readsSkbSocket: boolean;
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
  /**
   * Maps created after the workers attached (fds first, first + 1, ...): a worker adds the ones
   * it lacks, as a map of maps' slot may hold any of them (MapSet.adopt).
   */
  readonly maps?: { readonly first: number; readonly added: readonly MapDescriptor[] };
}

export interface RunTaskResult {
  readonly cpu: number;
  readonly packets: number;
  /** Time spent running packets in this task (ms). */
  readonly busyMs: number;
  /** Of that, the time the worker's thread was on a CPU (ms), when the host has a thread clock. */
  readonly cpuMs?: number;
  /** Verdict bins (corpus.ts histBin): runs per bin. */
  readonly hist: readonly number[];
}
