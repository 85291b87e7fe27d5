// CPUMAP and XSKMAP on the pool: test/kernel/fixtures/cpumap_redirect.o (entries for CPUs 0 and
// 1) and xsk_def.o (a socket on queue 0) on 2 workers, whose redirect_map calls look the slots
// up in the shared maps. Verdicts and the programs' counting maps do not depend on which CPU ran
// which packet, so the pool must end with what one interpreter run gives.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generate } from "../../corpus/gen/index.js";
import { loadObject, type BpfObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import type { MapSet } from "../../vm/maps/mapset.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { poolFor, type PoolFixture } from "./fixture.js";

const fixture = (name: string): BpfObject =>
  loadObject(new Uint8Array(readFileSync(join(import.meta.dirname, "..", "kernel", "fixtures", `${name}.o`))));
const packets = generate("mix:2000:seed=23").map((p) => p.data).filter((d) => d.length >= 14);
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const CASES = [
  {
    object: "cpumap_redirect", counts: "cpu_seen",
    fill: (maps: MapSet): void => {
      for (const cpu of [0, 1]) maps.keyed("cpu_map").update(u32(cpu), new Uint8Array(new Uint32Array([8, 0]).buffer));
    },
  },
  { object: "xsk_def", counts: "xsk_stats", fill: (maps: MapSet): void => maps.xskMap("xsks_map").bind(0, 9) },
] as const;

const countsOf = (maps: MapSet, name: string): string[] => [...maps.keyed(name).entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`);

describe("CPUMAP / XSKMAP redirects on the pool, 2 workers", () => {
  const pools: PoolFixture[] = [];
  afterAll(async () => {
    for (const fx of pools) await fx.pool.close();
  });

  for (const c of CASES) {
    it(`${c.object}.o: verdicts and counts as one interpreter run, on the JIT and the interpreter`, async () => {
      const obj = fixture(c.object);
      const one = instantiateObjectNode(obj, undefined, { cpus: 2 });
      c.fill(one.machine.maps);
      const runner = new PacketRunner(one.machine, await (await getEngine("interpreter")).load(one.program, one.machine));
      const want = runner.runBatch(packets).verdicts;
      runner.dispose();
      expect(want["XDP_REDIRECT"]).toBeGreaterThan(100);
      const wantCounts = countsOf(one.machine.maps, c.counts);

      const fx = await poolFor("xdp", obj.maps.map((m) => m.spec), packets, 2);
      pools.push(fx);
      c.fill(fx.machine.maps);
      for (const engine of ["jit", "interpreter"] as const) {
        const counts = fx.machine.maps.keyed(c.counts);
        for (let i = 0; i < counts.maxEntries; i++) counts.update(u32(i), new Uint8Array(8));
        const program = await fx.pool.load({ insns: [...one.program.insns], name: c.object }, { engine });
        const run = await fx.pool.run(program, { workers: 2, chunk: 64 });
        expect(run.packets, engine).toBe(packets.length);
        expect(run.verdicts, engine).toEqual(want);
        expect(countsOf(fx.machine.maps, c.counts), engine).toEqual(wantCounts);
      }
    }, 60_000);
  }
});
