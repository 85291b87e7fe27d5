// The API both pools share (the Node pool, pool.node.ts, and the web pool, web/pool.ts): how a
// program is loaded, what a run takes and what it returns.

import type { JitOptions } from "../../jit/compile.js";
import type { PacketWrites } from "./packet-writes.js";
import type { PoolEngine, ProgramRef } from "./protocol.js";

export interface LoadOptions {
  /** Default "jit". */
  readonly engine?: PoolEngine;
  readonly jit?: JitOptions;
  /** false: always give each CPU a copy of the packet, even for a program that could run in place. */
  readonly inPlace?: boolean;
}

/** A program loaded into a pool (workers instantiate it on first use). */
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
  /** Packets per claimed chunk. Default: ~200 µs of work at the program's last speed. */
  readonly chunk?: number;
  /** Store each packet's r0 in the corpus results array (readResults). */
  readonly results?: boolean;
}

export interface CpuStats {
  readonly cpu: number;
  readonly packets: number;
  /** ms the CPU spent running packets. */
  readonly busyMs: number;
  /** Of busyMs, ms its worker thread was actually on a CPU (Node on Linux: thread-cpu.node.ts). */
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
