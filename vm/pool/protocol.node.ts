// How a Piscina worker of the Node pool starts (pool.node.ts, worker.node.ts): its workerData,
// and the hello task that waits until every CPU has a worker. Runs use protocol.ts's RunTask.

import type { MachineDescription } from "../runtime/machine.js";
import type { RunTask } from "./protocol.js";

/** Piscina's workerData: everything a worker needs to become one CPU of the machine. */
export interface WorkerInit {
  readonly memory: WebAssembly.Memory;
  /** The maps runtime built for shared memory (build/maps.wasm). */
  readonly mapsModule: WebAssembly.Module;
  readonly machine: MachineDescription;
  /** Int32 per CPU: the threadId of the worker that is that CPU (0 = free). */
  readonly owners: SharedArrayBuffer;
}

/** Wait until every CPU has a worker; answers the worker's CPU. */
export interface HelloTask {
  readonly kind: "hello";
}

export type PoolTask = RunTask | HelloTask;

export interface HelloResult {
  readonly cpu: number;
  readonly threadId: number;
}
