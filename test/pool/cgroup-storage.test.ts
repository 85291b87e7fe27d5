// bpf_get_local_storage in the worker pool: test/kernel/fixtures/cgroup_storage.o on 2 workers,
// both engines (the JIT through the packet driver, the interpreter through the JS loop). Each
// packet's run starts with no storage, as on the runtime's PacketRunner and in the kernel's test
// run (test/kernel/cgroup-storage.test.ts): what a run finds in its storage before writing is
// always 0, so the pool ends with the verdicts and `seen` counts of one interpreter run. Needs
// an up-to-date `npm run build` (the workers run dist/).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "../../corpus/gen/index.js";
import { loadObject, type BpfObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import type { BpfMap } from "../../vm/maps/map.js";
import type { MapSet } from "../../vm/maps/mapset.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { poolFor, type PoolFixture } from "./fixture.js";

const obj: BpfObject = loadObject(new Uint8Array(readFileSync(join(import.meta.dirname, "..", "kernel", "fixtures", "cgroup_storage.o"))));
const packets = generate("mix:1500:seed=13").map((p) => p.data).filter((d) => d.length >= 60);

/** `seen`'s slots as numbers. */
function seen(maps: MapSet): bigint[] {
  return [...(maps.keyed("seen") as BpfMap<Uint8Array>).entries()].map(([, v]) => Buffer.from(v).readBigUInt64LE());
}

function resetSeen(maps: MapSet): void {
  for (let i = 0; i < 6; i++) maps.keyed("seen").update(Uint8Array.of(i, 0, 0, 0), new Uint8Array(8));
}

describe("cgroup storage on the pool: each packet's run has fresh storage", () => {
  let fx: PoolFixture;
  let expected: { seen: bigint[]; verdicts: Record<string, number> };
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    const one = instantiateObjectNode(obj, undefined);
    const runner = new PacketRunner(one.machine, await (await getEngine("interpreter")).load(one.program, one.machine));
    const batch = runner.runBatch(packets);
    runner.dispose();
    expected = { seen: seen(one.machine.maps), verdicts: batch.verdicts };
    fx = await poolFor("cgroup_skb", obj.maps.map((m) => m.spec), packets, 2);
    const program = { insns: [...one.program.insns], name: "cgroup_storage" };
    for (const engine of ["jit", "interpreter"] as const) programs[engine] = await fx.pool.load(program, { engine });
  }, 120_000);
  afterAll(async () => fx?.pool.close());

  it("one interpreter run: nothing left from an earlier run, every packet counted once", () => {
    expect(expected.seen[0]).toBe(0n);
    expect(expected.seen[1]).toBe(BigInt(packets.length));
    expect(expected.seen[5]).toBe(BigInt(packets.length));
  });

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}, 2 workers: the verdicts and counts of one interpreter run`, async () => {
      resetSeen(fx.machine.maps);
      const run = await fx.pool.run(programs[engine]!, { workers: 2, chunk: 64 });
      expect(run.packets).toBe(packets.length);
      expect(run.verdicts).toEqual(expected.verdicts);
      expect(seen(fx.machine.maps)).toEqual(expected.seen);
    }, 60_000);
  }
});
