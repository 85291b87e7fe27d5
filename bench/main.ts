// `npm run bench` (node dist/bench/main.js): every benchmark suite in one run, printing its
// table and saving all figures to bench/results/latest.json with the machine they ran on.
// Figures are measured here and printed; nothing is asserted.
//
//   node dist/bench/main.js [--quick | --long] [--only NAME[,NAME...]] [--list]

import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
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

function parseArgv(argv: readonly string[]): { quick: boolean; long: boolean; only: string[] | undefined; list: boolean } {
  const onlyAt = argv.indexOf("--only");
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? "").split(",").filter(Boolean) : undefined;
  const unknown = only?.filter((n) => !SUITES.some((s) => s.name === n)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown suite(s) ${unknown.join(", ")} (suites: ${SUITES.map((s) => s.name).join(", ")})`);
  const long = argv.includes("--long") || process.env["EBPF_WASM_BENCH_LONG"] === "1";
  return { quick: argv.includes("--quick"), long, only, list: argv.includes("--list") };
}

async function main(argv: readonly string[]): Promise<number> {
  const { quick, long, only, list } = parseArgv(argv);
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
    try {
      results[suite.name] = await suite.run({ quick, long, log: (line) => console.log(line) });
    } catch (err) {
      failed++;
      const message = err instanceof Error ? err.message : String(err);
      console.error(`suite ${suite.name} failed: ${message}`);
      results[suite.name] = { error: message };
    }
    console.log(`  (${suite.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  const dir = join(packageRoot(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "latest.json");
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
