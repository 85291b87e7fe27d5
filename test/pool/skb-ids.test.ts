// The skb's cgroup and socket cookie in the worker pool (2 workers, both engines): the workers
// attach to the machine's cgroup (MachineDescription.cgroup), and every run gets a new socket
// cookie — the pool's precomputed contexts restore the skb's hidden state, so no run reuses
// the cookie of the one before it, and the CPUs' counters in their scratch areas never hand out
// the same number twice. Needs an up-to-date `npm run build` (the workers run dist/).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { CpuPool, corpusRegionSize } from "../../vm/pool/index.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";

const CPUS = 2;
const CGROUP = { path: [1, 300, 4242], classid: 0 };

const packets = Array.from({ length: 2000 }, (_, i) => {
  const f = new Uint8Array(60);
  f.set([0x08, 0x00], 12);
  f.set([0x45, i & 3, 0, 46], 14);
  return f;
});

/** r0 = skb_cgroup_id << 32 | the run's socket cookie (low 32 bits). */
const PROGRAM = `
mov %r6, %r1
call 46
mov %r7, %r0
mov %r1, %r6
call 79
lsh %r0, 32
lsh %r7, 32
rsh %r7, 32
or %r0, %r7
exit`;

describe("skb cgroup and socket cookies in the pool (2 workers)", () => {
  let pool: CpuPool;
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    const machine = createNodeMachine({ type: "sched_cls", shared: true, cpus: CPUS, cgroup: CGROUP, corpusSize: corpusRegionSize(packets, CPUS) });
    pool = await CpuPool.create(machine);
    pool.loadCorpus(packets);
    for (const engine of ["jit", "interpreter"] as const) programs[engine] = await pool.load({ insns: assemble(PROGRAM), name: "skb_ids" }, { engine });
  }, 120_000);
  afterAll(async () => pool?.close());

  it("the cgroup is the machine's and every run's cookie is new, on both engines", async () => {
    const seen = new Set<bigint>();
    for (const engine of ["jit", "interpreter"]) {
      const run = await pool.run(programs[engine]!, { workers: CPUS, chunk: 64, results: true });
      expect(run.packets).toBe(packets.length);
      const got = [...pool.readResults()].map((r) => BigInt.asUintN(64, BigInt(r)));
      expect(new Set(got.map((r) => r >> 32n)), engine).toEqual(new Set([4242n]));
      for (const r of got) {
        const cookie = r & 0xffffffffn;
        expect(cookie).not.toBe(0n);
        expect(seen.has(cookie), `${engine}: cookie ${cookie} twice`).toBe(false);
        seen.add(cookie);
      }
    }
    expect(seen.size).toBe(2 * packets.length);
  }, 60_000);
});
