// The workers' thread CPU clock (vm/pool/thread-cpu.node.ts): on Linux each run reports, per CPU,
// how long its worker was actually on a CPU, never more than its busy wall time; the bench uses
// it to tell contention between workers from a machine busy with other work.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { openThreadCpuClock } from "../../vm/pool/thread-cpu.node.js";
import { poolFor, type PoolFixture } from "./fixture.js";

const linux = process.platform === "linux";
/** The longest scheduler tick of a Linux kernel (HZ=100). */
const TICK_MS = 10;
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

    // The clock moves only when the scheduler accounts the thread's time (thread-cpu.node.ts: at a
    // tick or a switch, up to 4 ms apart at this kernel's HZ=250), so a run of a few ms may read 0
    // on a CPU, or up to a tick more than its busy time: the run is long (tens of ms, after a
    // warm-up that instantiates the program) and the bound allows a tick.
    it("each CPU's on-CPU time is reported and within its busy time (to a scheduler tick)", async () => {
      const p = await fx.pool.load({ insns: assemble("mov %r0, 2\nexit"), name: "pass" }, { engine: "jit" });
      await fx.pool.run(p, { workers: 2, packets: 10_000 });
      const run = await fx.pool.run(p, { workers: 2, packets: 4_000_000 });
      for (const c of run.perCpu) {
        expect(c.cpuMs, `CPU ${c.cpu}`).toBeDefined();
        expect(c.cpuMs!).toBeGreaterThanOrEqual(0);
        expect(c.cpuMs!).toBeLessThanOrEqual(c.busyMs + TICK_MS);
      }
      expect(run.perCpu.reduce((sum, c) => sum + c.cpuMs!, 0)).toBeGreaterThan(0);
    });
  });
});
