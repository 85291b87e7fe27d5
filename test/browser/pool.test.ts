// The Web Worker pool (vm/pool/web, docs/browser.md) in Chromium: pool.html on a cross-origin
// isolated page imports dist/vm/pool/web/index.js, whose workers load dist/vm/pool/web/worker.js.
// proto_counter (a PERCPU_ARRAY protocol counter) over generated packets on 1 and 2 workers with
// the JIT and the interpreter: the per-CPU counts summed over CPUs equal the per-protocol counts
// of the packets, counted here independently (test/pool/proto-key.ts), and each CPU's counts
// add up to the packets it ran; xdp_parser's verdicts and every packet's r0 equal those of Node's
// CpuPool on the same packets; a faulting program fails its run naming the CPU and the program
// and the pool keeps working; a page without isolation gets a BpfError that says why. Without
// /usr/bin/chromium the suite is skipped and says so.

import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { generate, parseGenSpec } from "../../corpus/gen/index.js";
import type { Program } from "../../vm/engine.js";
import { loadObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { CpuPool, corpusRegionSize, type PoolRun } from "../../vm/pool/index.js";
import { FAULT_LENGTHS, FAULTY, LENGTH, LENGTH_VERDICTS } from "../pool/fault-programs.js";
import { expectedCounts, SLOTS } from "../pool/proto-key.js";
import { startServer, type StaticServer } from "../../bench/browser/server.js";

const CHROMIUM = process.env.EBPF_WASM_CHROMIUM ?? "/usr/bin/chromium";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const haveChromium = existsSync(CHROMIUM);
const SKIP_REASON = `skipped: no chromium at ${CHROMIUM}`;
if (!haveChromium) console.log(SKIP_REASON);

/** IPv4 TCP/UDP/ICMP, IPv6, VLAN, non-IP, truncated and malformed frames. */
const SPECS = ["mix:2000:seed=7", "truncated:150:seed=2", "malformed:150:seed=3"];
const ENGINES = ["jit", "interpreter"] as const;
const CPUS = 2;

interface RunCase {
  readonly workers: number;
  readonly first?: number;
  readonly packets?: number;
  readonly chunk?: number;
}
interface Fingerprint {
  readonly count: number;
  readonly bytes: number;
  readonly hash: number;
}
interface CpuPackets {
  readonly cpu: number;
  readonly packets: number;
}
interface CountRun {
  readonly engine: string;
  readonly options: RunCase;
  readonly packets: number;
  readonly verdicts: Record<string, number>;
  readonly perCpu: readonly CpuPackets[];
  /** Per slot, per CPU. */
  readonly slots: number[][];
}
interface VerdictRun {
  readonly engine: string;
  readonly workers: number;
  readonly inPlace: boolean;
  readonly verdicts: Record<string, number>;
  readonly perCpu: readonly CpuPackets[];
  readonly results: string;
}
interface ErrorData {
  readonly name: string;
  readonly message: string;
}
interface FaultRun {
  readonly engine: string;
  readonly error: ErrorData | null;
  readonly before: Record<string, number>;
  readonly all: Record<string, number>;
  readonly allPackets: number;
}

const packets = SPECS.flatMap((spec) => generate(parseGenSpec(spec)));
/** One pass; 2.5 passes from index 11 in chunks of 97 (the range wraps round the corpus). */
const CASES: readonly RunCase[] = [{ workers: 1 }, { workers: 2 }, { workers: 2, first: 11, packets: Math.round(packets.length * 2.5), chunk: 97 }];

/** The same fingerprint as pool-page.js computes. */
function fingerprint(): Fingerprint {
  let hash = 0x811c9dc5;
  let bytes = 0;
  for (const p of packets) {
    bytes += p.data.length;
    for (const b of p.data) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  }
  return { count: packets.length, bytes, hash };
}

/** Node's CpuPool on the same object, machine options and packets as the page. */
async function nodePool(object: string): Promise<{ pool: CpuPool; program: Program }> {
  const obj = loadObject(new Uint8Array(readFileSync(resolve(ROOT, `corpus/programs/${object}.o`))));
  const loaded = instantiateObjectNode(obj, object, { cpus: CPUS, shared: true, corpusSize: corpusRegionSize(packets, CPUS) });
  const pool = await CpuPool.create(loaded.machine);
  pool.loadCorpus(packets);
  return { pool, program: loaded.program };
}

interface NodeSide {
  readonly counts: Record<string, PoolRun>;
  readonly parser: Record<string, { verdicts: Record<string, number>; results: string }>;
}

async function runNodeSide(): Promise<NodeSide> {
  const counts: Record<string, PoolRun> = {};
  const parser: NodeSide["parser"] = {};
  const counter = await nodePool("proto_counter");
  try {
    for (const engine of ENGINES) {
      const program = await counter.pool.load(counter.program, { engine });
      for (const c of CASES) counts[`${engine} ${JSON.stringify(c)}`] = await counter.pool.run(program, c);
    }
  } finally {
    await counter.pool.close();
  }
  const xdp = await nodePool("xdp_parser");
  try {
    for (const engine of ENGINES) {
      const program = await xdp.pool.load(xdp.program, { engine });
      const run = await xdp.pool.run(program, { workers: CPUS, results: true });
      parser[engine] = { verdicts: run.verdicts, results: Array.from(xdp.pool.readResults(), String).join(",") };
    }
  } finally {
    await xdp.pool.close();
  }
  return { counts, parser };
}

describe.skipIf(!haveChromium)(haveChromium ? "the Web Worker pool in a Chromium page" : `the Web Worker pool in a Chromium page (${SKIP_REASON})`, () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let node: NodeSide;

  async function open(path: string): Promise<Page> {
    const p = await browser.newPage();
    p.on("pageerror", (err) => pageErrors.push(`${path}: ${err.message}`));
    await p.goto(`${server.origin}${path}`);
    try {
      await p.waitForFunction(() => "ebpfPool" in window, undefined, { timeout: 15_000 });
    } catch (err) {
      throw new Error(`${path} did not load: ${pageErrors.join("; ") || (err as Error).message}`);
    }
    return p;
  }

  const inPage = <T>(fn: string, ...args: unknown[]): Promise<T> =>
    page.evaluate(([name, list]) => (window as any).ebpfPool[name as string](...(list as unknown[])), [fn, args] as const) as Promise<T>;

  beforeAll(async () => {
    if (!existsSync(resolve(ROOT, "dist/vm/pool/web/worker.js"))) throw new Error("dist/vm/pool/web/worker.js is missing: run npm run build first");
    const { chromium } = await import("playwright-core");
    server = await startServer(ROOT);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await open("/test/browser/pool.html");
    node = await runNodeSide();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("is cross-origin isolated and loads the pool and its workers from dist/ as native modules", async () => {
    expect(await inPage<boolean | null>("crossOriginIsolated")).toBe(true);
    expect(await inPage<{ name: string; workers?: number }>("create", {})).toEqual({ name: "created", workers: CPUS });
    expect(server.requests).toContain("/dist/vm/pool/web/index.js");
    expect(server.requests).toContain("/dist/vm/pool/web/worker.js");
    expect(server.requests).toContain("/dist/vm/pool/cpu.js");
    expect(server.requests.filter((p) => /\.node\.js$|^\/dist\/vm\/node\/|^\/node_modules\//.test(p))).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("proto_counter: per-CPU counts summed over CPUs are the packets' per-protocol counts, on 1 and 2 workers, JIT and interpreter", async () => {
    const got = await inPage<{ fingerprint: Fingerprint; runs: CountRun[] }>("counts", SPECS, ENGINES, CASES);
    expect(got.fingerprint).toEqual(fingerprint());
    expect(got.runs).toHaveLength(ENGINES.length * CASES.length);
    for (const run of got.runs) {
      const what = `${run.engine} ${JSON.stringify(run.options)}`;
      const first = run.options.first ?? 0;
      const n = run.options.packets ?? packets.length;
      expect(run.packets, what).toBe(n);
      expect(run.slots, what).toHaveLength(SLOTS);
      expect(run.slots.map((perCpu) => perCpu.reduce((a, b) => a + b, 0)), what).toEqual(expectedCounts(packets, first, n));
      // Each CPU's slots add up to the packets it ran; a CPU that did not take part counted nothing.
      const ranOn = new Map(run.perCpu.map((c) => [c.cpu, c.packets]));
      for (let cpu = 0; cpu < CPUS; cpu++) {
        expect(run.slots.reduce((sum, perCpu) => sum + perCpu[cpu]!, 0), `${what}: CPU ${cpu}`).toBe(ranOn.get(cpu) ?? 0);
      }
      expect(Math.max(...run.perCpu.map((c) => c.cpu))).toBeLessThan(run.options.workers);
      // Node's CpuPool on the same packets gives the same verdicts.
      expect(run.verdicts, what).toEqual({ XDP_PASS: n });
      expect(run.verdicts, what).toEqual(node.counts[what]!.verdicts);
    }
  });

  it("xdp_parser: verdicts and every packet's r0 equal Node's CpuPool on the same packets", async () => {
    const got = await inPage<{ fingerprint: Fingerprint; runs: VerdictRun[] }>("verdicts", SPECS, ENGINES, [1, 2]);
    expect(got.fingerprint).toEqual(fingerprint());
    for (const run of got.runs) {
      const what = `${run.engine} on ${run.workers}`;
      expect(run.inPlace, what).toBe(true);
      expect(Object.keys(run.verdicts).sort(), what).toEqual(["XDP_DROP", "XDP_PASS"]);
      expect(run.verdicts, what).toEqual(node.parser[run.engine]!.verdicts);
      expect(run.results, what).toBe(node.parser[run.engine]!.results);
      expect(run.perCpu.reduce((n, c) => n + c.packets, 0), what).toBe(packets.length);
    }
  });

  it("a worker whose program faults ends the run with an error naming the CPU and the program; the pool keeps working", async () => {
    const got = await inPage<FaultRun[]>("faults", ENGINES, FAULT_LENGTHS, FAULTY, LENGTH);
    const badAt = FAULT_LENGTHS.indexOf(61);
    const want: Record<string, number> = {};
    for (const n of FAULT_LENGTHS) want[LENGTH_VERDICTS[n]!] = (want[LENGTH_VERDICTS[n]!] ?? 0) + 1;
    expect(got.map((r) => r.engine)).toEqual([...ENGINES]);
    for (const run of got) {
      expect(run.error, run.engine).toMatchObject({ name: "BpfRuntimeError", message: expect.stringMatching(/^run of 'faulty' failed: CPU [01]: program 'faulty': /) });
      expect(run.before, run.engine).toEqual({ XDP_PASS: badAt });
      expect(run.all, run.engine).toEqual(want);
      expect(run.allPackets, run.engine).toBe(FAULT_LENGTHS.length);
    }
  });

  it("refuses what it cannot do with a BpfError naming it", async () => {
    expect(await inPage("create", { workers: 3 })).toEqual({ name: "BpfError", message: "a pool of 3 workers needs 1..2 (the machine's CPUs)" });
    expect(await inPage("create", { workerUrl: "/dist/vm/pool/web/no-such-worker.js" })).toEqual({
      name: "BpfError",
      message: expect.stringMatching(/^the pool's workers did not start: CPU [01]: the pool's Web Worker failed: its script \/dist\/vm\/pool\/web\/no-such-worker\.js did not load/),
    });
    // A worker script of another origin: the Worker constructor itself throws (SecurityError).
    expect(await inPage("create", { workerUrl: "http://localhost:9/worker.js" })).toEqual({
      name: "BpfError",
      message: expect.stringMatching(/^the pool's workers did not start: .*Worker/),
    });
    expect(await inPage("create", { mapsModule: "/build/maps.unshared.wasm" })).toEqual({
      name: "BpfError",
      message: expect.stringMatching(/^the pool's workers did not start: CPU [01]: cannot instantiate the maps runtime on this memory \(it needs build\/maps\.wasm \(shared\)\)/),
    });
  });

  it("without cross-origin isolation, create() fails with a BpfError saying why", async () => {
    const plain = await open("/plain/test/browser/pool.html");
    try {
      expect(await plain.evaluate(() => (window as any).ebpfPool.crossOriginIsolated())).toBe(false);
      const error = (await plain.evaluate(() => (window as any).ebpfPool.create({}))) as ErrorData;
      expect(error.name).toBe("BpfError");
      expect(error.message).toMatch(/^cannot create the Web Worker pool: the page is not cross-origin isolated, .*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
    } finally {
      await plain.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
