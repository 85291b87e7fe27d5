// The workers' thread CPU clock (vm/pool/thread-cpu.ts): on Linux each run reports, per CPU,
// how long its worker was actually on a CPU, never more than its busy wall time; the bench uses
// it to tell contention between workers from a machine busy with other work.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { openThreadCpuClock } from "../../vm/pool/thread-cpu.js";
import { poolFor, type PoolFixture } from "./fixture.js";

const linux = process.platform === "linux";
const why = linux ? "" : ` (skipped: no /proc/thread-self/schedstat on ${process.platform})`;

describe(`thread CPU clock${why}`, () => {
  it.skipIf(!linux)("advances with this thread's work, not with the wall clock", () => {
    const clock = openThreadCpuClock()!;
    expect(clock).toBeDefined();
    try {
      const c0 = clock.now();
      const t0 = performance.now();
      let x = 0;
      while (performance.now() - t0 < 30) x += Math.sqrt(x + 1);
      const spun = (clock.now() - c0) / 1e6;
      const waited0 = clock.now();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30); // sleeps: no CPU
      const slept = (clock.now() - waited0) / 1e6;
      expect(spun).toBeGreaterThan(1);
      expect(spun).toBeLessThanOrEqual(performance.now() - t0 + 1);
      expect(slept).toBeLessThan(5);
    } finally {
      clock.close();
    }
  });

  describe.skipIf(!linux)("in the pool", () => {
    let fx: PoolFixture;
    beforeAll(async () => {
      fx = await poolFor("xdp", [], Array.from({ length: 1000 }, () => new Uint8Array(64)), 2);
    }, 120_000);
    afterAll(async () => fx?.pool.close());

    it("each CPU's on-CPU time is reported and within its busy time", async () => {
      const p = await fx.pool.load({ insns: assemble("mov %r0, 2\nexit"), name: "pass" }, { engine: "jit" });
      const run = await fx.pool.run(p, { workers: 2, packets: 200_000 });
      for (const c of run.perCpu) {
        expect(c.cpuMs, `CPU ${c.cpu}`).toBeDefined();
        expect(c.cpuMs!).toBeGreaterThan(0);
        expect(c.cpuMs!).toBeLessThanOrEqual(c.busyMs + 1);
      }
    });
  });
});
