// What handing work to the pool costs, for the choice of its settings (vm/pool/README.md):
// the same JIT-compiled program over the same packets, cut into Piscina tasks of ~0.1 and ~0.5 ms
// of work or run as one claiming task per worker ("claim", the pool's default schedule), under
// Piscina settings atomics "sync" (its default) / "disabled" / "async" and 1 or 4 concurrent tasks
// per worker. Per-task cost = (wall time × workers − time spent running packets) / tasks: the
// time workers did not run packets, per task handed out.

import { CpuPool, corpusRegionSize, type PoolOptions, type RunOptions } from "../../vm/pool/index.js";
import type { BenchCorpus } from "./corpora.js";
import { stats } from "./measure.js";
import { benchMachine, type BenchProgram } from "./programs.js";

export interface DispatchRow {
  readonly atomics: string;
  readonly concurrent_tasks_per_worker: number;
  readonly schedule: "tasks" | "claim";
  /** Work per task (µs, at the program's measured speed); claim: the whole share of a worker. */
  readonly task_us: number;
  readonly tasks: number;
  /** Median over rounds. */
  readonly per_task_us: number;
  /** Share of the workers' wall time not spent running packets. */
  readonly overhead: number;
  readonly mpps: number;
}

export interface DispatchOptions {
  readonly workers: number;
  /** Work per round on each worker (ms). */
  readonly roundMs: number;
  readonly rounds: number;
}

const SETTINGS: ReadonlyArray<Required<Pick<PoolOptions, "atomics" | "concurrentTasksPerWorker">>> = [
  { atomics: "sync", concurrentTasksPerWorker: 1 },
  { atomics: "disabled", concurrentTasksPerWorker: 1 },
  { atomics: "sync", concurrentTasksPerWorker: 4 },
  { atomics: "disabled", concurrentTasksPerWorker: 4 },
  { atomics: "async", concurrentTasksPerWorker: 4 },
];

export async function measureDispatch(program: BenchProgram, corpus: BenchCorpus, options: DispatchOptions, log: (line: string) => void): Promise<DispatchRow[]> {
  const rows: DispatchRow[] = [];
  const { workers } = options;
  for (const setting of SETTINGS) {
    const machine = benchMachine(program, {
      shared: true, cpus: workers,
      packetMax: Math.max(2048, ...corpus.packets.map((p) => p.data.length)),
      corpusSize: corpusRegionSize(corpus.packets, workers),
    });
    const pool = await CpuPool.create(machine, { workers, ...setting });
    try {
      pool.loadCorpus(corpus.packets);
      const prog = await pool.load({ insns: program.insns, name: program.name }, { engine: "jit" });
      // Warm up until V8 has tiered the module up; then the speed sizes the tasks.
      for (const t0 = performance.now(); performance.now() - t0 < 300;) await pool.run(prog, { workers, packets: corpus.packets.length * 4 });
      const ns = prog.nsPerPacket ?? 50;
      const packets = Math.round((options.roundMs * 1e6 * workers) / ns);
      const plans: Array<[RunOptions, number]> = [
        [{ schedule: "tasks", taskPackets: Math.max(16, Math.round(100_000 / ns)) }, 100],
        [{ schedule: "tasks", taskPackets: Math.max(16, Math.round(500_000 / ns)) }, 500],
        [{ schedule: "claim" }, (options.roundMs * 1000)],
      ];
      for (const [plan, taskUs] of plans) {
        const perTask: number[] = [];
        const overhead: number[] = [];
        const mpps: number[] = [];
        let tasks = 0;
        for (let r = 0; r < options.rounds; r++) {
          const run = await pool.run(prog, { ...plan, workers, packets });
          const busy = run.perCpu.reduce((s, c) => s + c.busyMs, 0);
          const idle = run.ms * workers - busy;
          tasks = run.tasks;
          perTask.push((idle * 1000) / run.tasks);
          overhead.push(idle / (run.ms * workers));
          mpps.push(run.packets / run.ms / 1000);
        }
        const row: DispatchRow = {
          atomics: setting.atomics, concurrent_tasks_per_worker: setting.concurrentTasksPerWorker, schedule: plan.schedule!,
          task_us: taskUs, tasks, per_task_us: Math.round(stats(perTask).median * 10) / 10,
          overhead: Math.round(stats(overhead).median * 1000) / 1000, mpps: Math.round(stats(mpps).median * 100) / 100,
        };
        rows.push(row);
        log(`  atomics ${row.atomics.padEnd(8)} ×${row.concurrent_tasks_per_worker} ${row.schedule.padEnd(5)} ${String(row.task_us).padStart(6)} µs/task ${String(row.tasks).padStart(5)} tasks: ${row.per_task_us.toFixed(1).padStart(7)} µs idle per task, ${(row.overhead * 100).toFixed(1).padStart(5)}% idle, ${row.mpps.toFixed(1)} Mpps`);
      }
    } finally {
      await pool.close();
    }
  }
  return rows;
}
