// bpf_for_each_map_elem on per-CPU maps in the worker pool (one worker = one CPU): a walk sees
// the running CPU's copy of each value (arraymap.c / hashtab.c: this_cpu_ptr / per_cpu_ptr with
// the current CPU), so after a pool run each CPU's copies count exactly the packets that CPU ran,
// and the sums over CPUs count every packet — on both engines, with the array walk's u32 key in
// each CPU's own scratch slot (vm/helpers/for-each.ts keySlotOffset).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PacketLike } from "../../bench/line-rate/corpora.js";
import { assemble } from "../../vm/asm/index.js";
import type { MapSpec } from "../../vm/maps/types.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { mixedCorpus, poolFor, type PoolFixture } from "./fixture.js";

const CPUS = 2;
const MAPS: MapSpec[] = [
  { name: "pa", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 3 },
  { name: "ph", type: "percpu_hash", keySize: 4, valueSize: 8, maxEntries: 4 },
];

/**
 * Walk the PERCPU_ARRAY (the callback adds 1 to the value and the key to a sum on the caller's
 * stack), then the PERCPU_HASH (adds 1 to each value); XDP_TX when the walks returned 3 and 2 and
 * the array callback saw keys 0 + 1 + 2, XDP_ABORTED otherwise.
 */
const PROGRAM = `
  stdw [%r10-8], 0
  lddw %r1, map_fd 0
  lddw %r2, func arr_cb
  mov %r3, %r10
  add %r3, -8
  mov %r4, 0
  call 164
  mov %r6, %r0
  lddw %r1, map_fd 1
  lddw %r2, func hash_cb
  mov %r3, 0
  mov %r4, 0
  call 164
  jne %r6, 3, bad
  jne %r0, 2, bad
  ldxdw %r1, [%r10-8]
  jne %r1, 3, bad
  mov %r0, 3
  exit
bad:
  mov %r0, 0
  exit
arr_cb:
  ldxdw %r1, [%r3]
  add %r1, 1
  stxdw [%r3], %r1
  ldxw %r2, [%r2]
  ldxdw %r1, [%r4]
  add %r1, %r2
  stxdw [%r4], %r1
  mov %r0, 0
  exit
hash_cb:
  ldxdw %r1, [%r3]
  add %r1, 1
  stxdw [%r3], %r1
  mov %r0, 0
  exit`;

const key = (k: number): Uint8Array => new Uint8Array(new Uint32Array([k]).buffer);
const u64 = (b: Uint8Array): number => Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));

describe("bpf_for_each_map_elem on per-CPU maps, 2 workers", () => {
  let fx: PoolFixture;
  let packets: PacketLike[];
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    packets = mixedCorpus();
    fx = await poolFor("xdp", MAPS, packets, CPUS);
    const program = { insns: assemble(PROGRAM), name: "for_each_percpu" };
    programs["jit"] = await fx.pool.load(program, { engine: "jit" });
    programs["interpreter"] = await fx.pool.load(program, { engine: "interpreter" });
  }, 120_000);
  afterAll(async () => fx?.pool.close());

  /** Zero the array's values; the hash holds keys 5 and 9, zero. */
  function reset(): void {
    for (const k of [0, 1, 2]) fx.machine.maps.perCpu("pa").update(key(k), new Uint8Array(8));
    for (const k of [5, 9]) fx.machine.maps.perCpu("ph").update(key(k), new Uint8Array(8));
  }

  /** Each key's per-CPU values. */
  function read(): number[][] {
    const pa = fx.machine.maps.perCpu("pa");
    const ph = fx.machine.maps.perCpu("ph");
    return [...[0, 1, 2].map((k) => pa.lookup(key(k))!.map(u64)), ...[5, 9].map((k) => ph.lookup(key(k))!.map(u64))];
  }

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: each CPU's copies count the packets it ran`, async () => {
      reset();
      const n = packets.length;
      const run = await fx.pool.run(programs[engine]!, { workers: CPUS, chunk: 32 });
      expect(run.packets).toBe(n);
      expect(run.verdicts).toEqual({ XDP_TX: n });
      const ranOn = new Map(run.perCpu.map((c) => [c.cpu, c.packets]));
      for (const perCpu of read()) {
        for (let cpu = 0; cpu < CPUS; cpu++) expect(perCpu[cpu], `CPU ${cpu}`).toBe(ranOn.get(cpu) ?? 0);
      }
    }, 60_000);
  }
});
