// The dynptr helpers from C (fixtures/dynptr_xdp.c): bpf_dynptr_from_mem over a map value,
// bpf_dynptr_read / _write / _data on it, ring buffer dynptrs reserved, written through a slice,
// submitted or discarded — each helper's errors included (-E2BIG past the end, -EINVAL for
// flags, a null dynptr after a failed making). Both verifiers accept it; the interpreter, the JIT
// and the kernel (BPF_PROG_TEST_RUN) give the same verdicts, return codes, map value and ring
// buffer records on every frame.

import { afterAll, describe, expect, it } from "vitest";
import { findProgram, verifyObjectProgram } from "../../vm/elf/load/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const E2BIG = -7;
const EINVAL = -22;

/** rc's slot → what the helper answered, after any frame (fixtures/dynptr_xdp.c's checks). */
const EXPECTED_RC: ReadonlyMap<number, number> = new Map([
  [0, 0], [1, 0], [2, 0], [3, E2BIG], [4, EINVAL], [5, E2BIG], [6, EINVAL], [8, 1], [9, 0],
  [10, EINVAL], [11, EINVAL], [12, EINVAL], [13, 0],
  [14, 0], [15, 0], [16, EINVAL], [17, E2BIG], [18, EINVAL], [19, EINVAL], [20, 0], [21, 0],
]);

describe("dynptr_xdp.o (the dynptr helpers from C)", () => {
  const obj = fixtureObject("dynptr_xdp");
  const p = findProgram(obj);

  it("our verifier accepts it", () => {
    const r = verifyObjectProgram(obj, p, { helpers: nodeHelperTables() });
    expect(r.message).toBeUndefined();
    expect(r.status).toBe("accepted");
  });

  it("the interpreter, the JIT and the kernel agree on every frame, the maps and the ring buffer", async () => {
    const data = frames("mix:200:seed=17");
    const interp = await runOurs(obj, "interpreter", data);
    expect(await runOurs(obj, "jit", data)).toEqual(interp);
    const rc = new Map(interp.maps.rc!.map((line) => {
      const [k, v] = line.split("=");
      return [Buffer.from(k!, "hex").readUInt32LE(), Number(Buffer.from(v!, "hex").readBigInt64LE())] as const;
    }));
    for (const [slot, want] of EXPECTED_RC) expect(rc.get(slot), `check ${slot}`).toBe(want);
    // The last frame's head went through the LOCAL dynptr: out = bytes 12..19 of the value (frame bytes 4..11).
    const last = data.findLast((d) => d.length >= 24)!;
    expect(rc.get(7)).toBe(Number(Buffer.from(last.subarray(4, 12)).readBigInt64LE()));
    // One submitted record per frame: its head, then the frame's length.
    const records = interp.maps.events!;
    expect(records.length).toBe(data.filter((d) => d.length >= 24).length);
    if (!status.ok) return;
    expect(runKernel(obj, data)).toEqual(interp);
  });
});
