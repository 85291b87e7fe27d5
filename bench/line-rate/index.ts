// The line-rate suite of `npm run bench` (bench/main.ts): default settings short enough for the
// whole `npm run bench` to finish in under 3 minutes on 2 cores; `--quick` shorter still; `--long`
// (npm run bench -- --long, or EBPF_WASM_BENCH_LONG=1, parsed by bench/main.ts) every corpus
// program with longer rounds and the pool dispatch study.
// Writes bench/results/line-rate.{json,md,svg} and returns the JSON for latest.json.

import { availableParallelism } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../root.js";
import { machineInfo } from "../report/machine.js";
import { formatTable } from "../report/table.js";
import { lineRateJson, writeReports, type LineRateJson } from "../report/write.js";
import { DEFAULT_CORPORA } from "./corpora.js";
import { ALL_PROGRAMS, DEFAULT_PROGRAMS } from "./programs.js";
import { runLineRate, type EngineRun, type LineRateOptions } from "./suite.js";

export type Preset = "quick" | "default" | "long";

/** 1, 2, 4, ... up to the cores, and the core count itself. */
export function workerCounts(cores = availableParallelism()): number[] {
  const counts = new Set<number>();
  for (let n = 1; n < cores; n *= 2) counts.add(n);
  counts.add(cores);
  return [...counts].sort((a, b) => a - b);
}

type PresetSettings = Omit<LineRateOptions, "engines" | "log" | "jit">;

/**
 * What each preset measures. The default: every engine row on the reference programs and every
 * corpus with short rounds and no dispatch study, so the whole `npm run bench` stays near
 * 3 minutes on 2 cores; quick: smoke runs; long: every program, longer rounds, the dispatch study.
 */
const PRESETS: Record<Preset, () => PresetSettings> = {
  quick: () => ({
    programs: DEFAULT_PROGRAMS,
    corpora: ["flood64", "tcpdump"],
    timing: { interpreter: { roundMs: 40, rounds: 3, warmupMs: 40, maxWarmupMs: 300 }, jit: { roundMs: 50, rounds: 3, warmupMs: 150, maxWarmupMs: 600 } },
    kernel: { repeat: 1000, rounds: 1, sample: 12 },
  }),
  default: () => ({
    programs: DEFAULT_PROGRAMS,
    corpora: DEFAULT_CORPORA,
    timing: { interpreter: { roundMs: 80, rounds: 3, warmupMs: 100, maxWarmupMs: 500 }, jit: { roundMs: 100, rounds: 5, warmupMs: 300, maxWarmupMs: 1500 } },
    kernel: { repeat: 1000, rounds: 2, sample: 24 },
  }),
  long: () => ({
    programs: ALL_PROGRAMS,
    corpora: DEFAULT_CORPORA,
    timing: { interpreter: { roundMs: 200, rounds: 5, warmupMs: 200, maxWarmupMs: 1000 }, jit: { roundMs: 250, rounds: 9, warmupMs: 500, maxWarmupMs: 3000 } },
    kernel: { repeat: 10000, rounds: 3, sample: 128 },
    dispatch: { workers: Math.max(2, availableParallelism()), roundMs: 50, rounds: 5 },
  }),
};

export function presetOptions(preset: Preset, log: (line: string) => void): LineRateOptions {
  const engines: EngineRun[] = [
    { engine: "interpreter", workers: [1] },
    { engine: "jit", workers: workerCounts() },
    { engine: "kernel", workers: [1] },
  ];
  return { ...PRESETS[preset](), engines, log };
}

export interface LineRateSuiteOptions {
  readonly quick: boolean;
  /** bench/main.ts SuiteOptions.long: every program, longer rounds, the dispatch study. */
  readonly long: boolean;
  readonly log: (line: string) => void;
}

/** The `line-rate` entry of bench/main.ts. */
export async function runLineRateBench(options: LineRateSuiteOptions): Promise<LineRateJson> {
  const preset: Preset = options.long ? "long" : options.quick ? "quick" : "default";
  const machine = machineInfo();
  const settings = presetOptions(preset, options.log);
  options.log(`line rate (${preset}): ${settings.programs.join(", ")} × ${settings.corpora.join(", ")}; JIT workers ${workerCounts().join(", ")}`);
  const result = await runLineRate(settings);
  const doc = lineRateJson(result, machine, { preset, programs: settings.programs, corpora: settings.corpora, engines: settings.engines, timing: settings.timing, kernel: settings.kernel, dispatch: settings.dispatch });
  options.log("");
  options.log(formatTable(result, machine));
  const files = writeReports(join(packageRoot(), "bench", "results"), doc);
  options.log(`wrote ${files.join(", ")}`);
  return doc;
}
