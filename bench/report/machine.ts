// The machine a benchmark ran on: every report carries it, since figures from different
// machines (or the same machine under different load) do not compare.

import { availableParallelism, cpus, loadavg, release, totalmem } from "node:os";

export interface MachineInfo {
  readonly date: string;
  readonly cpu_model: string;
  /** Logical CPUs the OS reports, and how many Node may use in parallel. */
  readonly cores: number;
  readonly available_parallelism: number;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly kernel: string;
  readonly memory_gb: number;
  /** 1/5/15-minute load averages at the start: a loaded machine gives lower, noisier figures. */
  readonly loadavg: readonly number[];
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    date: new Date().toISOString(),
    cpu_model: (list[0]?.model ?? "unknown").trim(),
    cores: list.length,
    available_parallelism: availableParallelism(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform}-${process.arch}`,
    kernel: release(),
    memory_gb: Math.round(totalmem() / 2 ** 30),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function describeMachine(m: MachineInfo): string {
  return `${m.cpu_model}, ${m.cores} cores, Node ${m.node} (V8 ${m.v8}), Linux ${m.kernel}, load ${m.loadavg.join(" ")}`;
}
