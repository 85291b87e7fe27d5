// BPF timers on the worker pool (one worker = one CPU): the first packet each CPU runs arms the
// struct bpf_timer of the ARRAY value keyed by its CPU id; the callback, which runs later on the
// worker that started the timer (vm/runtime/timers.ts), writes bpf_get_smp_processor_id() + 1 into
// the value. Every CPU that ran packets must see its own id there, on both engines.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PacketLike } from "../../bench/line-rate/corpora.js";
import { assemble } from "../../vm/asm/index.js";
import type { MapSpec } from "../../vm/maps/types.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { mixedCorpus, poolFor, type PoolFixture } from "./fixture.js";

const CPUS = 2;
/** Value: u64 callback runs at 0, struct bpf_timer at 8, u64 (CPU id + 1 the callback ran on) at 24. */
const MAPS: MapSpec[] = [{ name: "timers", type: "array", keySize: 4, valueSize: 32, maxEntries: CPUS, timer: 8 }];

const PROGRAM = `
  call 8
  stxw [%r10-4], %r0
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map_fd 0
  call 1
  jeq %r0, 0, out
  mov %r6, %r0
  mov %r1, %r6
  add %r1, 8
  lddw %r2, map_fd 0
  mov %r3, 1
  call 169
  jne %r0, 0, out
  mov %r1, %r6
  add %r1, 8
  lddw %r2, func cb
  call 170
  mov %r1, %r6
  add %r1, 8
  mov %r2, 1000000
  mov %r3, 0
  call 171
out:
  mov %r0, 2
  exit
cb:
  mov %r6, %r3
  call 8
  add %r0, 1
  stxdw [%r6+24], %r0
  ldxdw %r1, [%r6+0]
  add %r1, 1
  stxdw [%r6+0], %r1
  mov %r0, 0
  exit`;

/**
 * PROGRAM with a callback that looks a key up in "map" 0 (the pool runs unverified code: the
 * helper faults), one slot further down (two loaded programs with a callback at the same slot
 * are ambiguous).
 */
const FAULTING = "  mov %r7, 0\n" + PROGRAM.replace("cb:\n", "cb:\n  mov %r1, 0\n  mov %r2, %r10\n  add %r2, -8\n  call 1\n");

describe(`BPF timers on ${CPUS} workers`, () => {
  let fx: PoolFixture;
  let packets: PacketLike[];
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    packets = mixedCorpus();
    fx = await poolFor("xdp", MAPS, packets, CPUS);
    const program = { insns: assemble(PROGRAM), name: "timer_per_cpu" };
    programs["jit"] = await fx.pool.load(program, { engine: "jit" });
    programs["interpreter"] = await fx.pool.load(program, { engine: "interpreter" });
    programs["faulting"] = await fx.pool.load({ insns: assemble(FAULTING), name: "timer_fault" }, { engine: "jit" });
  }, 120_000);
  afterAll(async () => fx?.pool.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: each timer's callback runs on the CPU that started it`, async () => {
      const map = fx.machine.maps.keyed("timers");
      const key = (c: number): Uint8Array => new Uint8Array(new Uint32Array([c]).buffer);
      // A plain update resets each value's timer (it cancels and frees it, as the kernel's).
      for (let c = 0; c < CPUS; c++) map.update(key(c), new Uint8Array(32));
      const run = await fx.pool.run(programs[engine]!, { workers: CPUS, chunk: 16, packets: packets.length * 4 });
      const ran = run.perCpu.map((c, i) => [i, c.packets] as const).filter(([, n]) => n > 0).map(([i]) => i);
      expect(ran.length).toBeGreaterThan(0);
      // The workers are idle now: their timers come due (1 ms) and run. Wait, bounded.
      const seen = (c: number): [number, number] => {
        const v = new DataView(map.lookup(key(c))!.buffer);
        return [Number(v.getBigUint64(0, true)), Number(v.getBigUint64(24, true))];
      };
      const deadline = performance.now() + 5000;
      while (performance.now() < deadline && !ran.every((c) => seen(c)[0] > 0)) await new Promise((r) => setTimeout(r, 10));
      for (const c of ran) expect(seen(c), `CPU ${c}`).toEqual([1, c + 1]);
    }, 60_000);
  }

  it("a callback's fault in a worker fails that worker's next run, once, naming the callback", async () => {
    const map = fx.machine.maps.keyed("timers");
    for (let c = 0; c < CPUS; c++) map.update(new Uint8Array(new Uint32Array([c]).buffer), new Uint8Array(32));
    const run = (program: PoolProgram) => fx.pool.run(program, { workers: CPUS, chunk: 16 }).then(() => undefined, (err: Error) => err);
    expect(await run(programs["faulting"]!)).toBeUndefined(); // arms the timers; their callbacks fault later
    let err: Error | undefined;
    const deadline = performance.now() + 5000;
    while (!err && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      err = await run(programs["interpreter"]!);
    }
    expect(err?.message).toMatch(/CPU \d: a BPF timer callback that ran here since the last run failed: timer callback of 'timer_fault' .*map_lookup_elem/);
    // Each failure is reported once: the runs after it succeed (the timers were disarmed by the
    // faults; the good program's own callbacks are harmless).
    for (let k = 0; k <= CPUS && err; k++) err = await run(programs["interpreter"]!);
    expect(err).toBeUndefined();
  }, 60_000);
});
