// The per-CPU worker pools: one worker per CPU of a machine, on its shared memory, running
// programs over a shared packet corpus. See ./README.md. This entry is the Node pool (Piscina,
// reached through ebpf-wasm/node); the web pool (Web Workers) is ./web/index.ts. Both are built on
// the same core (base.ts, cpu.ts and what they import).

export { CpuPool, workerPath, type PoolOptions, type RunOptions } from "./pool.node.js";
export type { CpuStats, LoadOptions, PoolProgram, PoolRun } from "./types.js";
export { corpusRegionSize, writeCorpus, histBin, HIST_BINS, type CorpusPacket, type SharedCorpusInfo } from "./corpus.js";
export { packetWrites, type PacketWrites } from "./packet-writes.js";
export { driverBinary, instantiateDriver, type DriverExports, type RunArity } from "./driver.js";
export type { PoolEngine, ProgramRef } from "./protocol.js";
