// The worker side of a pool, whatever the host: one CPU of an attached machine that loads
// programs on first use (kept by ref id) and runs tasks — a fixed packet range, or chunks
// claimed from the run's shared cursor with Atomics.add until the range is done or another
// worker has set the run's cancel word. The Node worker (worker.node.ts) and the web worker
// (web/worker.ts) differ only in how they start and how tasks reach them.

import { BpfError } from "../errors.js";
import type { CpuRegion } from "../memory/layout.js";
import type { RuntimeMachine } from "../runtime/machine.js";
import { CONTROL_WORDS, histAddress, HIST_BINS } from "./corpus.js";
import type { SpanRunner } from "./cpu-runner.js";
import { loadRunner } from "./load.js";
import type { ProgramRef, RunTask, RunTaskResult } from "./protocol.js";

/** The calling thread's time on a CPU, in ns, where the host has such a clock. */
export interface CpuClock {
  now(): number;
}

/** Programs kept per worker: a pool loads few, so no eviction beyond this bound. */
const MAX_PROGRAMS = 64;

export class PoolCpu {
  readonly cpu: CpuRegion;
  private readonly runners = new Map<number, Promise<SpanRunner>>();
  private readonly hist: BigUint64Array;

  constructor(
    readonly machine: RuntimeMachine,
    cpuId: number,
    private readonly clock?: CpuClock,
  ) {
    this.cpu = machine.layout.cpu(cpuId);
    this.hist = new BigUint64Array(machine.memory.buffer);
  }

  /**
   * Run a task on this CPU. A fault stops the run's other workers at their next chunk (the cancel
   * word) and is thrown as a BpfError naming this CPU and the program; so is a timer callback's
   * fault since the last run.
   */
  async run(task: RunTask): Promise<RunTaskResult> {
    // A timer callback runs on this thread between runs (vm/runtime/timers.ts); if one failed,
    // this run reports it instead of running.
    const failed = this.machine.timers.takeError();
    if (failed !== undefined) {
      throw new BpfError(`CPU ${this.cpu.cpu}: a BPF timer callback that ran here since the last run failed: ${failed instanceof Error ? failed.message : String(failed)}`);
    }
    if (task.maps) this.machine.maps.adopt(task.maps.first, task.maps.added);
    const runner = await this.runnerFor(task.program);
    const h = histAddress(task.corpus, this.cpu.cpu) / 8;
    this.hist.fill(0n, h, h + HIST_BINS);
    const words = new Int32Array(this.machine.memory.buffer, task.corpus.control, CONTROL_WORDS);
    const cpu0 = this.clock?.now();
    const t0 = performance.now();
    let packets: number;
    try {
      packets = task.chunk === 0 ? runRange(runner, task, task.first, task.end) : claimChunks(runner, task, words);
    } catch (err) {
      Atomics.store(words, task.cursor + 1, 1);
      const message = err instanceof Error ? err.message : String(err);
      throw new BpfError(`CPU ${this.cpu.cpu}: program '${task.program.name}': ${message}`);
    }
    const busyMs = performance.now() - t0;
    const cpuMs = cpu0 === undefined ? undefined : (this.clock!.now() - cpu0) / 1e6;
    const hist = Array.from(this.hist.subarray(h, h + HIST_BINS), Number);
    return { cpu: this.cpu.cpu, packets, busyMs, ...(cpuMs === undefined ? {} : { cpuMs }), hist };
  }

  private runnerFor(ref: ProgramRef): Promise<SpanRunner> {
    let runner = this.runners.get(ref.id);
    if (!runner) {
      if (this.runners.size >= MAX_PROGRAMS) this.runners.delete(this.runners.keys().next().value!);
      runner = loadRunner(ref, this.machine, this.cpu);
      this.runners.set(ref.id, runner);
      runner.catch(() => this.runners.delete(ref.id));
    }
    return runner;
  }
}

/** Claim chunks of the run's range from the shared cursor until it is done or cancelled; the packets run. */
function claimChunks(runner: SpanRunner, task: RunTask, words: Int32Array): number {
  let packets = 0;
  while (Atomics.load(words, task.cursor + 1) === 0) {
    const a = task.first + Atomics.add(words, task.cursor, task.chunk);
    if (a >= task.end) break;
    packets += runRange(runner, task, a, Math.min(a + task.chunk, task.end));
  }
  return packets;
}

/** Run the packets [a, b) of the run's index space — corpus packet i mod count — in spans; b - a. */
function runRange(runner: SpanRunner, task: RunTask, a: number, b: number): number {
  const n = task.corpus.count;
  for (let at = a; at < b; ) {
    const start = at % n;
    const count = Math.min(b - at, n - start);
    runner.run(task.corpus, start, count, task.results);
    at += count;
  }
  return b - a;
}
