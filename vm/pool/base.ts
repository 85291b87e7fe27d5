// What every pool does on the thread that owns the machine, whatever its workers are (Piscina
// threads in pool.node.ts, Web Workers in web/pool.ts): the corpus written once into the shared
// memory, programs prepared once, runs serialised (they share the control words and the CPUs'
// histograms), a run's range cut into tasks and the workers' results summed. A subclass only
// starts its workers and hands them tasks (`dispatch`).

import type { Program } from "../engine.js";
import { BpfError, BpfRuntimeError } from "../errors.js";
import { isSharedMemory } from "../maps/runtime.js";
import type { RuntimeMachine } from "../runtime/machine.js";
import { writeCorpus, type CorpusPacket, type SharedCorpusInfo } from "./corpus.js";
import { claimTasks, runRange, type RunRange } from "./plan.js";
import { loadPoolProgram } from "./programs.js";
import type { RunTask, RunTaskResult } from "./protocol.js";
import { summarise } from "./summary.js";
import type { LoadOptions, PoolProgram, PoolRun, RunOptions } from "./types.js";

/** The checks of create(): a worker count the machine has CPUs for, and a shared memory. */
export function checkPoolMachine(machine: RuntimeMachine, workers: number): void {
  if (!Number.isInteger(workers) || workers < 1 || workers > machine.layout.cpus) {
    throw new BpfError(`a pool of ${workers} workers needs 1..${machine.layout.cpus} (the machine's CPUs)`);
  }
  if (!isSharedMemory(machine.memory)) throw new BpfError("the pool needs a machine with shared memory (createMachine({ shared: true }))");
}

export abstract class PoolBase<O extends RunOptions = RunOptions> {
  private corpusInfo: SharedCorpusInfo | undefined;
  private nextProgram = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private running = 0;
  protected closed = false;
  /** The maps the workers attached to (describeMachine when the pool started). */
  private readonly attachedMaps: number;

  protected constructor(
    readonly machine: RuntimeMachine,
    /** Workers = CPUs 0..workers-1 of the machine. */
    readonly workers: number,
  ) {
    this.attachedMaps = machine.maps.describe().length;
  }

  /**
   * Hand the run's tasks to the workers; settles when every task has (a failed task must not
   * stop the others from being waited for: they share the control words).
   */
  protected abstract dispatch(tasks: readonly RunTask[]): Promise<Array<PromiseSettledResult<RunTaskResult>>>;

  /** Stop the workers (after the run in flight, if any). */
  protected abstract shutdown(): Promise<void>;

  /** The tasks of a run: by default one per worker claiming chunks (README.md "Tasks"). */
  protected plan(program: PoolProgram, corpus: SharedCorpusInfo, range: RunRange, options: O): RunTask[] {
    return claimTasks(program, corpus, range, options);
  }

  /** Write the packets into the machine's corpus region (between runs only: workers read it without locks). */
  loadCorpus(packets: readonly CorpusPacket[]): SharedCorpusInfo {
    if (this.closed) throw new BpfError("the pool is closed");
    if (this.running > 0) throw new BpfError("cannot replace the corpus while a run is in flight");
    this.corpusInfo = writeCorpus(this.machine.memory, this.machine.layout, packets, this.machine.type);
    return this.corpusInfo;
  }

  get corpus(): SharedCorpusInfo | undefined {
    return this.corpusInfo;
  }

  /** Check and prepare a program: the JIT compiles here once; workers instantiate its module. */
  load(program: Program, options: LoadOptions = {}): Promise<PoolProgram> {
    if (this.closed) return Promise.reject(new BpfError("the pool is closed"));
    return loadPoolProgram(this.machine, program, options, this.nextProgram++);
  }

  /** Run `program` over the corpus (or a range of its indices) on the pool's CPUs. */
  run(program: PoolProgram, options: O = {} as O): Promise<PoolRun> {
    return this.serial(() => this.runNow(program, options));
  }

  /** r0 of each packet's last run with `results: true`, as unsigned 64-bit values. */
  readResults(): BigUint64Array {
    const c = this.need();
    return new BigUint64Array(this.machine.memory.buffer, c.results, c.count).slice();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.shutdown();
  }

  private need(): SharedCorpusInfo {
    if (!this.corpusInfo) throw new BpfError("no corpus loaded in the pool (loadCorpus first)");
    return this.corpusInfo;
  }

  /** One run at a time: runs share the control words and the CPUs' histograms. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new BpfError("the pool is closed"));
    this.running++;
    const result = this.queue.then(fn).finally(() => this.running--);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The maps created since the workers attached go with each task (RunTask.maps). */
  private withNewMaps(tasks: RunTask[]): RunTask[] {
    const added = this.machine.maps.describe().slice(this.attachedMaps);
    if (added.length === 0) return tasks;
    return tasks.map((t) => ({ ...t, maps: { first: this.attachedMaps, added } }));
  }

  private async runNow(program: PoolProgram, options: O): Promise<PoolRun> {
    const corpus = this.need();
    if (corpus.count === 0) return { packets: 0, ms: 0, verdicts: {}, perCpu: [], tasks: 0, overhead: 0 };
    const range = runRange(options, this.workers, corpus.count);
    const tasks = this.withNewMaps(this.plan(program, corpus, range, options));
    const control = new Int32Array(this.machine.memory.buffer, corpus.control, 2);
    Atomics.store(control, 0, 0); // the cursor
    Atomics.store(control, 1, 0); // the cancel word
    const t0 = performance.now();
    const settled = await this.dispatch(tasks);
    const ms = performance.now() - t0;
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) {
      const message = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
      throw new BpfRuntimeError(`run of '${program.name}' failed: ${message}`);
    }
    const results = settled.map((s) => (s as PromiseFulfilledResult<RunTaskResult>).value);
    return summarise(this.machine.type, program, results, range.packets, ms, tasks.length);
  }
}
