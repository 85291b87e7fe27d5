// The browser benchmark (`npm run bench`, suite "browser"): packet-filter throughput of the Web
// Worker pool (WebCpuPool, vm/pool/web/) in headless Chromium, beside Node's CpuPool (Piscina) on
// the same program, the same packets and the same machine layout, measured in the same run with
// the same code (bench/line-rate/measure.ts runs in the page too: bench/browser/page.js).
//
// Chromium is Debian's /usr/bin/chromium (EBPF_WASM_CHROMIUM names another), driven through
// playwright-core; without it the suite prints why it skips. The page is served cross-origin
// isolated (server.ts), which shared memory needs.

import { existsSync } from "node:fs";
import { generate } from "../../corpus/gen/index.js";
import { CpuPool, corpusRegionSize } from "../../vm/pool/index.js";
import type { PoolEngine } from "../../vm/pool/protocol.js";
import { presetOptions, workerCounts } from "../line-rate/index.js";
import { measurePool, type PoolSample, type TimingOptions } from "../line-rate/measure.js";
import { benchMachine, loadBenchProgram } from "../line-rate/programs.js";
import { grid } from "../report/table.js";
import { packageRoot } from "../root.js";
import { startServer } from "./server.js";

const CHROMIUM = process.env["EBPF_WASM_CHROMIUM"] ?? "/usr/bin/chromium";
/** The line-rate suite's imix corpus (bench/line-rate/corpora.ts), generated on both sides. */
const SPEC = "imix:16384:seed=1";
const ENGINES: readonly PoolEngine[] = ["interpreter", "jit"];

export interface BrowserBenchOptions {
  readonly quick: boolean;
  readonly long: boolean;
  readonly log: (line: string) => void;
}

interface Request {
  readonly object: string;
  readonly spec: string;
  readonly cpus: number;
  readonly engines: readonly PoolEngine[];
  readonly workers: readonly number[];
  readonly timing: Record<PoolEngine, TimingOptions>;
}

type Sample = PoolSample & { readonly engine: PoolEngine; readonly workers: number };

interface PageResult {
  readonly userAgent: string;
  readonly hardwareConcurrency: number;
  readonly packets: number;
  readonly rows: Sample[];
}

export interface BrowserRow {
  readonly program: string;
  readonly corpus: string;
  readonly engine: PoolEngine;
  readonly workers: number;
  readonly chromium_mpps: number;
  readonly node_mpps: number;
  /** Chromium Mpps / Node Mpps, measured in this run. */
  readonly ratio: number;
  /**
   * ns a worker spends per packet: Node's from the workers' thread CPU clocks, Chromium's from
   * their busy wall time (a page has no thread clock), so the two differ when cores are shared.
   */
  readonly chromium_busy_ns_per_packet: number;
  readonly node_cpu_ns_per_packet: number;
}

export type BrowserBenchReport = { skipped: string } | { browser: string; rows: BrowserRow[] };

export async function runBrowserBench(options: BrowserBenchOptions): Promise<BrowserBenchReport> {
  const { log } = options;
  log("browser — WebCpuPool (Web Workers) in headless Chromium beside Node's CpuPool, same program, packets and timing");
  if (!existsSync(CHROMIUM)) return skipped(log, `no chromium at ${CHROMIUM} (apt-get install chromium, or set EBPF_WASM_CHROMIUM)`);
  let playwright: typeof import("playwright-core");
  try {
    playwright = await import("playwright-core");
  } catch (err) {
    return skipped(log, `playwright-core is not installed (${(err as Error).message})`);
  }
  const preset = options.long ? "long" : options.quick ? "quick" : "default";
  const timing = presetOptions(preset, log).timing;
  const programs = options.quick ? ["xdp_parser"] : ["xdp_parser", "proto_counter"];
  const workers = workerCounts();
  const cpus = Math.max(...workers);
  const server = await startServer(packageRoot());
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM, headless: true });
  const rows: BrowserRow[] = [];
  let agent = "";
  try {
    const page = await browser.newPage();
    await page.goto(`${server.origin}/bench/browser/page.html`);
    await page.waitForFunction(() => document.getElementById("status")?.textContent === "ready", undefined, { timeout: 30_000 });
    for (const object of programs) {
      const request: Request = { object, spec: SPEC, cpus, engines: ENGINES, workers, timing };
      const answer = (await page.evaluate((r) => (window as unknown as { benchPool(r: Request): Promise<unknown> }).benchPool(r), request)) as
        | { ok: true; result: PageResult }
        | { ok: false; error: string };
      if (!answer.ok) throw new Error(`the page failed on ${object}: ${answer.error}`);
      agent = answer.result.userAgent;
      const node = await nodeSamples(request);
      rows.push(...answer.result.rows.map((c) => row(object, c, node.find((n) => n.engine === c.engine && n.workers === c.workers)!)));
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const browserName = /(?:Headless)?Chrome\/[\d.]+/.exec(agent)?.[0] ?? agent;
  log(`  ${browserName}; Node ${process.version}; corpus imix (${SPEC}); Mpps median of the line-rate ${preset} rounds`);
  const header = ["program", "engine", "workers", "Chromium Mpps", "Node Mpps", "Chromium / Node"];
  const cells = rows.map((r) => [r.program, r.engine, String(r.workers), r.chromium_mpps.toFixed(2), r.node_mpps.toFixed(2), r.ratio.toFixed(2)]);
  for (const line of grid(header, cells, 2)) log(`  ${line}`);
  return { browser: browserName, rows };
}

function skipped(log: (line: string) => void, why: string): BrowserBenchReport {
  log(`  skipped: ${why}`);
  return { skipped: why };
}

/** The same measurements on Node's CpuPool: the line-rate suite's machine for the program, 2 CPUs, the same packets. */
async function nodeSamples(r: Request): Promise<Sample[]> {
  const program = loadBenchProgram(r.object);
  const packets = generate(r.spec);
  const machine = benchMachine(program, { shared: true, cpus: r.cpus, corpusSize: corpusRegionSize(packets, r.cpus) });
  const pool = await CpuPool.create(machine, { workers: r.cpus });
  const out: Sample[] = [];
  try {
    pool.loadCorpus(packets);
    for (const engine of r.engines) {
      const loaded = await pool.load({ insns: program.insns, name: program.name }, { engine });
      for (const workers of r.workers) out.push({ engine, workers, ...(await measurePool(pool, loaded, workers, r.timing[engine])) });
    }
  } finally {
    await pool.close();
  }
  return out;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function row(program: string, chromium: Sample, node: Sample): BrowserRow {
  return {
    program,
    corpus: "imix",
    engine: chromium.engine,
    workers: chromium.workers,
    chromium_mpps: round(chromium.mpps.median, 3),
    node_mpps: round(node.mpps.median, 3),
    ratio: round(chromium.mpps.median / node.mpps.median, 3),
    chromium_busy_ns_per_packet: round(chromium.cpuNsPerPacket, 1),
    node_cpu_ns_per_packet: round(node.cpuNsPerPacket, 1),
  };
}
