// The line-rate benchmark: programs × packet corpora × engines (interpreter, JIT on 1..N
// workers, the kernel), all in one run so that the ratios between them are measured under the
// same conditions. Per program: one machine with shared memory (its maps, entries written by
// the program's setup), one CpuPool with a worker per CPU, each corpus loaded into the corpus
// region in turn. Before timing, one pass per engine with every r0 kept checks that the engines
// agree packet by packet; the kernel is checked on its sample, replayed from the initial maps
// (replay.ts).

import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { Layout } from "../../vm/memory/layout.js";
import { CpuPool, corpusRegionSize, type PoolProgram } from "../../vm/pool/index.js";
import type { JitOptions } from "../../jit/compile.js";
import { loadCorpus, type BenchCorpus } from "./corpora.js";
import { measureDispatch, type DispatchOptions, type DispatchRow } from "./dispatch.js";
import { KernelSession, kernelAvailability, kernelUnsupported, type KernelOptions } from "./kernel.js";
import { measurePool, type TimingOptions } from "./measure.js";
import { benchMachine, loadBenchProgram, writeEntries, type BenchProgram, type MapEntry } from "./programs.js";
import { replayAgainstKernel } from "./replay.js";

export type EngineName = "interpreter" | "jit" | "kernel";

export interface EngineRun {
  readonly engine: EngineName;
  /** Worker counts to measure (the kernel runs on one CPU: [1]). */
  readonly workers: readonly number[];
}

export interface LineRateOptions {
  readonly programs: readonly string[];
  readonly corpora: readonly string[];
  readonly engines: readonly EngineRun[];
  readonly timing: { readonly interpreter: TimingOptions; readonly jit: TimingOptions };
  readonly kernel: KernelOptions;
  readonly jit?: JitOptions;
  /** Measure the pool's dispatch costs under several Piscina settings (first program and corpus). */
  readonly dispatch?: DispatchOptions;
  readonly log: (line: string) => void;
}

/** One measurement (bench/results JSON rows). */
export interface Row {
  readonly program: string;
  readonly corpus: string;
  readonly engine: EngineName;
  readonly workers: number;
  /** Packets timed per round (the kernel: packets sampled, each run `repeat` times). */
  readonly packets: number;
  readonly corpus_packets: number;
  readonly mpps: number;
  readonly mpps_min: number;
  readonly mpps_max: number;
  readonly ns_per_packet: number;
  /** CPU time per packet on one CPU (workers' on-CPU time / packets); the kernel's per-run average. */
  readonly cpu_ns_per_packet: number;
  /** Share of the workers' busy wall time they were on a CPU: below 1, other work took cores from them. */
  readonly on_cpu?: number;
  /** Bit rate on the wire at this packet rate (frames + FCS + preamble + gap). */
  readonly gbps: number;
  readonly rounds: number;
  readonly warmup_ms?: number;
  readonly cold_mpps?: number;
  /** Share of a round the busiest worker was not running packets (dispatch, waiting). */
  readonly overhead?: number;
  /** Ran on the corpus bytes (true) or a per-CPU copy (false). */
  readonly in_place?: boolean;
  readonly repeat?: number;
  /** Kernel rows: ns per run of a program that only returns — BPF_PROG_TEST_RUN's own cost. */
  readonly floor_ns?: number;
  /** What makes this figure differ from the others of its program (see kernel rows). */
  readonly note?: string;
}

export interface Skip {
  readonly program: string;
  readonly corpus?: string;
  readonly engine?: EngineName;
  readonly reason: string;
}

/** The engines' agreement on one corpus pass, and its verdicts. */
export interface Check {
  readonly program: string;
  readonly corpus: string;
  /** Verdict counts of one pass (first pool engine). */
  readonly verdicts: Record<string, number>;
  /** Packets whose r0 differs between the JIT and the interpreter (when both ran). */
  readonly jit_vs_interpreter?: number;
  /** Sampled packets whose retval differs between the kernel and the interpreter, both replaying them from the initial maps (replay.ts). */
  readonly kernel_vs_ours?: number;
  readonly kernel_compared?: number;
}

export interface Ratio {
  readonly program: string;
  readonly corpus: string;
  /** JIT (1 worker) Mpps over interpreter (1 worker) Mpps. */
  readonly jit_over_interpreter?: number;
  /** JIT Mpps on N workers over 1 worker, by N (wall clock: needs N idle cores). */
  readonly workers_scaling?: Record<string, number>;
  /**
   * N × (CPU ns/packet on 1 worker) / (CPU ns/packet on N workers), by N: the speed-up N workers
   * give when each has a core of its own. Contention between workers (shared cache lines, locks)
   * lowers it; other processes of this machine taking the cores do not (a VM's host slowing or
   * stealing its CPUs still does: the guest's thread clock counts that time).
   */
  readonly workers_cpu_scaling?: Record<string, number>;
  /** JIT ns/packet (1 worker) over the kernel's: 1.5 = 50% slower than the kernel. */
  readonly jit_ns_over_kernel_ns?: number;
  /** JIT Mpps (1 worker) over 14.88 (10GbE line rate of 64-byte frames). */
  readonly jit_over_10gbe?: number;
}

export interface LineRateResult {
  readonly rows: Row[];
  readonly skipped: Skip[];
  readonly checks: Check[];
  readonly ratios: Ratio[];
  readonly corpora: Array<{ name: string; packets: number; avg_wire_bytes: number; notes: string[] }>;
  readonly kernel: string;
  /** Pool dispatch costs by Piscina setting and schedule (dispatch.ts). */
  readonly dispatch: DispatchRow[];
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export async function runLineRate(options: LineRateOptions): Promise<LineRateResult> {
  const { log } = options;
  const result: LineRateResult = { rows: [], skipped: [], checks: [], ratios: [], corpora: [], kernel: "", dispatch: [] };
  const wantKernel = options.engines.some((e) => e.engine === "kernel");
  const kernel = wantKernel ? kernelAvailability() : undefined;
  (result as { kernel: string }).kernel = kernel ? (kernel.ok ? kernel.reason : `unavailable: ${kernel.reason}`) : "not asked for";
  if (kernel && !kernel.ok) log(`kernel engine skipped: ${kernel.reason}`);
  const corpora = options.corpora.map((spec) => {
    const c = loadCorpus(spec);
    result.corpora.push({ name: c.name, packets: c.packets.length, avg_wire_bytes: round3(c.wireBits / 8), notes: c.notes });
    return c;
  });
  for (const spec of options.programs) {
    let program: BenchProgram;
    try {
      program = loadBenchProgram(spec);
    } catch (err) {
      skip(result, log, { program: spec, reason: (err as Error).message });
      continue;
    }
    await benchProgram(program, corpora, options, kernel?.ok === true, result);
  }
  if (options.dispatch && corpora[0] && options.programs[0]) {
    log(`pool dispatch (${options.programs[0]} on ${corpora[0].name}, JIT, ${options.dispatch.workers} workers):`);
    try {
      result.dispatch.push(...(await measureDispatch(loadBenchProgram(options.programs[0]), corpora[0], options.dispatch, log)));
    } catch (err) {
      skip(result, log, { program: options.programs[0], corpus: corpora[0].name, engine: "jit", reason: `dispatch measurement: ${(err as Error).message}` });
    }
  }
  return result;
}

function skip(result: LineRateResult, log: (line: string) => void, s: Skip): void {
  result.skipped.push(s);
  log(`  skipped ${[s.program, s.corpus, s.engine].filter(Boolean).join(" / ")}: ${s.reason}`);
}

async function benchProgram(program: BenchProgram, corpora: readonly BenchCorpus[], options: LineRateOptions, kernelOk: boolean, result: LineRateResult): Promise<void> {
  const { log } = options;
  const poolEngines = options.engines.filter((e) => e.engine !== "kernel");
  const cpus = Math.max(1, ...poolEngines.flatMap((e) => e.workers));
  const allPackets = corpora.flatMap((c) => c.packets);
  const entries = program.setup(allPackets);
  const maxLength = Math.max(0, ...allPackets.map((p) => p.data.length));
  let machine: RuntimeMachine;
  try {
    machine = benchMachine(program, {
      shared: true,
      cpus,
      packetMax: Math.max(2048, maxLength),
      corpusSize: Math.max(...corpora.map((c) => corpusRegionSize(c.packets, cpus))),
    });
  } catch (err) {
    skip(result, log, { program: program.name, reason: (err as Error).message });
    return;
  }
  writeEntries(machine, program, entries);
  log(`${program.name} (${program.type}, ${program.insns.length} insns${entries.length ? `, ${entries.length} map entries` : ""})`);
  const pool = poolEngines.length > 0 ? await CpuPool.create(machine, { workers: cpus }) : undefined;
  const kernel: KernelState = { ok: kernelOk, session: undefined };
  try {
    const loaded = new Map<EngineName, PoolProgram>();
    for (const e of poolEngines) {
      try {
        loaded.set(e.engine, await pool!.load({ insns: program.insns, name: program.name }, { engine: e.engine as "jit" | "interpreter", jit: options.jit }));
      } catch (err) {
        skip(result, log, { program: program.name, engine: e.engine, reason: (err as Error).message });
      }
    }
    const first = loaded.values().next().value as PoolProgram | undefined;
    if (first) log(`  ${first.ref.inPlace ? "runs in place on the corpus" : "runs on a per-CPU copy"}: ${first.packetWrites.reason}`);
    for (const corpus of corpora) {
      if (corpus.packets.length === 0) {
        skip(result, log, { program: program.name, corpus: corpus.name, reason: "the corpus has no packets" });
        continue;
      }
      const check: { -readonly [K in keyof Check]: Check[K] } = { program: program.name, corpus: corpus.name, verdicts: {} };
      if (pool) {
        pool.loadCorpus(corpus.packets);
        await checkEngines(pool, machine, loaded, check);
      }
      const rows: Row[] = [];
      for (const e of options.engines) {
        if (e.engine === "kernel") {
          const writes = first?.packetWrites.writes ?? false;
          const row = await kernelRow(program, corpus, entries, options, kernel, result, check, writes);
          if (row) rows.push(row);
          continue;
        }
        const prog = loaded.get(e.engine);
        if (!prog) continue;
        for (const workers of e.workers) {
          const timing = options.timing[e.engine];
          const s = await measurePool(pool!, prog, workers, timing);
          rows.push({
            program: program.name, corpus: corpus.name, engine: e.engine, workers,
            packets: s.packetsPerRound, corpus_packets: corpus.packets.length,
            mpps: round3(s.mpps.median), mpps_min: round3(s.mpps.min), mpps_max: round3(s.mpps.max),
            ns_per_packet: round3(s.nsPerPacket), cpu_ns_per_packet: round3(s.cpuNsPerPacket),
            gbps: round3((s.mpps.median * corpus.wireBits) / 1000), rounds: s.rounds,
            warmup_ms: Math.round(s.warmupMs), cold_mpps: round3(s.coldMpps), overhead: round3(s.overhead), in_place: prog.ref.inPlace,
            ...(s.onCpu === undefined ? {} : { on_cpu: round3(s.onCpu) }),
          });
        }
      }
      for (const row of rows) log(`  ${formatRowLine(row)}`);
      result.rows.push(...rows);
      result.checks.push(check);
      result.ratios.push(ratiosOf(program.name, corpus.name, rows));
      const disagree = [check.jit_vs_interpreter ? `JIT and interpreter differ on ${check.jit_vs_interpreter} packets` : "", check.kernel_vs_ours ? `the kernel differs on ${check.kernel_vs_ours} of ${check.kernel_compared} sampled packets` : ""].filter(Boolean);
      if (disagree.length > 0) log(`  WARNING ${corpus.name}: ${disagree.join("; ")}`);
    }
  } finally {
    kernel.session?.close();
    await pool?.close();
  }
}

/**
 * One pass per pool engine keeping every r0: the verdicts, and whether the engines agree. Each
 * pass starts from the same map contents: a stateful program (a bloom filter, a rate limiter,
 * connection tracking) answers by what earlier packets left in its maps.
 */
async function checkEngines(pool: CpuPool, machine: RuntimeMachine, loaded: ReadonlyMap<EngineName, PoolProgram>, check: { -readonly [K in keyof Check]: Check[K] }): Promise<void> {
  const r0: Partial<Record<EngineName, BigUint64Array>> = {};
  const restoreMaps = mapsSnapshot(machine);
  for (const [engine, prog] of loaded) {
    restoreMaps();
    const run = await pool.run(prog, { workers: 1, results: true });
    r0[engine] = pool.readResults();
    if (Object.keys(check.verdicts).length === 0) check.verdicts = run.verdicts;
  }
  if (r0.jit && r0.interpreter) {
    let differ = 0;
    for (let i = 0; i < r0.jit.length; i++) if (r0.jit[i] !== r0.interpreter[i]) differ++;
    check.jit_vs_interpreter = differ;
  }
}

/** The maps arena's bytes now, and a function that puts them back (no run may be under way). */
function mapsSnapshot(machine: RuntimeMachine): () => void {
  const { mapsBase, mapsSize } = new Layout(machine.layout);
  const bytes = new Uint8Array(machine.memory.buffer, mapsBase, mapsSize).slice();
  return () => new Uint8Array(machine.memory.buffer, mapsBase, mapsSize).set(bytes);
}

/** The program in the kernel, loaded on first use (maps created and filled once per program). */
interface KernelState {
  ok: boolean;
  session: KernelSession | undefined;
}

async function kernelRow(
  program: BenchProgram, corpus: BenchCorpus, entries: readonly MapEntry[], options: LineRateOptions, kernel: KernelState,
  result: LineRateResult, check: { -readonly [K in keyof Check]: Check[K] }, writes: boolean,
): Promise<Row | undefined> {
  const base = { program: program.name, corpus: corpus.name, engine: "kernel" as const };
  if (!kernel.ok) return undefined; // said once at the start, or when the program failed to load
  try {
    if (!kernel.session) {
      const unsupported = kernelUnsupported(program);
      if (unsupported) throw new Error(unsupported);
      kernel.session = KernelSession.open(program, entries);
    }
    const k = kernel.session.measure(corpus, options.kernel);
    const replay = await replayAgainstKernel(program, corpus, entries, options.kernel.sample);
    check.kernel_vs_ours = replay.differ;
    check.kernel_compared = replay.compared;
    return {
      ...base, workers: 1, packets: k.packets, corpus_packets: corpus.packets.length,
      mpps: round3(k.mpps.median), mpps_min: round3(k.mpps.min), mpps_max: round3(k.mpps.max),
      ns_per_packet: round3(k.ns.median), cpu_ns_per_packet: round3(k.ns.median),
      gbps: round3((k.mpps.median * corpus.wireBits) / 1000), rounds: options.kernel.rounds, repeat: options.kernel.repeat,
      floor_ns: round3(k.floorNs.median),
      // BPF_PROG_TEST_RUN reruns one buffer `repeat` times: runs after the first see the packet
      // as the program left it (l4_lb: no longer addressed to the VIP, so it takes another path).
      ...(writes && options.kernel.repeat > 1 ? { note: "program rewrites its packet: repeated test runs time it on its own output" } : {}),
    };
  } catch (err) {
    if (!kernel.session) kernel.ok = false; // not loadable: one skip for the program, not one per corpus
    skip(result, options.log, { program: program.name, engine: "kernel", ...(kernel.session ? { corpus: corpus.name } : {}), reason: (err as Error).message });
    return undefined;
  }
}

function ratiosOf(program: string, corpus: string, rows: readonly Row[]): Ratio {
  const find = (engine: EngineName, workers = 1): Row | undefined => rows.find((r) => r.engine === engine && r.workers === workers);
  const jit1 = find("jit");
  const interp = find("interpreter");
  const kernel = find("kernel");
  const ratio: { -readonly [K in keyof Ratio]: Ratio[K] } = { program, corpus };
  if (jit1 && interp) ratio.jit_over_interpreter = round3(jit1.mpps / interp.mpps);
  if (jit1) {
    const scaling: Record<string, number> = {};
    const cpuScaling: Record<string, number> = {};
    for (const r of rows) {
      if (r.engine !== "jit" || r.workers === 1) continue;
      scaling[String(r.workers)] = round3(r.mpps / jit1.mpps);
      cpuScaling[String(r.workers)] = round3((r.workers * jit1.cpu_ns_per_packet) / r.cpu_ns_per_packet);
    }
    if (Object.keys(scaling).length > 0) ratio.workers_scaling = scaling;
    if (Object.keys(cpuScaling).length > 0) ratio.workers_cpu_scaling = cpuScaling;
    ratio.jit_over_10gbe = round3(jit1.mpps / 14.88);
  }
  if (jit1 && kernel) ratio.jit_ns_over_kernel_ns = round3(jit1.ns_per_packet / kernel.ns_per_packet);
  return ratio;
}

export function formatRowLine(r: Row): string {
  const spread = `[${r.mpps_min.toFixed(2)}..${r.mpps_max.toFixed(2)}]`;
  return `${r.corpus.padEnd(10)} ${r.engine.padEnd(11)} ×${String(r.workers).padEnd(2)} ${r.mpps.toFixed(2).padStart(8)} Mpps ${spread.padEnd(16)} ${r.ns_per_packet.toFixed(1).padStart(8)} ns/pkt ${r.gbps.toFixed(2).padStart(7)} Gbit/s`;
}
