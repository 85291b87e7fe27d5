// WebCpuPool: the per-CPU worker pool for web pages — one module Web Worker per CPU of a machine,
// all on the machine's one shared WebAssembly.Memory, running programs over the packet corpus
// written into that memory once. It is the Node pool (../pool.node.ts) with Web Workers and
// postMessage in place of Piscina: loading, planning, claiming chunks, per-CPU maps and results
// are the same code (../base.ts, ../cpu.ts). docs/browser.md has the page's side.
//
//   const mapsModule = await compileMapsModule(fetch("/build/maps.wasm"));      // the shared build
//   const machine = createMachine({ type: "xdp", shared: true, cpus: 2, maps, mapsModule, corpusSize: corpusRegionSize(packets, 2) });
//   const pool = await WebCpuPool.create(machine, { mapsModule });             // needs cross-origin isolation
//   pool.loadCorpus(packets);
//   const run = await pool.run(await pool.load(program, { engine: "jit" }), { workers: 2 });
//   pool.close();
//
// A run sends one task to each CPU taking part (CPU i gets task i) and the workers claim chunks
// of the range from the shared cursor with Atomics.add; nothing waits with Atomics.wait, so the
// page's main thread may own the pool.

import { BpfError } from "../../errors.js";
import { compileMapsModule, type MapsWasmSource } from "../../maps/load.js";
import { describeMachine, type RuntimeMachine } from "../../runtime/machine.js";
import { checkPoolMachine, PoolBase } from "../base.js";
import type { RunTask, RunTaskResult } from "../protocol.js";
import { CpuWorker } from "./cpu-worker.js";

export interface WebPoolOptions {
  /** Workers = CPUs 0..workers-1 of the machine. Default: the machine's CPU count. */
  readonly workers?: number;
  /**
   * The worker module (dist/vm/pool/web/worker.js). Default: beside this module, which is right
   * when dist/ is served as it is; a bundler that copies the worker elsewhere names it here.
   */
  readonly workerUrl?: string | URL;
  /**
   * The maps runtime built for shared memory (build/maps.wasm): a compiled module or anything
   * compileMapsModule takes. Default: build/maps.wasm of the package this module is served from.
   */
  readonly mapsModule?: MapsWasmSource;
  /** ms to wait for every worker to load and attach. Default 30 000. */
  readonly startTimeoutMs?: number;
}

const DEFAULT_MAPS = "../../../../build/maps.wasm";

/** Why a page cannot have the pool, or undefined when it can. */
function unavailable(): string | undefined {
  if (typeof Worker === "undefined") return "this JavaScript host has no Web Workers (in Node, use CpuPool from ebpf-wasm/node)";
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return (
      "the page is not cross-origin isolated, so the browser will not share the machine's memory with workers: serve it with the headers " +
      "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (docs/browser.md)"
    );
  }
  return undefined;
}

/** A module worker for CPU `cpu`; the literal form lets bundlers find and emit the default worker. */
function spawn(cpu: number, url: string | URL | undefined): Worker {
  const name = `ebpf-wasm CPU ${cpu}`;
  return url === undefined ? new Worker(new URL("./worker.js", import.meta.url), { type: "module", name }) : new Worker(url, { type: "module", name });
}

function timeout(ms: number): { promise: Promise<never>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BpfError(`the workers did not attach within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

export class WebCpuPool extends PoolBase {
  private constructor(
    machine: RuntimeMachine,
    private readonly cpus: readonly CpuWorker[],
  ) {
    super(machine, cpus.length);
  }

  static async create(machine: RuntimeMachine, options: WebPoolOptions = {}): Promise<WebCpuPool> {
    const why = unavailable();
    if (why) throw new BpfError(`cannot create the Web Worker pool: ${why}`);
    const workers = options.workers ?? machine.layout.cpus;
    checkPoolMachine(machine, workers);
    const mapsModule = await compileMapsModule(options.mapsModule ?? new URL(DEFAULT_MAPS, import.meta.url));
    const url = String(options.workerUrl ?? new URL("./worker.js", import.meta.url));
    const init = { memory: machine.memory, mapsModule, machine: describeMachine(machine) };
    const cpus: CpuWorker[] = [];
    const limit = timeout(options.startTimeoutMs ?? 30_000);
    try {
      // new Worker throws at once for a URL it refuses (another origin, a bad URL).
      for (let cpu = 0; cpu < workers; cpu++) cpus.push(new CpuWorker(cpu, spawn(cpu, options.workerUrl), url));
      await Promise.race([Promise.all(cpus.map((c) => c.start(init))), limit.promise]);
    } catch (err) {
      for (const c of cpus) c.terminate();
      throw new BpfError(`the pool's workers did not start: ${(err as Error).message}`);
    } finally {
      limit.cancel();
    }
    return new WebCpuPool(machine, cpus);
  }

  /** CPU i runs task i: a run never has more tasks than CPUs taking part. */
  protected dispatch(tasks: readonly RunTask[]): Promise<Array<PromiseSettledResult<RunTaskResult>>> {
    return Promise.allSettled(tasks.map((task, i) => this.cpus[i]!.run(task)));
  }

  protected async shutdown(): Promise<void> {
    for (const c of this.cpus) c.terminate();
  }
}
