// The messages between a WebCpuPool (pool.ts, on the page's thread) and its Web Workers
// (worker.ts): structured-clonable data only. The shared WebAssembly.Memory and the compiled
// modules clone by reference, which a browser allows only on a cross-origin isolated page.

import type { MachineDescription } from "../../runtime/machine.js";
import type { RunTask, RunTaskResult } from "../protocol.js";

/** The first message to a worker: become CPU `cpu` of the machine. */
export interface InitMessage {
  readonly kind: "init";
  readonly cpu: number;
  readonly memory: WebAssembly.Memory;
  /** The maps runtime built for shared memory (build/maps.wasm). */
  readonly mapsModule: WebAssembly.Module;
  readonly machine: MachineDescription;
}

/** One task of a run; `id` pairs it with its answer. */
export interface RunMessage {
  readonly kind: "run";
  readonly id: number;
  readonly task: RunTask;
}

export type ToWorker = InitMessage | RunMessage;

/** An error as data (an Error object would lose its class crossing postMessage). */
export interface ErrorData {
  readonly name: string;
  readonly message: string;
}

export type FromWorker =
  | { readonly kind: "ready"; readonly cpu: number }
  | { readonly kind: "done"; readonly id: number; readonly result: RunTaskResult }
  /** `id` 0: the init failed. */
  | { readonly kind: "failed"; readonly id: number; readonly error: ErrorData };

export const errorData = (err: unknown): ErrorData => ({
  name: err instanceof Error ? err.name : "Error",
  message: err instanceof Error ? err.message : String(err),
});
