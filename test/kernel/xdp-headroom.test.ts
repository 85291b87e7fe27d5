// Headroom an XDP program exposes reads as a test run's fresh buffer has it — zeros, or what this
// run wrote there — not as an earlier packet left the CPU's packet slot (fixtures/xdp_headroom.c;
// vm/helpers/packet/xdp-adjust.ts exposeHeadroom and its wasm twin for the JIT). Frames cycle
// through the fixture's four cases, so every "read" frame follows a frame that filled the same
// headroom; where the kernel is here, every output frame is compared with its run.

import { afterAll, describe, expect, it } from "vitest";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const obj = fixtureObject("xdp_headroom");
/** Frame i is case i mod 4 (the last byte of its destination MAC); case 0/1 frames pick by the same byte too. */
const data = frames("mix:200:seed=7").filter((f) => f.length >= 60).map((f, i) => {
  const copy = f.slice();
  copy[5] = i & 3;
  return copy;
});

const bytes = (hex: string, from: number, to: number): number[] => [...Buffer.from(hex, "hex").subarray(from, to)];
const zeros = (n: number): number[] => Array<number>(n).fill(0);

describe("XDP headroom exposed by adjust_head / adjust_meta", () => {
  for (const engine of ["interpreter", "jit"] as const) {
    it(`${engine}: zeros where this run never wrote, its own bytes where it did`, async () => {
      const { results } = await runOurs(obj, engine, data);
      expect(results.filter((r, i) => (i & 3) === 1 && r.verdict === "XDP_TX").length).toBeGreaterThan(20);
      results.forEach((r, i) => {
        if ((i & 3) === 1) expect(bytes(r.packet, 0, 40), `frame ${i}`).toEqual(zeros(40)); // metadata copied in + headroom
        if ((i & 3) === 2) expect(bytes(r.packet, 0, 40), `frame ${i}`).toEqual([...zeros(20), ...Array<number>(20).fill(0xcc)]);
      });
    });
  }

  it.skipIf(!status.ok)(`the kernel's output frames, every one (${status.ok ? "bpf() here" : `skipped: ${status.reason}`})`, async () => {
    const theirs = runKernel(obj, data);
    for (const engine of ["interpreter", "jit"] as const) expect((await runOurs(obj, engine, data)).results, engine).toEqual(theirs.results);
  });
});
