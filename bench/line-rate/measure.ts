// Timing one program × corpus × engine × worker count on the pool: an explicit warm-up, then
// rounds of a fixed number of packets; Mpps per round, reported as median with min and max.
//
// Warm-up matters: V8 runs a fresh wasm module on its baseline compiler (Liftoff) and tiers hot
// functions up to TurboFan after a while (100–300 ms in a fresh process), and the interpreter's
// JS needs its own JIT warm-up. A warm-up runs rounds for at least `warmupMs`, then until two
// rounds in a row agree within 10% (or `maxWarmupMs` is spent); the first round's rate is kept
// to show what cold code costs.

import type { PoolBase } from "../../vm/pool/base.js";
import type { PoolProgram, PoolRun } from "../../vm/pool/index.js";

/** What timing needs of a pool: Node's CpuPool or a page's WebCpuPool (bench/browser/). */
export type TimedPool = Pick<PoolBase, "run" | "corpus">;

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface TimingOptions {
  /** Wall time of one timed round (ms). */
  readonly roundMs: number;
  readonly rounds: number;
  /** Warm-up before the first timed round (ms): at least this, then until stable. */
  readonly warmupMs: number;
  readonly maxWarmupMs: number;
}

export interface PoolSample {
  readonly mpps: Stats;
  /** ns per packet of the whole pool (1000 / median Mpps). */
  readonly nsPerPacket: number;
  /**
   * ns one CPU spends per packet, median over rounds: the workers' on-CPU time / packets where
   * the thread clock exists (vm/pool/thread-cpu.node.ts), else their busy wall time / packets.
   */
  readonly cpuNsPerPacket: number;
  /** Median share of the workers' busy wall time they were on a CPU (1 = never preempted), when known. */
  readonly onCpu?: number;
  readonly rounds: number;
  readonly packetsPerRound: number;
  readonly warmupMs: number;
  /** Mpps of the very first (cold) run. */
  readonly coldMpps: number;
  /** Median share of a round's wall time the busiest CPU was not running packets (dispatch). */
  readonly overhead: number;
}

export function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

const mppsOf = (r: PoolRun): number => (r.ms > 0 ? r.packets / r.ms / 1000 : 0);
const sum = (r: PoolRun, ms: (c: PoolRun["perCpu"][number]) => number | undefined): number => r.perCpu.reduce((t, c) => t + (ms(c) ?? NaN), 0);
const busyNs = (r: PoolRun): number => {
  const busy = sum(r, (c) => c.cpuMs);
  return r.packets > 0 ? ((Number.isNaN(busy) ? sum(r, (c) => c.busyMs) : busy) * 1e6) / r.packets : 0;
};
const onCpuShare = (r: PoolRun): number => sum(r, (c) => c.cpuMs) / sum(r, (c) => c.busyMs);

/** Packets for `ms` of work on `workers` CPUs at the program's last measured speed. */
function packetsFor(program: PoolProgram, ms: number, workers: number, fallback: number): number {
  const ns = program.nsPerPacket;
  const n = ns ? Math.round((ms * 1e6 * workers) / ns) : fallback;
  return Math.max(64, Math.min(n, 2 ** 30));
}

export async function measurePool(pool: TimedPool, program: PoolProgram, workers: number, timing: TimingOptions): Promise<PoolSample> {
  const corpusCount = pool.corpus?.count ?? 0;
  const t0 = performance.now();
  // The first run: one pass over the corpus (at least 1000 packets), cold.
  const cold = await pool.run(program, { workers, packets: Math.max(corpusCount, 1000) });
  const coldMpps = mppsOf(cold);
  let last = coldMpps;
  for (let stable = 0; ;) {
    const elapsed = performance.now() - t0;
    if (elapsed >= timing.maxWarmupMs || (elapsed >= timing.warmupMs && stable >= 1)) break;
    const r = await pool.run(program, { workers, packets: packetsFor(program, timing.roundMs / 2, workers, corpusCount) });
    const mpps = mppsOf(r);
    stable = Math.abs(mpps - last) <= 0.1 * Math.max(mpps, last) ? stable + 1 : 0;
    last = mpps;
  }
  const warmupMs = performance.now() - t0;
  const packets = packetsFor(program, timing.roundMs, workers, corpusCount);
  const runs: PoolRun[] = [];
  for (let k = 0; k < timing.rounds; k++) runs.push(await pool.run(program, { workers, packets }));
  const mpps = stats(runs.map(mppsOf));
  const onCpu = stats(runs.map(onCpuShare)).median;
  return {
    mpps,
    nsPerPacket: 1000 / mpps.median,
    cpuNsPerPacket: stats(runs.map(busyNs)).median,
    ...(Number.isNaN(onCpu) ? {} : { onCpu }),
    rounds: runs.length,
    packetsPerRound: packets,
    warmupMs,
    coldMpps,
    overhead: stats(runs.map((r) => r.overhead)).median,
  };
}
