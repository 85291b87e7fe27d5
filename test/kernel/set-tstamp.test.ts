// fixtures/tc_set_tstamp.c: bpf_skb_set_tstamp on IP and other frames, with every clock type
// (and unknown ones) and with zero and nonzero timestamps, then __sk_buff.tstamp and tstamp_type read back; r0 and both
// fields are written into the frame. The interpreter, the JIT and the kernel agree on every
// frame, and every outcome occurs.

import { afterAll, describe, expect, it } from "vitest";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs, skbTestRunnable } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** r0, tstamp and tstamp_type as the program wrote them at bytes 14..38. */
const written = (packet: string): [bigint, bigint, bigint] => {
  const b = Buffer.from(packet, "hex");
  return [b.readBigInt64LE(14), b.readBigUInt64LE(22), b.readBigUInt64LE(30)];
};

describe("bpf_skb_set_tstamp (tc_set_tstamp.o)", () => {
  const obj = fixtureObject("tc_set_tstamp");
  // Long enough for the three words the program writes at 14..38.
  const data = skbTestRunnable(frames("mix:300:seed=4")).filter((f) => f.length >= 38);

  it("sets the timestamp and its clock, refuses unknown clocks and a zero mono / TAI time; both engines", async () => {
    const interp = await runOurs(obj, "interpreter", data);
    expect(await runOurs(obj, "jit", data)).toEqual(interp);
    const outs = interp.results.map((r) => written(r.packet));
    for (const type of [0n, 1n, 2n]) expect(outs.some(([rc, , t]) => rc === 0n && t === type), `type ${type} set`).toBe(true);
    expect(outs.some(([rc]) => rc === -22n)).toBe(true);
    expect(outs.some(([rc]) => rc === -95n)).toBe(true); // not IPv4 / IPv6: -EOPNOTSUPP
    expect(outs.some(([rc, ts]) => rc === 0n && ts === 0n)).toBe(true); // REALTIME takes 0
  });

  it.skipIf(!status.ok)("the kernel agrees on every frame", async () => {
    const kernel = runKernel(obj, data);
    for (const engine of ["interpreter", "jit"] as const) expect((await runOurs(obj, engine, data)).results, engine).toEqual(kernel.results);
  });
});
