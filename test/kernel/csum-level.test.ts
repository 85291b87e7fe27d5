// fixtures/tc_csum_level.c: bpf_csum_level's query / inc / dec / reset and an unknown level,
// mixed with skb_adjust_room with and without BPF_F_ADJ_ROOM_NO_CSUM_RESET, eight calls a frame
// with every r0 written into the frame: the interpreter, the JIT and the kernel agree on every
// frame (verdict and bytes), and the results cover every outcome of the helper.

import { afterAll, describe, expect, it } from "vitest";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs, skbTestRunnable } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** The eight r0 values the program wrote at bytes 14..78. */
const results = (packet: string): bigint[] =>
  Array.from({ length: 8 }, (_, i) => Buffer.from(packet.slice(2 * (14 + 8 * i), 2 * (22 + 8 * i)), "hex").readBigInt64LE(0));

describe("bpf_csum_level (tc_csum_level.o)", () => {
  const obj = fixtureObject("tc_csum_level");
  const data = skbTestRunnable(frames("mix:400:seed=8"));

  it("the engines agree, and every outcome occurs: levels 0..3, -EACCES, -EINVAL", async () => {
    const interp = await runOurs(obj, "interpreter", data);
    expect(await runOurs(obj, "jit", data)).toEqual(interp);
    const seen = new Set(interp.results.filter((r) => r.verdict === "TC_ACT_OK").flatMap((r) => results(r.packet)));
    for (const v of [0n, 1n, 2n, 3n, -13n, -22n]) expect(seen.has(v), `r0 ${v}`).toBe(true);
  });

  it.skipIf(!status.ok)("the kernel agrees on every frame", async () => {
    const kernel = runKernel(obj, data);
    for (const engine of ["interpreter", "jit"] as const) expect((await runOurs(obj, engine, data)).results, engine).toEqual(kernel.results);
  });
});
