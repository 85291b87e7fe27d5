// ebpf-wasm in a web page: Debian's Chromium (headless, through playwright-core; no browser is
// ever downloaded) opens test/browser/page.html from a local server with cross-origin isolation
// (server.ts), and the page runs scenarios.js with the API from dist/index.js as native ES
// modules. The same scenarios run in a Node process (node-side.js); both results must be
// equal. Page-only checks: isolation, the kernel engine's refusal, a Web Worker on the shared
// memory, a page without isolation, and Binaryen loaded only for opt >= 1. Without
// /usr/bin/chromium the suite is skipped and says so. Docs: docs/browser.md.

import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { startServer, type StaticServer } from "../../bench/browser/server.js";

// Debian's package (apt-get install chromium); EBPF_WASM_CHROMIUM names another build of it.
const CHROMIUM = process.env.EBPF_WASM_CHROMIUM ?? "/usr/bin/chromium";
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const haveChromium = existsSync(CHROMIUM);
const SKIP_REASON = `skipped: no chromium at ${CHROMIUM}`;
if (!haveChromium) console.log(SKIP_REASON);

const CONFIG = {
  conformance: readdirSync(resolve(ROOT, "corpus/conformance/bpf_conformance")).filter((f) => f.endsWith(".data")).sort(),
  packets: "imix:300:seed=7",
};
const PLAIN_PACKETS = "mix:200:seed=5";
const OPT1_TESTS = ["alu64-arith.data", "call_local.data", "lock_fetch_add.data", "prime.data"];

// The JSON scenarios.js returns (only what the checks read; toEqual compares all of it).
interface ErrorData {
  readonly name: string;
  readonly message: string;
}
type MapDump = Record<string, Record<string, string | string[]>>;
interface Counts {
  readonly verdicts: Record<string, number>;
  readonly maps: MapDump;
}
interface Scenarios {
  readonly conformance: ReadonlyArray<{ test: string; engine: string; status: string; message: string; r0: string | null }>;
  readonly programs: { runs: ReadonlyArray<{ accepted: boolean; r0: Record<string, string> }>; unsafe: { accepted: boolean } };
  readonly filters: ReadonlyArray<Counts & { object: string; shared: boolean; sharedBuffer: string; verified: boolean; allowed: number; tailPrograms: string[] }>;
  readonly badInputs: Record<string, ErrorData>;
}
interface PageOnly {
  readonly crossOriginIsolated: boolean | null;
  readonly sharedArrayBufferGlobal: string;
  readonly kernel: ErrorData;
  readonly badMapsModule: ErrorData;
  readonly missingMapsModule: ErrorData;
}
type ProtocolCounts = Record<"shared" | "unshared", Counts | ErrorData>;
type Optimised = ReadonlyArray<{ test: string; status: string; r0: string | null }>;

/** What node-side.js prints: the same scenarios computed by Node on the same dist/. */
interface NodeSide {
  readonly scenarios: Scenarios;
  readonly plain: ProtocolCounts;
  readonly optimised: Optimised;
}

function runNodeSide(): Promise<NodeSide> {
  const job = { config: CONFIG, plainPackets: PLAIN_PACKETS, optimised: { files: OPT1_TESTS, opt: 1 } };
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, [resolve(ROOT, "test/browser/node-side.js"), JSON.stringify(job)], { maxBuffer: 64 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`node-side.js failed: ${err.message}\n${stderr}`));
      else resolvePromise(JSON.parse(stdout) as NodeSide);
    });
  });
}

describe.skipIf(!haveChromium)(haveChromium ? "ebpf-wasm in a Chromium page" : `ebpf-wasm in a Chromium page (${SKIP_REASON})`, () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  // Uncaught errors in any page (none expected), and console errors while a page loads (none
  // expected; later ones come from the failures the test provokes on purpose).
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  let inPage: Scenarios;
  let inNode: Scenarios;
  let node: NodeSide;

  async function open(path: string): Promise<Page> {
    const p = await browser.newPage();
    p.on("pageerror", (err) => pageErrors.push(`${path}: ${err.message}`));
    p.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(`${path}: ${msg.text()}`);
    });
    consoleErrors.length = 0;
    await p.goto(`${server.origin}${path}`);
    try {
      await p.waitForFunction(() => "ebpfPage" in window, undefined, { timeout: 15_000 });
    } catch (err) {
      throw new Error(`${path} did not load: ${[...pageErrors, ...consoleErrors].join("; ") || (err as Error).message}`);
    }
    if (consoleErrors.length > 0) throw new Error(`${path} logged errors while loading: ${consoleErrors.join("; ")}`);
    return p;
  }

  beforeAll(async () => {
    if (!existsSync(resolve(ROOT, "dist/index.js"))) throw new Error("dist/index.js is missing: run npm run build first");
    // Node computes in its own process while Chromium computes in the page.
    const nodeRun = runNodeSide();
    nodeRun.catch(() => {}); // awaited below; a failure must not surface as an unhandled rejection first
    const { chromium } = await import("playwright-core");
    server = await startServer(ROOT);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await open("/test/browser/page.html");
    inPage = (await page.evaluate((config) => (window as any).ebpfPage.run(config), CONFIG)) as Scenarios;
    node = await nodeRun;
    inNode = node.scenarios;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("loads dist/index.js as native ES modules without errors", () => {
    expect(pageErrors).toEqual([]);
    expect(server.requests).toContain("/dist/index.js");
    expect(server.requests).toContain("/dist/jit/engine.js");
    expect(server.requests.filter((p) => p.startsWith("/dist/vm/node/") || p.startsWith("/dist/vm/pool/"))).toEqual([]);
  });

  it("is cross-origin isolated, has SharedArrayBuffer, and refuses the kernel engine clearly", async () => {
    const only = (await page.evaluate(() => (window as any).ebpfPage.pageOnly())) as PageOnly;
    expect(only.crossOriginIsolated).toBe(true);
    expect(only.sharedArrayBufferGlobal).toBe("function");
    expect(only.kernel.name).toBe("BpfError");
    expect(only.kernel.message).toMatch(/^cannot load the kernel engine, which needs Node\.js on Linux/);
    expect(only.badMapsModule).toMatchObject({ name: "BpfError", message: expect.stringMatching(/maps runtime is not a valid WebAssembly module \(3 bytes\)/) });
    expect(only.missingMapsModule).toMatchObject({ name: "BpfError", message: `cannot load the maps runtime from ${server.origin}/build/no-such-file.wasm: HTTP 404 Not Found` });
  });

  it(`runs all ${CONFIG.conformance.length} conformance tests on the interpreter and the JIT as Node does`, () => {
    const failed = inPage.conformance.filter((c) => c.status !== "pass").map((c) => `${c.engine} ${c.test}: ${c.message}`);
    expect(failed).toEqual([]);
    expect(inPage.conformance).toHaveLength(CONFIG.conformance.length * 2);
    expect(inPage.conformance).toEqual(inNode.conformance);
  });

  it("assembles, decodes, verifies and runs a program from text and from bytecode as Node does", () => {
    expect(inPage.programs.runs.map((r) => r.accepted)).toEqual([true, true]);
    expect(new Set(inPage.programs.runs.flatMap((r) => Object.values(r.r0))).size).toBe(1);
    expect(inPage.programs.unsafe.accepted).toBe(false);
    expect(inPage.programs).toEqual(inNode.programs);
  });

  it("runs clang packet filters over packets and reads their maps back as Node does", () => {
    expect(inPage.filters).toHaveLength(12);
    for (const f of inPage.filters) {
      expect(f.verified).toBe(true);
      expect(f.sharedBuffer).toBe(f.shared ? "[object SharedArrayBuffer]" : "[object ArrayBuffer]");
    }
    const firewall = inPage.filters.find((f) => f.object === "xdp_firewall")!;
    expect(firewall.verdicts.XDP_PASS).toBeGreaterThan(0);
    expect(firewall.verdicts.XDP_DROP).toBeGreaterThan(0);
    expect(Object.keys(firewall.maps.allow!)).toHaveLength(firewall.allowed);
    const counter = inPage.filters.find((f) => f.object === "proto_counter")!;
    const counted = Object.values(counter.maps.proto_count!).flat().reduce((sum, v) => sum + readU64(v as string), 0n);
    expect(counted).toBe(300n);
    const chain = inPage.filters.find((f) => f.object === "tail_calls")!;
    expect(chain.tailPrograms).toEqual(["tail_final", "tail_ipv4", "tail_ipv6"]);
    expect(Object.keys(chain.maps.stage_hits!).length).toBeGreaterThanOrEqual(3); // the entry and the stages it reached
    expect(inPage.filters).toEqual(inNode.filters);
  });

  it("refuses malformed ELF objects and other bad input with the same BpfError as Node", () => {
    for (const [what, err] of Object.entries(inPage.badInputs)) expect(err.name, what).toBe("BpfError");
    expect(inPage.badInputs["elf: section table past the end"]!.message).toMatch(/past the end of the file/);
    expect(inPage.badInputs).toEqual(inNode.badInputs);
  });

  it("runs a program in a Web Worker attached to the page's machine on the shared memory", async () => {
    const there = (await page.evaluate((spec) => (window as any).ebpfPage.inWorker(spec), PLAIN_PACKETS)) as Counts;
    const here = node.plain.unshared as Counts;
    expect(there.verdicts).toEqual(here.verdicts);
    // The worker ran as CPU 1: its per-CPU values are CPU 1's, CPU 0's stayed zero.
    const zero = "0".repeat(16);
    const cpu1 = Object.fromEntries(Object.entries(there.maps.proto_count!).map(([key, [cpu0, value]]) => [key, [cpu0 === zero ? value : `CPU 0 = ${cpu0}`]]));
    expect(cpu1).toEqual(here.maps.proto_count);
  });

  it("never fetched Binaryen for the JIT at opt 0", () => {
    expect(server.requests).toContain("/dist/jit/binaryen.js"); // the JIT's loader, which imports the package lazily
    expect(server.requests.filter((p) => p.startsWith("/node_modules/"))).toEqual([]);
  });

  it("runs without cross-origin isolation on an unshared memory (a page served without COOP/COEP)", async () => {
    const plain = await open("/plain/test/browser/page.html");
    const only = (await plain.evaluate(() => (window as any).ebpfPage.pageOnly())) as PageOnly;
    expect(only.crossOriginIsolated).toBe(false);
    expect(only.sharedArrayBufferGlobal).toBe("undefined");
    const there = (await plain.evaluate((spec) => (window as any).ebpfPage.countProtocols(spec), PLAIN_PACKETS)) as ProtocolCounts;
    const here = node.plain;
    expect(there.unshared).toEqual(here.unshared);
    // Chromium still creates shared memories on a page that is not isolated (it only hides the
    // SharedArrayBuffer global); a browser that refuses must give the BpfError that says why.
    if ("verdicts" in there.shared) expect(there.shared).toEqual(here.shared);
    else expect(there.shared).toMatchObject({ name: "BpfError", message: expect.stringMatching(/cross-origin isolation/) });
    await plain.close();
    expect(pageErrors).toEqual([]);
  });

  it("loads Binaryen only when the JIT is asked for opt 1, and runs with it", async () => {
    const there = (await page.evaluate(([files, opt]) => (window as any).ebpfPage.optimised(files, opt), [OPT1_TESTS, 1] as const)) as Optimised;
    expect(there).toEqual(node.optimised);
    expect(there.map((t) => t.status)).toEqual(OPT1_TESTS.map(() => "pass"));
    expect(server.requests).toContain("/node_modules/binaryen/index.js");
  });
});

/** A little-endian u64 from hex. */
function readU64(hex: string): bigint {
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  return v;
}
