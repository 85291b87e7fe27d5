// A Node pool worker: one CPU of the machine, as a Piscina worker thread. Loaded by Piscina from
// dist/vm/pool/worker.node.js (workers cannot run TypeScript). At start it claims a free CPU id
// (the owners table in shared memory) and attaches to the machine the main thread created: same
// memory, same maps, its own helper closures. Running tasks is cpu.ts's PoolCpu, shared with the
// web worker.

import { threadId } from "node:worker_threads";
import { workerData } from "piscina";
import { BpfError } from "../errors.js";
import { attachMachine } from "../runtime/machine.js";
import { PoolCpu } from "./cpu.js";
import type { RunTaskResult } from "./protocol.js";
import type { HelloResult, PoolTask, WorkerInit } from "./protocol.node.js";
import { openThreadCpuClock } from "./thread-cpu.node.js";

const init = workerData as WorkerInit;
const owners = new Int32Array(init.owners);
const cpuId = claimCpu();
const cpu = new PoolCpu(attachMachine(init.machine, init.memory, init.mapsModule), cpuId, openThreadCpuClock());

/** The first CPU no live worker owns. The main thread frees a CPU when its worker exits. */
function claimCpu(): number {
  for (let id = 0; id < owners.length; id++) {
    if (Atomics.compareExchange(owners, id, 0, threadId) === 0) {
      Atomics.notify(owners, id);
      return id;
    }
  }
  throw new BpfError(`pool worker (thread ${threadId}): every CPU of the machine (${owners.length}) already has a worker`);
}

/** Every CPU has a worker (all claimed): the pool is ready. */
function hello(): HelloResult {
  const deadline = performance.now() + 30_000;
  for (let id = 0; id < owners.length; id++) {
    while (Atomics.load(owners, id) === 0) {
      if (performance.now() > deadline) throw new BpfError(`pool worker: CPU ${id} got no worker within 30 s`);
      Atomics.wait(owners, id, 0, 100);
    }
  }
  return { cpu: cpu.cpu.cpu, threadId };
}

export default function handle(task: PoolTask): Promise<RunTaskResult> | HelloResult {
  return task.kind === "hello" ? hello() : cpu.run(task);
}
