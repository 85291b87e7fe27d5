// Maps of maps across worker threads: test/kernel/fixtures/map_in_map.o on the pool, whose workers
// attach to the machine's maps (MapSet.attach) and get inner maps as the header addresses the
// outer maps' slots hold in the shared memory. Counts (atomic adds in an inner ARRAY) and what
// the program learns into an inner HASH do not depend on which CPU ran which packet, so the pool
// must end with exactly the maps one interpreter run gives.

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

const obj: BpfObject = loadObject(new Uint8Array(readFileSync(join(import.meta.dirname, "..", "kernel", "fixtures", "map_in_map.o"))));
const packets = generate("mix:2000:seed=11").map((p) => p.data).filter((d) => d.length >= 14);
const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const INNER = ["count_a", "count_b", "count_c", "verdict_lo", "verdict_hi"];

/** The static slots and the user-space ones (as test/kernel/map-in-map.test.ts sets them). */
function setSlots(maps: MapSet): void {
  for (const m of obj.maps) for (const s of m.innerSlots ?? []) maps.mapOfMaps(m.name).update(u32(s.index), maps.get(s.map)!);
  maps.mapOfMaps("by_proto").update(u32(2), maps.get("count_c")!);
  for (const [k, v] of [[6, 1], [17, 3], [47, 2]] as const) maps.keyed("verdict_hi").update(u32(k), u32(v));
  maps.mapOfMaps("by_source").update(u32(1), maps.get("verdict_hi")!);
}

function dump(maps: MapSet): Record<string, string[]> {
  return Object.fromEntries(INNER.map((name) => [name, [...(maps.keyed(name) as BpfMap<Uint8Array>).entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort()]));
}

function resetInner(maps: MapSet): void {
  for (const name of ["count_a", "count_b", "count_c"]) for (let i = 0; i < 4; i++) maps.keyed(name).update(u32(i), new Uint8Array(8));
  for (const key of [...maps.keyed("verdict_lo").keys()]) maps.keyed("verdict_lo").delete(key);
}

describe("map_in_map on the pool: inner maps reached from every worker", () => {
  let fx: PoolFixture;
  let expected: { maps: Record<string, string[]>; verdicts: Record<string, number> };
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    const one = instantiateObjectNode(obj, undefined);
    setSlots(one.machine.maps);
    const runner = new PacketRunner(one.machine, await (await getEngine("interpreter")).load(one.program, one.machine));
    const batch = runner.runBatch(packets);
    runner.dispose();
    expected = { maps: dump(one.machine.maps), verdicts: batch.verdicts };
    fx = await poolFor("xdp", obj.maps.map((m) => m.spec), packets, 2);
    setSlots(fx.machine.maps);
    const program = { insns: [...one.program.insns], name: "map_in_map" };
    programs["jit"] = await fx.pool.load(program, { engine: "jit" });
    programs["interpreter"] = await fx.pool.load(program, { engine: "interpreter" });
  }, 120_000);
  afterAll(async () => fx?.pool.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}, 2 workers: the maps and verdicts of one interpreter run`, async () => {
      resetInner(fx.machine.maps);
      const run = await fx.pool.run(programs[engine]!, { workers: 2, chunk: 64 });
      expect(run.packets).toBe(packets.length);
      expect(run.verdicts).toEqual(expected.verdicts);
      expect(dump(fx.machine.maps)).toEqual(expected.maps);
    }, 60_000);
  }

  // The kernel takes any map fd into a slot whenever user space made it (bpf_map_fd_get_ptr);
  // the workers attached before this map existed (failed with "R1 ... is not a map pointer of
  // this machine" until runs carried the maps created since: RunTask.maps).
  it("an inner map created after the pool started, put in every slot: its counts as on one interpreter", async () => {
    const fresh = (maps: MapSet, name: string): BpfMap<Uint8Array> => {
      const m = maps.create({ name, type: "array", keySize: 4, valueSize: 8, maxEntries: 4 });
      for (let slot = 0; slot < 4; slot++) maps.mapOfMaps("by_proto").update(u32(slot), m);
      return m as BpfMap<Uint8Array>;
    };
    const counts = (m: BpfMap<Uint8Array>): string[] => [...m.entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`);
    const one = instantiateObjectNode(obj, undefined);
    setSlots(one.machine.maps);
    const want = fresh(one.machine.maps, "late");
    const runner = new PacketRunner(one.machine, await (await getEngine("interpreter")).load(one.program, one.machine));
    const verdicts = runner.runBatch(packets).verdicts;
    runner.dispose();
    expect(counts(want).some((e) => !e.endsWith("=0000000000000000"))).toBe(true);
    for (const engine of ["jit", "interpreter"]) {
      resetInner(fx.machine.maps);
      const late = fresh(fx.machine.maps, `late_${engine}`);
      const run = await fx.pool.run(programs[engine]!, { workers: 2, chunk: 64 });
      expect(run.verdicts, engine).toEqual(verdicts);
      expect(counts(late), engine).toEqual(counts(want));
    }
  }, 60_000);
});
