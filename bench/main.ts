// `npm run bench` (node dist/bench/main.js): every benchmark suite in one run, printing its
// table and saving all figures to bench/results/latest.json with the machine they ran on.
// Figures are measured here and printed; nothing is asserted.
//
// Each suite runs in a process of its own, so no suite measures in a state another left
// behind: loading Binaryen (the JIT suite, opt >= 1) grows its memory, which detaches an
// ArrayBuffer, and V8 then makes every typed-array access of optimised JavaScript slower for the
// rest of the process (the interpreter by 40–60%, measured) — the maps and verifier suites
// would have measured that.
//
//   node dist/bench/main.js [--quick | --long] [--only NAME[,NAME...]] [--list]
//   (--only saves bench/results/latest-NAME+....json: a partial run does not replace latest.json)

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "./root.js";

export interface SuiteOptions {
  /** Smaller workloads and shorter timing (smoke runs). */
  readonly quick: boolean;
  /** Everything, however long it takes (`--long` or EBPF_WASM_BENCH_LONG=1): the default run
   * keeps the whole `npm run bench` under 3 minutes on 2 cores. */
  readonly long: boolean;
  readonly log: (line: string) => void;
}

export interface BenchSuite {
  readonly name: string;
  readonly summary: string;
  /** Runs the suite, prints its table through `log`, returns its figures (JSON-serialisable). */
  run(options: SuiteOptions): Promise<unknown>;
}

/** The suites, in the order they run. One entry per suite; each imports its module lazily. */
export const SUITES: BenchSuite[] = [
  {
    name: "interpreter",
    summary: "interpreter ns per eBPF instruction (ALU loop, prime) and run() cost",
    run: async (o) => (await import("./micro/interpreter.js")).runInterpreterBench(o),
  },
  {
    name: "jit",
    summary: "JIT ns per eBPF instruction vs the interpreter (ALU loop, prime), call cost, compile latency 1k/10k/100k × opt 0-3",
    run: async (o) => (await import("./micro/jit.js")).runJitBench(o),
  },
  {
    name: "maps",
    summary: "ns per map operation (hash/array lookup hit/miss, update) from wasm, from JS and through the user API",
    run: async (o) => (await import("./micro/maps.js")).runMapsBench(o),
  },
  {
    name: "verifier",
    summary: "verification ms and processed instructions per corpus/programs program, next to the kernel verifier's (BPF_LOG_STATS, verified_insns)",
    run: async (o) => (await import("./micro/verifier.js")).runVerifierBench(o),
  },
  {
    name: "line-rate",
    summary: "Mpps, ns/packet, Gbit/s of corpus programs × packet corpora: interpreter, JIT on 1..N workers, kernel (--long: all programs)",
    run: async (o) => (await import("./line-rate/index.js")).runLineRateBench(o),
  },
  {
    name: "browser",
    summary: "Mpps of corpus programs on the Web Worker pool in headless Chromium beside Node's pool (same packets, same timing; skipped without chromium)",
    run: async (o) => (await import("./browser/index.js")).runBrowserBench(o),
  },
];

/**
 * The top-level `rows` of latest.json (issue 7 item 4): one row per line-rate measurement with
 * program, corpus, engine (interpreter | jit | kernel), workers, packets, mpps, ns_per_packet,
 * the same records as the suite's own, so runs compare across versions and machines.
 */
function measurementRows(results: Record<string, unknown>): unknown[] {
  const lineRate = results["line-rate"] as { rows?: unknown } | undefined;
  return Array.isArray(lineRate?.rows) ? lineRate.rows : [];
}

interface Argv {
  quick: boolean;
  long: boolean;
  only: string[] | undefined;
  list: boolean;
  /** Child mode: run this one suite and write its figures to `result`. */
  suite?: { name: string; result: string };
}

function parseArgv(argv: readonly string[]): Argv {
  const suiteAt = argv.indexOf("--suite");
  const resultAt = argv.indexOf("--result");
  const suite = suiteAt >= 0 && resultAt >= 0 ? { name: argv[suiteAt + 1] ?? "", result: argv[resultAt + 1] ?? "" } : undefined;
  const onlyAt = argv.indexOf("--only");
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? "").split(",").filter(Boolean) : undefined;
  const unknown = only?.filter((n) => !SUITES.some((s) => s.name === n)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown suite(s) ${unknown.join(", ")} (suites: ${SUITES.map((s) => s.name).join(", ")})`);
  const long = argv.includes("--long") || process.env["EBPF_WASM_BENCH_LONG"] === "1";
  return { quick: argv.includes("--quick"), long, only, list: argv.includes("--list"), ...(suite ? { suite } : {}) };
}

/** Child mode: one suite in this process, its figures as JSON in `result`. */
async function runChild(name: string, result: string, quick: boolean, long: boolean): Promise<number> {
  const suite = SUITES.find((s) => s.name === name);
  if (!suite) throw new Error(`unknown suite ${name}`);
  writeFileSync(result, JSON.stringify(await suite.run({ quick, long, log: (line) => console.log(line) })));
  return 0;
}

/** Run a suite in a fresh Node process (its output goes straight to ours); its figures, or why it failed. */
function runInChild(name: string, quick: boolean, long: boolean): { figures: unknown } | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), "ebpf-wasm-bench-"));
  try {
    const result = join(dir, "result.json");
    const args = [fileURLToPath(import.meta.url), "--suite", name, "--result", result, ...(quick ? ["--quick"] : []), ...(long ? ["--long"] : [])];
    const child = spawnSync(process.execPath, args, { stdio: "inherit" });
    if (child.error) return { error: child.error.message };
    if (child.status !== 0) return { error: `the suite's process exited with ${child.status ?? child.signal}` };
    return { figures: JSON.parse(readFileSync(result, "utf8")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const { quick, long, only, list, suite: child } = parseArgv(argv);
  if (child) return runChild(child.name, child.result, quick, long);
  if (list) {
    for (const s of SUITES) console.log(`${s.name.padEnd(14)}${s.summary}`);
    return 0;
  }
  const cpu = cpus();
  const machine = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: `${cpu.length} × ${cpu[0]?.model ?? "unknown"}`,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  console.log(`ebpf-wasm benchmarks — ${machine.date}, Node ${machine.node}, ${machine.cpu}, load ${machine.loadavg.join(" ")}${quick ? " (quick)" : ""}\n`);
  const results: Record<string, unknown> = {};
  let failed = 0;
  for (const suite of SUITES.filter((s) => !only || only.includes(s.name))) {
    const t0 = performance.now();
    const outcome = runInChild(suite.name, quick, long);
    if ("error" in outcome) {
      failed++;
      console.error(`suite ${suite.name} failed: ${outcome.error}`);
      results[suite.name] = { error: outcome.error };
    } else results[suite.name] = outcome.figures;
    console.log(`  (${suite.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  const dir = join(packageRoot(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  // A partial run (--only) does not replace the full run's figures.
  const file = join(dir, only ? `latest-${only.join("+")}.json` : "latest.json");
  writeFileSync(file, `${JSON.stringify({ machine, quick, long, rows: measurementRows(results), results }, null, 2)}\n`);
  console.log(`saved ${file}`);
  return failed === 0 ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
