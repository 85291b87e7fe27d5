// fixtures/tc_narrow_fields.c: __sk_buff.tc_index, tc_classid and queue_mapping, which sk_buff
// keeps in a __u16, written with wide values and read back whole, as 2-byte upper halves and as
// upper bytes (vm/program/ctx-narrow.ts). The interpreter and the JIT agree with each other, with
// the values the kernel's conversions give, and with the kernel on every frame.

import { afterAll, describe, expect, it } from "vitest";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs, skbTestRunnable } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const obj = fixtureObject("tc_narrow_fields");

/** out[k] after one frame: each fold is 0 * 31 + value. */
async function reads(engine: "interpreter" | "jit", frame: Uint8Array): Promise<bigint[]> {
  const run = await runOurs(obj, engine, [frame]);
  return run.maps.out!.map((line) => Buffer.from(line.split("=")[1]!, "hex").readBigUInt64LE(0));
}

describe("__sk_buff fields kept in 16 bits (tc_narrow_fields.o)", () => {
  it("a store keeps the low 16 bits, queue_mapping drops 0xffff and above, the upper half reads as the kernel's", async () => {
    const frame = new Uint8Array(64);
    frame.set([0x12, 0x34, 0x56, 0x78, 0xab, 0xcd], 6); // w = 0x78563412 (bytes 6..9), b = 0xcd (byte 11)
    const expected = [
      0x3412n, 0x3412n, 0n, // tc_index = w: u32 read, upper half (the u16 again, unshifted), byte 2
      0x1234n, 0x1234n, 0n, // tc_classid = 0xabcd1234
      0xcdn, // queue_mapping = b: stored
      0xcdn, // = 0x10000 | b: not stored
      0xcdn, 0xcdn, // = 0xffff: not stored; its upper half
    ];
    for (const engine of ["interpreter", "jit"] as const) expect(await reads(engine, frame), engine).toEqual(expected);
  });

  it.skipIf(!status.ok)("the kernel agrees on every frame", async () => {
    const data = skbTestRunnable(frames("mix:200:seed=9"));
    const kernel = runKernel(obj, data);
    for (const engine of ["interpreter", "jit"] as const) expect(await runOurs(obj, engine, data), engine).toEqual(kernel);
  });
});
