// CpuPool: a Piscina pool where each worker is one CPU of a machine (vm/runtime), with a fixed
// id for its life, all on the machine's one shared memory (DESIGN.md "Workers"). The corpus is
// written into the memory's corpus region once; a run hands workers packet index ranges.
// Node-only (worker_threads, Piscina); what it shares with the web pool is base.ts. ./README.md
// has the design and the measurements behind the settings.
//
//   const machine = createNodeMachine({ type: "xdp", shared: true, cpus: 2, corpusSize, maps });
//   const pool = await CpuPool.create(machine);
//   pool.loadCorpus(packets);
//   const prog = await pool.load(program, { engine: "jit" });
//   const run = await pool.run(prog, { workers: 2 });   // run.verdicts, run.ms, run.perCpu
//   machine.maps.perCpu("counts").lookup(key);           // every CPU's value
//   await pool.close();

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Piscina } from "piscina";
import { BpfError } from "../errors.js";
import { loadMapsModule } from "../maps/load.node.js";
import { describeMachine, type RuntimeMachine } from "../runtime/machine.js";
import { checkPoolMachine, PoolBase } from "./base.js";
import type { SharedCorpusInfo } from "./corpus.js";
import { claimTasks, rangeTasks, type RunRange } from "./plan.js";
import type { RunTask, RunTaskResult } from "./protocol.js";
import type { HelloResult, PoolTask, WorkerInit } from "./protocol.node.js";
import type { PoolProgram, RunOptions as CoreRunOptions } from "./types.js";

export interface PoolOptions {
  /** Workers = CPUs 0..workers-1 of the machine. Default: the machine's CPU count. */
  readonly workers?: number;
  /**
   * Tasks Piscina queues in a worker at once. Default 4: a worker finishing a task finds the
   * next already there instead of waiting a round trip to the main thread (README.md).
   */
  readonly concurrentTasksPerWorker?: number;
  /**
   * Piscina's wait for tasks. Default "disabled": with "sync" an idle worker sleeps in
   * Atomics.wait and stalls (README.md has the measurements).
   */
  readonly atomics?: "sync" | "async" | "disabled";
  /** ms before an idle worker exits. Default: never (a CPU keeps its worker and its id). */
  readonly idleTimeout?: number;
}

export interface RunOptions extends CoreRunOptions {
  /**
   * "claim" (default): one task per worker; workers take chunks of packets from a shared cursor
   * until the range is done — one Piscina dispatch per worker per run. "tasks": the range is cut
   * into tasks of `taskPackets` packets that Piscina hands out (kept to measure dispatch costs).
   */
  readonly schedule?: "claim" | "tasks";
  /** Packets per task (tasks). Default: ~1 ms of work. */
  readonly taskPackets?: number;
}

const WORKER_FILE = "worker.node.js";

/** The built worker: next to this module in dist/, or dist/vm/pool/ when running from sources. */
export function workerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, WORKER_FILE);
  if (existsSync(beside)) return beside;
  for (let dir = here, up = 0; up < 6; up++, dir = resolve(dir, "..")) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "ebpf-wasm") {
      const built = join(dir, "dist", "vm", "pool", WORKER_FILE);
      if (existsSync(built)) return built;
      break;
    }
  }
  throw new BpfError(`the pool worker is not built (no ${WORKER_FILE} beside ${here} nor in dist/vm/pool/): run \`npm run build\``);
}

export class CpuPool extends PoolBase<RunOptions> {
  private constructor(
    machine: RuntimeMachine,
    private readonly piscina: Piscina,
    workers: number,
  ) {
    super(machine, workers);
  }

  static async create(machine: RuntimeMachine, options: PoolOptions = {}): Promise<CpuPool> {
    const workers = options.workers ?? machine.layout.cpus;
    checkPoolMachine(machine, workers);
    const owners = new Int32Array(new SharedArrayBuffer(4 * workers));
    const init: WorkerInit = { memory: machine.memory, mapsModule: loadMapsModule(true), machine: describeMachine(machine), owners: owners.buffer as SharedArrayBuffer };
    const piscina = new Piscina({
      filename: pathToFileURL(workerPath()).href,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: options.idleTimeout ?? 2 ** 31 - 1,
      concurrentTasksPerWorker: options.concurrentTasksPerWorker ?? 4,
      atomics: options.atomics ?? "disabled",
      workerData: init,
    });
    // A worker that exits (crash, idle timeout) frees its CPU for the worker replacing it.
    piscina.on("workerDestroy", (worker: { id: number }) => {
      for (let id = 0; id < owners.length; id++) Atomics.compareExchange(owners, id, worker.id, 0);
    });
    const pool = new CpuPool(machine, piscina, workers);
    try {
      await Promise.all(Array.from({ length: workers }, () => piscina.run({ kind: "hello" } satisfies PoolTask) as Promise<HelloResult>));
    } catch (err) {
      await piscina.destroy();
      throw new BpfError(`the pool's workers did not start: ${(err as Error).message}`);
    }
    return pool;
  }

  protected override plan(program: PoolProgram, corpus: SharedCorpusInfo, range: RunRange, options: RunOptions): RunTask[] {
    const schedule = options.schedule ?? "claim";
    if (schedule === "claim") return claimTasks(program, corpus, range, options);
    if (schedule !== "tasks") throw new BpfError(`schedule must be "claim" or "tasks", not '${schedule as string}'`);
    if (range.workers !== this.workers) throw new BpfError(`schedule "tasks" uses every worker (${this.workers}); use "claim" to run on fewer`);
    return rangeTasks(program, corpus, range, options.results ?? false, options.taskPackets);
  }

  /** Piscina picks the worker of each task. */
  protected dispatch(tasks: readonly RunTask[]): Promise<Array<PromiseSettledResult<RunTaskResult>>> {
    return Promise.allSettled(tasks.map((t) => this.piscina.run(t) as Promise<RunTaskResult>));
  }

  protected shutdown(): Promise<void> {
    return this.piscina.destroy();
  }
}
