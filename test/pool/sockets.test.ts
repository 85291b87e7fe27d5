// Sockets in the worker pool (2 workers, both engines): fixtures/sk_pool.c looks sockets of the
// network model up (vm/runtime/sockets.ts: their structs live in the maps arena, which every
// worker attaches to through MachineDescription.socketsBase) and reads the skb's own socket
// (the test run's, written per packet into each CPU's scratch area; a program that loads
// __sk_buff.sk runs in the JS loop, not from the precomputed contexts). Every packet's r0 must
// be the one PacketRunner gives on one CPU. Needs an up-to-date `npm run build` (the workers run
// dist/).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findProgram } from "../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import { CpuPool, corpusRegionSize } from "../../vm/pool/index.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { fixtureObject } from "../kernel/objects.js";
import { SOCKET_CASES, SOCKET_NET, rng } from "../kernel/sockets.js";

const CPUS = 2;

/** Lookups (the tuples of SOCKET_CASES, at 14 here) and IPv4 / IPv6 frames for the skb's socket. */
const packets = (() => {
  const rand = rng(0x77);
  const lookups = SOCKET_CASES.filter((c) => [12, 36].includes(new DataView(c.buffer).getUint32(18, true))).slice(0, 1200).map((c) => {
    const f = new Uint8Array(64);
    f.set(c.subarray(0, 14), 0);
    f.set(c.subarray(38, 74), 14);
    f[50] = new DataView(c.buffer).getUint32(18, true) === 36 ? 1 : 0;
    return f;
  });
  const ip = Array.from({ length: 800 }, (_, i) => {
    const f = new Uint8Array(80).map(() => Math.floor(rand() * 256));
    f.set(i % 2 ? [0x86, 0xdd] : [0x08, 0x00], 12);
    return f;
  });
  return lookups.flatMap((f, i) => (i < ip.length ? [f, ip[i]!] : [f]));
})();

async function expected(): Promise<bigint[]> {
  const loaded = instantiateObjectNode(fixtureObject("sk_pool"), "sk_pool", { network: SOCKET_NET });
  const runner = new PacketRunner(loaded.machine, await (await getEngine("interpreter")).load(loaded.program, loaded.machine));
  try {
    return runner.runBatch(packets, { results: true }).results!.map((r) => BigInt.asUintN(64, r.retval));
  } finally {
    runner.dispose();
  }
}

describe("sockets in the pool (2 workers)", () => {
  let machine: RuntimeMachine;
  let pool: CpuPool;
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    machine = createNodeMachine({ type: "sched_cls", shared: true, cpus: CPUS, network: SOCKET_NET, corpusSize: corpusRegionSize(packets, CPUS) });
    pool = await CpuPool.create(machine);
    pool.loadCorpus(packets);
    const program = { insns: findProgram(fixtureObject("sk_pool"), "sk_pool").insns, name: "sk_pool" };
    for (const engine of ["jit", "interpreter"] as const) programs[engine] = await pool.load(program, { engine });
  }, 120_000);
  afterAll(async () => pool?.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: every packet's r0 is the one-CPU runner's`, async () => {
      const want = await expected();
      // Found sockets and test-run sockets of both families occur.
      expect(want.filter((r) => (r >> 19n) & 1n).length).toBeGreaterThan(100);
      for (const family of [2n, 10n]) expect(want.filter((r) => r >> 28n === family).length).toBeGreaterThan(100);
      const run = await pool.run(programs[engine]!, { workers: CPUS, chunk: 64, results: true });
      expect(run.packets).toBe(packets.length);
      const got = [...pool.readResults()];
      expect(got.map((r, i) => [i, r] as const).filter(([i, r]) => r !== want[i]).slice(0, 5)).toEqual([]);
    }, 60_000);
  }
});
