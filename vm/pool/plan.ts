// Cutting a run into tasks (README.md "Tasks"): the packet index range a run covers, the chunk
// size workers claim, and the tasks themselves — one per worker that claims chunks from a shared
// cursor, or (the Node pool's "tasks" schedule) fixed ranges handed out one by one.

import { BpfError } from "../errors.js";
import type { SharedCorpusInfo } from "./corpus.js";
import type { RunTask } from "./protocol.js";
import type { PoolProgram, RunOptions } from "./types.js";

/** ~200 µs of work per claimed chunk, ~1 ms per task, at the program's last measured speed. */
const DEFAULT_CHUNK_US = 200;
const DEFAULT_TASK_US = 1000;
/** Before the first run measured a speed. */
const DEFAULT_CHUNK = 1024;
/** Packet indices are i32 in the driver (driver.ts). */
const MAX_INDEX = 2 ** 31 - 1;

/** What a run covers: packet indices [first, end) on the first `workers` CPUs. */
export interface RunRange {
  readonly workers: number;
  readonly first: number;
  readonly end: number;
  readonly packets: number;
}

/** Check a run's options against a pool of `poolWorkers` and a corpus of `count` packets. */
export function runRange(options: RunOptions, poolWorkers: number, count: number): RunRange {
  const workers = options.workers ?? poolWorkers;
  if (!Number.isInteger(workers) || workers < 1 || workers > poolWorkers) throw new BpfError(`workers must be 1..${poolWorkers}, got ${workers}`);
  const first = options.first ?? 0;
  const packets = options.packets ?? count;
  const end = first + packets;
  if (!Number.isSafeInteger(first) || first < 0 || !Number.isSafeInteger(packets) || packets < 0 || end > MAX_INDEX) {
    throw new BpfError(`run range [${first}, ${end}) must lie in [0, 2^31)`);
  }
  if (options.chunk !== undefined && (!Number.isInteger(options.chunk) || options.chunk < 1)) {
    throw new BpfError(`chunk must be a positive integer of packets, got ${options.chunk}`);
  }
  return { workers, first, end, packets };
}

/** Packets for `us` µs of work at the program's last speed, within [16, max]. */
function packetsFor(program: PoolProgram, us: number, max: number, fallback: number): number {
  return program.nsPerPacket ? clamp(Math.round((us * 1000) / program.nsPerPacket), 16, max) : fallback;
}

const base = (program: PoolProgram, corpus: SharedCorpusInfo, results: boolean) => ({ kind: "run" as const, program: program.ref, corpus, results, cursor: 0 });

/**
 * The claim schedule: one task per taking part worker (fewer when the range has fewer chunks),
 * each claiming chunks of the range from control word 0 until none is left.
 */
export function claimTasks(program: PoolProgram, corpus: SharedCorpusInfo, range: RunRange, options: RunOptions): RunTask[] {
  const chunk = options.chunk ?? packetsFor(program, DEFAULT_CHUNK_US, 1 << 20, DEFAULT_CHUNK);
  const n = Math.min(range.workers, Math.ceil(range.packets / chunk));
  return Array.from({ length: n }, () => ({ ...base(program, corpus, options.results ?? false), first: range.first, end: range.end, chunk }));
}

/** The tasks schedule: the range cut into tasks of `taskPackets` (default ~1 ms of work). */
export function rangeTasks(program: PoolProgram, corpus: SharedCorpusInfo, range: RunRange, results: boolean, taskPackets?: number): RunTask[] {
  const size = taskPackets ?? packetsFor(program, DEFAULT_TASK_US, 1 << 22, DEFAULT_CHUNK * 4);
  if (!Number.isInteger(size) || size < 1) throw new BpfError(`taskPackets must be a positive integer, got ${size}`);
  const tasks: RunTask[] = [];
  for (let a = range.first; a < range.end; a += size) tasks.push({ ...base(program, corpus, results), first: a, end: Math.min(a + size, range.end), chunk: 0 });
  return tasks;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
