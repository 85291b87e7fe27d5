// The web pool's entry (dist/vm/pool/web/index.js): one Web Worker per CPU of a machine on its
// shared memory, for cross-origin isolated pages. Core code: no Node built-in, no Piscina
// (test/browser/imports.test.ts walks its import graph). docs/browser.md shows its use.

export { WebCpuPool, type WebPoolOptions } from "./pool.js";
export type { CpuStats, LoadOptions, PoolProgram, PoolRun, RunOptions } from "../types.js";
export { corpusRegionSize, histBin, HIST_BINS, type CorpusPacket, type SharedCorpusInfo } from "../corpus.js";
export { packetWrites, type PacketWrites } from "../packet-writes.js";
export type { PoolEngine } from "../protocol.js";
