// CpuPool: a Piscina pool where each worker is one CPU of a machine (vm/runtime), with a fixed
// id for its life, all on the machine's one shared memory (DESIGN.md "Workers"). The corpus is
// written into the memory's corpus region once; a run hands workers packet index ranges.
// Node-only (worker_threads, Piscina); ./README.md has the design and the measurements behind
// the settings.
//
//   const machine = createNodeMachine({ type: "xdp", shared: true, cpus: 2, corpusSize, maps });
//   const pool = await CpuPool.create(machine);
//   pool.loadCorpus(packets);
//   const prog = await pool.load(program, { engine: "jit" });
//   const run = await pool.run(prog, { workers: 2 });   // run.verdicts, run.ms, run.perCpu
//   machine.maps.perCpu("counts").lookup(key);           // every CPU's value
//   await pool.close();

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Piscina } from "piscina";
import type { Program } from "../engine.js";
import { BpfError, BpfRuntimeError } from "../errors.js";
import { encode } from "../isa/instruction.js";
import { loadMapsModule } from "../maps/load.node.js";
import { describeMachine, type RuntimeMachine } from "../runtime/machine.js";
import type { JitOptions } from "../../jit/compile.js";
import { binValue, HIST_BINS, HIST_OTHER, writeCorpus, type CorpusPacket, type SharedCorpusInfo } from "./corpus.js";
import { packetWrites, type PacketWrites } from "./packet-writes.js";
import type { HelloResult, PoolEngine, PoolTask, ProgramRef, RunTask, RunTaskResult, WorkerInit } from "./protocol.js";

export interface PoolOptions {
  /** Workers = CPUs 0..workers-1 of the machine. Default: the machine's CPU count. */
  readonly workers?: number;
  /**
   * Tasks Piscina queues in a worker at once. Default 4: a worker finishing a task finds the
   * next already there instead of waiting a round trip to the main thread (README.md).
   */
  readonly concurrentTasksPerWorker?: number;
  /**
   * Piscina's wait for tasks. Default "disabled": with "sync" an idle worker sleeps in
   * Atomics.wait and stalls (README.md has the measurements).
   */
  readonly atomics?: "sync" | "async" | "disabled";
  /** ms before an idle worker exits. Default: never (a CPU keeps its worker and its id). */
  readonly idleTimeout?: number;
}

export interface LoadOptions {
  /** Default "jit". */
  readonly engine?: PoolEngine;
  readonly jit?: JitOptions;
  /** false: always give each CPU a copy of the packet, even for a program that could run in place. */
  readonly inPlace?: boolean;
}

/** A program loaded into the pool (workers instantiate it on first use). */
export interface PoolProgram {
  readonly ref: ProgramRef;
  readonly name: string;
  readonly engine: PoolEngine;
  /** Whether the program may write packet memory, and why (packet-writes.ts). */
  readonly packetWrites: PacketWrites;
  /** ns per packet of the last run on one CPU (busy time / packets): sizes the next run's chunks. */
  nsPerPacket?: number;
}

export interface RunOptions {
  /** Workers that take part (the first n CPUs). Default: all. */
  readonly workers?: number;
  /** First packet index (default 0) and how many packets (default: the corpus); indices wrap around the corpus. */
  readonly first?: number;
  readonly packets?: number;
  /**
   * "claim" (default): one task per worker; workers take chunks of packets from a shared cursor
   * until the range is done — one Piscina dispatch per worker per run. "tasks": the range is cut
   * into tasks of `taskPackets` packets that Piscina hands out (kept to measure dispatch costs).
   */
  readonly schedule?: "claim" | "tasks";
  /** Packets per claimed chunk (claim). Default: ~200 µs of work at the program's last speed. */
  readonly chunk?: number;
  /** Packets per task (tasks). Default: ~1 ms of work. */
  readonly taskPackets?: number;
  /** Store each packet's r0 in the corpus results array (readResults). */
  readonly results?: boolean;
}

export interface CpuStats {
  readonly cpu: number;
  readonly packets: number;
  /** ms the CPU spent running packets. */
  readonly busyMs: number;
  /** Of busyMs, ms its worker thread was actually on a CPU (Linux; see thread-cpu.ts). */
  readonly cpuMs?: number;
  readonly tasks: number;
}

export interface PoolRun {
  readonly packets: number;
  /** Wall-clock ms from submitting the first task to the last result. */
  readonly ms: number;
  /** Runs per verdict name (ProgramType.verdict). */
  readonly verdicts: Record<string, number>;
  readonly perCpu: readonly CpuStats[];
  readonly tasks: number;
  /** The share of wall time the busiest CPU was not running packets: dispatch and waiting. */
  readonly overhead: number;
}

const WORKER_FILE = "worker.js";
/** `call 12` (BPF_JMP | BPF_CALL, src 0: a helper): bpf_tail_call. */
const CALL = 0x85;
const TAIL_CALL = 12;
const DEFAULT_CHUNK_US = 200;
const DEFAULT_TASK_US = 1000;
const DEFAULT_CHUNK = 1024;

/** The built worker: next to this module in dist/, or dist/vm/pool/ when running from sources. */
export function workerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, WORKER_FILE);
  if (existsSync(beside)) return beside;
  for (let dir = here, up = 0; up < 6; up++, dir = resolve(dir, "..")) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "ebpf-wasm") {
      const built = join(dir, "dist", "vm", "pool", WORKER_FILE);
      if (existsSync(built)) return built;
      break;
    }
  }
  throw new BpfError(`the pool worker is not built (no ${WORKER_FILE} beside ${here} nor in dist/vm/pool/): run \`npm run build\``);
}

export class CpuPool {
  private corpusInfo: SharedCorpusInfo | undefined;
  private nextProgram = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private running = 0;
  private closed = false;

  private constructor(
    readonly machine: RuntimeMachine,
    private readonly piscina: Piscina,
    readonly workers: number,
  ) {}

  static async create(machine: RuntimeMachine, options: PoolOptions = {}): Promise<CpuPool> {
    const workers = options.workers ?? machine.layout.cpus;
    if (!Number.isInteger(workers) || workers < 1 || workers > machine.layout.cpus) {
      throw new BpfError(`a pool of ${workers} workers needs 1..${machine.layout.cpus} (the machine's CPUs)`);
    }
    if (!(machine.memory.buffer instanceof SharedArrayBuffer)) {
      throw new BpfError("the pool needs a machine with shared memory (createMachine({ shared: true }))");
    }
    const owners = new Int32Array(new SharedArrayBuffer(4 * workers));
    const init: WorkerInit = { memory: machine.memory, mapsModule: loadMapsModule(true), machine: describeMachine(machine), owners: owners.buffer as SharedArrayBuffer };
    const piscina = new Piscina({
      filename: pathToFileURL(workerPath()).href,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: options.idleTimeout ?? 2 ** 31 - 1,
      concurrentTasksPerWorker: options.concurrentTasksPerWorker ?? 4,
      atomics: options.atomics ?? "disabled",
      workerData: init,
    });
    // A worker that exits (crash, idle timeout) frees its CPU for the worker replacing it.
    piscina.on("workerDestroy", (worker: { id: number }) => {
      for (let id = 0; id < owners.length; id++) Atomics.compareExchange(owners, id, worker.id, 0);
    });
    const pool = new CpuPool(machine, piscina, workers);
    try {
      await Promise.all(Array.from({ length: workers }, () => piscina.run({ kind: "hello" } satisfies PoolTask) as Promise<HelloResult>));
    } catch (err) {
      await piscina.destroy();
      throw new BpfError(`the pool's workers did not start: ${(err as Error).message}`);
    }
    return pool;
  }

  /** Write the packets into the machine's corpus region (between runs only: workers read it without locks). */
  loadCorpus(packets: readonly CorpusPacket[]): SharedCorpusInfo {
    if (this.closed) throw new BpfError("the pool is closed");
    if (this.running > 0) throw new BpfError("cannot replace the corpus while a run is in flight");
    this.corpusInfo = writeCorpus(this.machine.memory, this.machine.layout, packets);
    return this.corpusInfo;
  }

  get corpus(): SharedCorpusInfo | undefined {
    return this.corpusInfo;
  }

  /** Check and prepare a program: the JIT compiles here once; workers instantiate its module. */
  async load(program: Program, options: LoadOptions = {}): Promise<PoolProgram> {
    const engine = options.engine ?? "jit";
    const type = this.machine.type;
    const writes = this.writesOf(program);
    // Only XDP runs in place: an __sk_buff has per-packet fields the runtime writes with the copy.
    const inPlace = options.inPlace !== false && type.name === "xdp" && !writes.writes;
    const name = program.name ?? "program";
    const table = this.machine.programs.entries().map(([id, p]) => [id, { insns: p.insns.map((i) => ({ ...i })), name: p.name }] as const);
    const base = { id: this.nextProgram++, name, engine, insns: encode(program.insns), inPlace, table };
    let ref: ProgramRef;
    if (engine === "jit") {
      const { compileModule } = await import("../../jit/modules.js");
      ref = { ...base, jit: await compileModule(program, this.machine, options.jit) };
    } else if (engine === "interpreter") {
      const { Interpreter } = await import("../interpreter/engine.js");
      new Interpreter().loadSync(program, this.machine).dispose(); // refuse bad programs here, not in every worker
      ref = base;
    } else {
      throw new BpfError(`the pool runs engines jit and interpreter, not '${engine as string}'`);
    }
    return { ref, name, engine, packetWrites: writes };
  }

  /**
   * packetWrites of the program and, when it makes tail calls, of every program of the machine's
   * table: a tail call runs the target on the same packet (in place too).
   */
  private writesOf(program: Program): PacketWrites {
    const type = this.machine.type;
    const own = packetWrites(program.insns, type);
    if (own.writes || !program.insns.some((i) => i.opcode === CALL && i.src === 0 && i.imm === TAIL_CALL)) return own;
    for (const [id, target] of this.machine.programs.entries()) {
      const w = packetWrites(target.insns, type);
      if (w.writes) return { writes: true, reason: `tail-call target ${id} ('${target.name ?? "program"}') may write: ${w.reason}` };
    }
    return { writes: false, reason: `${own.reason} (nor in any tail-call target)` };
  }

  /** Run `program` over the corpus (or a range of its indices) on the pool's CPUs. */
  run(program: PoolProgram, options: RunOptions = {}): Promise<PoolRun> {
    return this.serial(() => this.runNow(program, options));
  }

  /** r0 of each packet's last run with `results: true`, as unsigned 64-bit values. */
  readResults(): BigUint64Array {
    const c = this.need();
    return new BigUint64Array(this.machine.memory.buffer, c.results, c.count).slice();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.piscina.destroy();
  }

  private need(): SharedCorpusInfo {
    if (!this.corpusInfo) throw new BpfError("no corpus loaded in the pool (loadCorpus first)");
    return this.corpusInfo;
  }

  /** One run at a time: runs share the control words and the CPUs' histograms. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new BpfError("the pool is closed"));
    this.running++;
    const result = this.queue.then(fn).finally(() => this.running--);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async runNow(program: PoolProgram, options: RunOptions): Promise<PoolRun> {
    const corpus = this.need();
    if (corpus.count === 0) return { packets: 0, ms: 0, verdicts: {}, perCpu: [], tasks: 0, overhead: 0 };
    const workers = options.workers ?? this.workers;
    if (!Number.isInteger(workers) || workers < 1 || workers > this.workers) throw new BpfError(`workers must be 1..${this.workers}, got ${workers}`);
    const first = options.first ?? 0;
    const packets = options.packets ?? corpus.count;
    const end = first + packets;
    if (!Number.isSafeInteger(first) || first < 0 || !Number.isSafeInteger(packets) || packets < 0 || end > 2 ** 31 - 1) {
      throw new BpfError(`run range [${first}, ${end}) must lie in [0, 2^31)`);
    }
    const results = options.results ?? false;
    const tasks = this.plan(program, options, first, end, workers, corpus, results);
    const control = new Int32Array(this.machine.memory.buffer, corpus.control, 2);
    Atomics.store(control, 0, 0);
    Atomics.store(control, 1, 0);
    const t0 = performance.now();
    const settled = await Promise.allSettled(tasks.map((t) => this.piscina.run(t) as Promise<RunTaskResult>));
    const ms = performance.now() - t0;
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) {
      const message = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
      throw new BpfRuntimeError(`run of '${program.name}' failed: ${message}`);
    }
    return this.summarise(program, settled.map((s) => (s as PromiseFulfilledResult<RunTaskResult>).value), packets, ms, tasks.length);
  }

  private plan(program: PoolProgram, options: RunOptions, first: number, end: number, workers: number, corpus: SharedCorpusInfo, results: boolean): RunTask[] {
    const base = { kind: "run" as const, program: program.ref, corpus, results, cursor: 0 };
    const perUs = program.nsPerPacket ? 1000 / program.nsPerPacket : undefined;
    if ((options.schedule ?? "claim") === "claim") {
      const chunk = options.chunk ?? (perUs ? clamp(Math.round(perUs * DEFAULT_CHUNK_US), 16, 1 << 20) : DEFAULT_CHUNK);
      const n = Math.min(workers, Math.ceil((end - first) / chunk));
      return Array.from({ length: n }, () => ({ ...base, first, end, chunk }));
    }
    if (workers !== this.workers) throw new BpfError(`schedule "tasks" uses every worker (${this.workers}); use "claim" to run on fewer`);
    const size = options.taskPackets ?? (perUs ? clamp(Math.round(perUs * DEFAULT_TASK_US), 16, 1 << 22) : DEFAULT_CHUNK * 4);
    const tasks: RunTask[] = [];
    for (let a = first; a < end; a += size) tasks.push({ ...base, first: a, end: Math.min(a + size, end), chunk: 0 });
    return tasks;
  }

  private summarise(program: PoolProgram, results: readonly RunTaskResult[], packets: number, ms: number, tasks: number): PoolRun {
    const hist = new Array<number>(HIST_BINS).fill(0);
    const byCpu = new Map<number, { packets: number; busyMs: number; cpuMs?: number; tasks: number }>();
    for (const r of results) {
      r.hist.forEach((n, bin) => (hist[bin]! += n));
      const s = byCpu.get(r.cpu) ?? { packets: 0, busyMs: 0, ...(r.cpuMs === undefined ? {} : { cpuMs: 0 }), tasks: 0 };
      s.packets += r.packets;
      s.busyMs += r.busyMs;
      if (s.cpuMs !== undefined) s.cpuMs += r.cpuMs ?? NaN;
      s.tasks++;
      byCpu.set(r.cpu, s);
    }
    const done = results.reduce((n, r) => n + r.packets, 0);
    if (done !== packets) throw new BpfRuntimeError(`run of '${program.name}': workers ran ${done} packets, expected ${packets}`);
    const perCpu = [...byCpu].sort((a, b) => a[0] - b[0]).map(([cpu, s]) => ({ cpu, ...s }));
    const busy = perCpu.reduce((sum, s) => sum + s.busyMs, 0);
    if (done > 0 && busy > 0) program.nsPerPacket = (busy * 1e6) / done;
    const maxBusy = Math.max(0, ...perCpu.map((s) => s.busyMs));
    return { packets, ms, verdicts: this.verdicts(hist), perCpu, tasks, overhead: ms > 0 ? Math.max(0, 1 - maxBusy / ms) : 0 };
  }

  private verdicts(hist: readonly number[]): Record<string, number> {
    const type = this.machine.type;
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
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
