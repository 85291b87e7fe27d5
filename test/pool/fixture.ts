// Shared set-up of the pool tests: corpus programs loaded as the benchmark loads them (vm/elf/load), a
// shared machine sized for a corpus, and a pool on it. The workers run dist/vm/pool/worker.node.js
// (worker threads cannot load TypeScript): `npm test` builds first; `npx vitest run test/pool`
// alone needs an up-to-date `npm run build`.

import { generate } from "../../corpus/gen/index.js";
import { loadBenchProgram, type BenchProgram } from "../../bench/line-rate/programs.js";
import { loadCorpus, type PacketLike } from "../../bench/line-rate/corpora.js";
import type { Program } from "../../vm/engine.js";
import type { MapSpec } from "../../vm/maps/types.js";
import { CpuPool, corpusRegionSize, type CorpusPacket } from "../../vm/pool/index.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";

/** tcpdump's Ethernet captures plus a generated mix (VLAN, IPv6, fragments, truncated, malformed). */
let cached: PacketLike[] | undefined;
export function mixedCorpus(): PacketLike[] {
  cached ??= [...loadCorpus("tcpdump").packets, ...generate("mix:3000:seed=7"), ...generate("truncated:200:seed=2"), ...generate("malformed:200:seed=3")];
  return cached;
}

export function corpusProgram(name: string): BenchProgram {
  return loadBenchProgram(name);
}

export const asProgram = (p: BenchProgram): Program => ({ insns: p.insns, name: p.name });

export interface PoolFixture {
  readonly machine: RuntimeMachine;
  readonly pool: CpuPool;
}

export async function poolFor(type: ProgramTypeName, maps: readonly MapSpec[], packets: readonly CorpusPacket[], cpus: number): Promise<PoolFixture> {
  const machine = createNodeMachine({
    type,
    shared: true,
    cpus,
    maps,
    packetMax: Math.max(2048, ...packets.map((p) => (p instanceof Uint8Array ? p : p.data).length)),
    corpusSize: corpusRegionSize(packets, cpus),
  });
  const pool = await CpuPool.create(machine);
  pool.loadCorpus(packets);
  return { machine, pool };
}
