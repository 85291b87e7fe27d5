// A run's results as the pool returns them: the workers' verdict histograms added up and named
// by the program type, per-CPU packets and busy time, and the dispatch overhead. The count of
// packets the workers ran must be the run's: a shortfall is an error, never a smaller result.

import { BpfRuntimeError } from "../errors.js";
import type { ProgramType } from "../programs/types.js";
import { binValue, HIST_BINS, HIST_OTHER } from "./corpus.js";
import type { RunTaskResult } from "./protocol.js";
import type { CpuStats, PoolProgram, PoolRun } from "./types.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function summarise(type: ProgramType, program: PoolProgram, results: readonly RunTaskResult[], packets: number, ms: number, tasks: number): PoolRun {
  const hist = new Array<number>(HIST_BINS).fill(0);
  const byCpu = new Map<number, Mutable<CpuStats>>();
  for (const r of results) {
    r.hist.forEach((n, bin) => (hist[bin]! += n));
    const s = byCpu.get(r.cpu) ?? { cpu: r.cpu, packets: 0, busyMs: 0, ...(r.cpuMs === undefined ? {} : { cpuMs: 0 }), tasks: 0 };
    s.packets += r.packets;
    s.busyMs += r.busyMs;
    if (s.cpuMs !== undefined) s.cpuMs += r.cpuMs ?? NaN;
    s.tasks++;
    byCpu.set(r.cpu, s);
  }
  const done = results.reduce((n, r) => n + r.packets, 0);
  if (done !== packets) throw new BpfRuntimeError(`run of '${program.name}': workers ran ${done} packets, expected ${packets}`);
  const perCpu = [...byCpu.values()].sort((a, b) => a.cpu - b.cpu);
  const busy = perCpu.reduce((sum, s) => sum + s.busyMs, 0);
  if (done > 0 && busy > 0) program.nsPerPacket = (busy * 1e6) / done;
  const maxBusy = Math.max(0, ...perCpu.map((s) => s.busyMs));
  return { packets, ms, verdicts: verdictNames(type, hist), perCpu, tasks, overhead: ms > 0 ? Math.max(0, 1 - maxBusy / ms) : 0 };
}

/** Runs per verdict name: the type names each bin's r0. */
export function verdictNames(type: ProgramType, hist: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  hist.forEach((n, bin) => {
    if (n === 0) return;
    let name = type.verdict(binValue(bin));
    // Bin 14 holds every value from 14 up but -1: name it for all of them when they differ.
    if (bin === HIST_OTHER && name !== type.verdict(0xfffffffen)) name = `${name} (or another value >= ${HIST_OTHER})`;
    out[name] = (out[name] ?? 0) + n;
  });
  return out;
}
