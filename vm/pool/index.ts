// The per-CPU worker pool (Node-only): one Piscina worker per CPU of a machine, on its shared
// memory, running programs over a shared packet corpus. See ./README.md.

export { CpuPool, workerPath, type CpuStats, type LoadOptions, type PoolOptions, type PoolProgram, type PoolRun, type RunOptions } from "./pool.js";
export { corpusRegionSize, writeCorpus, histBin, HIST_BINS, type CorpusPacket, type SharedCorpusInfo } from "./corpus.js";
export { packetWrites, type PacketWrites } from "./packet-writes.js";
export { driverBinary, instantiateDriver, type DriverExports, type RunArity } from "./driver.js";
export type { PoolEngine, ProgramRef } from "./protocol.js";
