// bpf_spin_lock across the worker pool (one worker = one CPU, one shared memory): two workers
// increment the same ARRAY value's counter with a plain load / add / store (not an atomic) under
// the value's lock, 128 times per packet. Without a real lock, increments made at the same time on
// the two CPUs would overwrite each other; with it the total is exact, on both engines. User
// space then reads the value with BPF_F_LOCK (the lock word reads as 0).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PacketLike } from "../../bench/line-rate/corpora.js";
import { assemble } from "../../vm/asm/index.js";
import * as abi from "../../vm/maps/abi.js";
import type { MapSpec } from "../../vm/maps/types.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { mixedCorpus, poolFor, type PoolFixture } from "./fixture.js";

const CPUS = 2;
const ROUNDS = 128;
/**
 * Passes over the corpus per run: long enough that a worker that starts late on a busy machine
 * still claims chunks (one JIT pass took 59 ms, and once a single worker ran it all; one
 * interpreter pass takes about 0.7 s).
 */
const PASSES: Record<string, number> = { jit: 16, interpreter: 1 };
/** Value: u64 counter at 0, struct bpf_spin_lock at 8, u32 at 12 (the last CPU that counted). */
const MAPS: MapSpec[] = [{ name: "shared", type: "array", keySize: 4, valueSize: 16, maxEntries: 1, spinLock: 8 }];

const PROGRAM = `
  stw [%r10-4], 0
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map_fd 0
  call 1
  mov %r6, %r0
  mov %r7, 0
again:
  mov %r1, %r6
  add %r1, 8
  call 93
  ldxdw %r2, [%r6+0]
  add %r2, 1
  stxdw [%r6+0], %r2
  stxw [%r6+12], %r7
  mov %r1, %r6
  add %r1, 8
  call 94
  add %r7, 1
  jlt %r7, ${ROUNDS}, again
  mov %r0, 2
  exit`;

describe(`bpf_spin_lock on ${CPUS} workers`, () => {
  let fx: PoolFixture;
  let packets: PacketLike[];
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    packets = mixedCorpus();
    fx = await poolFor("xdp", MAPS, packets, CPUS);
    const program = { insns: assemble(PROGRAM), name: "spin_lock_counter" };
    programs["jit"] = await fx.pool.load(program, { engine: "jit" });
    programs["interpreter"] = await fx.pool.load(program, { engine: "interpreter" });
  }, 120_000);
  afterAll(async () => fx?.pool.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: every increment made under the lock counts`, async () => {
      const map = fx.machine.maps.keyed("shared");
      map.update(new Uint8Array(4), new Uint8Array(16));
      const total = packets.length * PASSES[engine]!;
      const run = await fx.pool.run(programs[engine]!, { workers: CPUS, chunk: 16, packets: total });
      expect(run.packets).toBe(total);
      expect(run.verdicts).toEqual({ XDP_PASS: total });
      // Both CPUs ran packets, so the increments did meet.
      expect(run.perCpu.filter((c) => c.packets > 0).length).toBe(CPUS);
      const value = map.lookup(new Uint8Array(4), abi.BPF_F_LOCK)!;
      const dv = new DataView(value.buffer, value.byteOffset, 16);
      expect(dv.getBigUint64(0, true)).toBe(BigInt(total * ROUNDS));
      expect(dv.getUint32(8, true)).toBe(0); // the lock, free and never copied out
      expect(dv.getUint32(12, true)).toBe(ROUNDS - 1);
    }, 60_000);
  }
});
