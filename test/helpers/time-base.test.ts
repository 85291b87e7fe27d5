// get_numa_node_id, jiffies64 and ktime_get_coarse_ns on both engines and in the kernel. Time
// cannot be compared by value, so one program reads ktime_get_ns, jiffies64, the coarse clock and
// ktime_get_ns again into the packet (and returns the NUMA node), runs twice 200 ms apart, and
// the properties below must hold everywhere: the coarse clock is never ahead, jiffies advance at
// CONFIG_HZ (250 here and in the machine's kernel: /proc/config.gz), the coarse clock at the same
// pace as ktime_get_ns. Ours must also tie jiffies and the coarse clock to ktime_get_ns's clock
// within one tick (the model of vm/helpers/time.ts); the kernel's jiffies run a fixed offset
// from its monotonic clock, and with CONFIG_NO_HZ_IDLE its coarse clock may lag more than a tick
// after an idle CPU wakes up, so the kernel gets a looser bound there.

import { describe, expect, it } from "vitest";
import { CONFIG_HZ, INITIAL_JIFFIES, TICK_NSEC } from "../../vm/helpers/time.js";
import { ENGINES, kernel, kernelRunMany, load, makeRig, runPacket } from "./harness.js";

const SOURCE = `
  mov %r6, %r1
  ldxw %r7, [%r6+0]
  ldxw %r8, [%r6+4]
  mov %r1, %r7
  add %r1, 32
  jgt %r1, %r8, short
  call 5
  stxdw [%r7+0], %r0
  call 118
  stxdw [%r7+8], %r0
  call 160
  stxdw [%r7+16], %r0
  call 5
  stxdw [%r7+24], %r0
  call 42
  exit
short:
  mov %r0, 0xdead
  exit`;

const packet = new Uint8Array(64);
const GAP_MS = 200;

interface Reading {
  readonly numa: number;
  /** ktime_get_ns before and after. */
  readonly before: bigint;
  readonly after: bigint;
  readonly jiffies: bigint;
  readonly coarse: bigint;
}

function reading(r0: number, data: Uint8Array): Reading {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const [before, jiffies, coarse, after] = [0, 8, 16, 24].map((o) => v.getBigUint64(o, true)) as [bigint, bigint, bigint, bigint];
  return { numa: r0, before, after, jiffies, coarse };
}

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** What holds in the kernel and here: node 0, order, jiffies from INITIAL_JIFFIES at HZ, the coarse clock's pace. */
function expectCommon(first: Reading, second: Reading, maxLag: bigint): void {
  for (const r of [first, second]) {
    expect(r.numa).toBe(0);
    expect(r.before <= r.after).toBe(true);
    expect(r.coarse <= r.after, "the coarse clock is never ahead of ktime_get_ns").toBe(true);
    expect(r.after - r.coarse < maxLag, `coarse lags ktime_get_ns by ${r.after - r.coarse} ns`).toBe(true);
    expect(r.jiffies >= INITIAL_JIFFIES).toBe(true);
  }
  const elapsed = second.before - first.before;
  expect(elapsed >= BigInt(GAP_MS) * 1_000_000n).toBe(true);
  // jiffies count CONFIG_HZ ticks a second: over the gap, within two ticks of the clock.
  expect(abs((second.jiffies - first.jiffies) * TICK_NSEC - elapsed) <= 2n * TICK_NSEC, `jiffies advanced ${second.jiffies - first.jiffies} in ${elapsed} ns at HZ=${CONFIG_HZ}`).toBe(true);
  expect(abs(second.coarse - first.coarse - elapsed) <= 2n * TICK_NSEC + maxLag).toBe(true);
}

describe("get_numa_node_id, jiffies64, ktime_get_coarse_ns", () => {
  for (const engine of ENGINES) {
    it(`on the ${engine}: node 0; jiffies and the coarse clock are ktime_get_ns's clock in ticks of 1/${CONFIG_HZ} s`, async () => {
      const rig = makeRig("xdp");
      const prog = await load(rig, SOURCE, engine);
      const run = () => {
        const r = runPacket(rig, prog, packet);
        return reading(Number(r.r0), r.data);
      };
      const first = run();
      sleep(GAP_MS);
      const second = run();
      prog.dispose();
      expectCommon(first, second, TICK_NSEC);
      for (const r of [first, second]) {
        // The model: jiffies64 = INITIAL_JIFFIES + whole ticks of the clock, read between `before` and `after`.
        const ticks = r.jiffies - INITIAL_JIFFIES;
        expect(ticks * TICK_NSEC <= r.after && (ticks + 1n) * TICK_NSEC > r.before).toBe(true);
        expect(r.coarse % TICK_NSEC).toBe(0n);
        expect(r.coarse / TICK_NSEC >= ticks).toBe(true);
      }
    });
  }

  // Node reads the kernel's own CLOCK_MONOTONIC (vm/helpers/time.ts): a reading of ours falls
  // between two of the kernel's taken just before and after it, on both engines.
  it.skipIf(!kernel.ok)("ktime_get_ns is the host's CLOCK_MONOTONIC: ours falls between the kernel's readings before and after", async () => {
    for (const engine of ENGINES) {
      const rig = makeRig("xdp");
      const prog = await load(rig, SOURCE, engine);
      runPacket(rig, prog, packet); // compiled and warm: the readings below are close together
      const kernelReading = (): Reading => {
        const k = kernelRunMany("xdp", SOURCE, [packet])[0]!;
        return reading(k.retval, k.data);
      };
      const before = kernelReading().after;
      const r = runPacket(rig, prog, packet);
      const ours = reading(Number(r.r0), r.data);
      const after = kernelReading().before;
      prog.dispose();
      expect(before <= ours.before && ours.after <= after, `${engine}: ${before} <= ${ours.before}..${ours.after} <= ${after}`).toBe(true);
    }
  });

  it.skipIf(!kernel.ok)(`in the kernel: node 0; jiffies at HZ=${CONFIG_HZ}; the coarse clock behind ktime_get_ns and at its pace`, () => {
    const first = kernelRunMany("xdp", SOURCE, [packet])[0]!;
    sleep(GAP_MS);
    const second = kernelRunMany("xdp", SOURCE, [packet])[0]!;
    expect(first.retval).not.toBe(0xdead);
    expectCommon(reading(first.retval, first.data), reading(second.retval, second.data), 10n * TICK_NSEC);
  });
});
