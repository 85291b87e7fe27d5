// A pool worker: one CPU of the machine. Loaded by Piscina from dist/vm/pool/worker.js (workers
// cannot run TypeScript). At start it claims a free CPU id (the owners table in shared memory)
// and attaches to the machine the main thread created: same memory, same maps, its own helper
// closures. Tasks carry packet index ranges of the shared corpus; programs are loaded on first
// use and kept by id.

import { threadId } from "node:worker_threads";
import { workerData } from "piscina";
import { BpfError } from "../errors.js";
import type { CpuRegion } from "../memory/layout.js";
import { attachMachine, type RuntimeMachine } from "../runtime/machine.js";
import { histAddress, HIST_BINS, type SharedCorpusInfo } from "./corpus.js";
import type { SpanRunner } from "./cpu-runner.js";
import { loadRunner } from "./load.js";
import { openThreadCpuClock } from "./thread-cpu.js";
import type { HelloResult, PoolTask, RunTask, RunTaskResult, WorkerInit } from "./protocol.js";

const init = workerData as WorkerInit;
const owners = new Int32Array(init.owners);
const cpuId = claimCpu();
const machine: RuntimeMachine = attachMachine(init.machine, init.memory, init.mapsModule);
const cpu: CpuRegion = machine.layout.cpu(cpuId);
const control = (corpus: SharedCorpusInfo): Int32Array => new Int32Array(init.memory.buffer, corpus.control, 64);
const hist = new BigUint64Array(init.memory.buffer);
const threadCpu = openThreadCpuClock();

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

/** Programs by ref id; a pool loads few, so no eviction beyond a small bound. */
const runners = new Map<number, Promise<SpanRunner>>();
const MAX_PROGRAMS = 64;

function runnerFor(task: RunTask): Promise<SpanRunner> {
  let runner = runners.get(task.program.id);
  if (!runner) {
    if (runners.size >= MAX_PROGRAMS) runners.delete(runners.keys().next().value!);
    runner = loadRunner(task.program, machine, cpu);
    runners.set(task.program.id, runner);
    runner.catch(() => runners.delete(task.program.id));
  }
  return runner;
}

/** Run the packets [a, b) of the run's index space: corpus packet i mod count, in spans. */
function runRange(runner: SpanRunner, task: RunTask, a: number, b: number): void {
  const n = task.corpus.count;
  while (a < b) {
    const start = a % n;
    const count = Math.min(b - a, n - start);
    runner.run(task.corpus, start, count, task.results);
    a += count;
  }
}

async function run(task: RunTask): Promise<RunTaskResult> {
  const runner = await runnerFor(task);
  const h = histAddress(task.corpus, cpu.cpu) / 8;
  hist.fill(0n, h, h + HIST_BINS);
  const words = control(task.corpus);
  const cancel = task.cursor + 1;
  let packets = 0;
  const cpu0 = threadCpu?.now();
  const t0 = performance.now();
  try {
    if (task.chunk === 0) {
      runRange(runner, task, task.first, task.end);
      packets = task.end - task.first;
    } else {
      for (;;) {
        if (Atomics.load(words, cancel) !== 0) break;
        const a = task.first + Atomics.add(words, task.cursor, task.chunk);
        if (a >= task.end) break;
        const b = Math.min(a + task.chunk, task.end);
        runRange(runner, task, a, b);
        packets += b - a;
      }
    }
  } catch (err) {
    // Stop the other workers of this run at their next chunk; the main thread reports this error.
    Atomics.store(words, cancel, 1);
    const message = err instanceof Error ? err.message : String(err);
    throw new BpfError(`CPU ${cpu.cpu}: program '${task.program.name}': ${message}`);
  }
  const busyMs = performance.now() - t0;
  const cpuMs = cpu0 === undefined ? undefined : (threadCpu!.now() - cpu0) / 1e6;
  return { cpu: cpu.cpu, packets, busyMs, ...(cpuMs === undefined ? {} : { cpuMs }), hist: Array.from(hist.subarray(h, h + HIST_BINS), Number) };
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
  return { cpu: cpu.cpu, threadId };
}

export default function handle(task: PoolTask): Promise<RunTaskResult> | HelloResult {
  return task.kind === "hello" ? hello() : run(task);
}
