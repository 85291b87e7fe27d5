// Cgroup storage (fixtures/cgroup_storage.c): bpf_get_local_storage on a CGROUP_STORAGE and a
// PERCPU_CGROUP_STORAGE map in a cgroup_skb program. As in BPF_PROG_TEST_RUN, each run has a
// zeroed storage of each type, the same one at every call within the run, and user space finds
// no storage in either map (nothing is attached to a cgroup). Our verifier accepts the program;
// the interpreter, the JIT and the kernel give the same verdicts and maps; so does the worker
// pool's packet driver, which starts each packet with no storage too.

import { afterAll, describe, expect, it } from "vitest";
import { findProgram, verifyObjectProgram } from "../../vm/elf/load/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs, skbTestRunnable, type ObjectRun } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason}): the cgroup storage runs are not compared with the kernel's`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** `seen`'s slots as numbers. */
function seen(run: ObjectRun): number[] {
  return run.maps.seen!.map((line) => Number(Buffer.from(line.split("=")[1]!, "hex").readBigUInt64LE()));
}

describe("cgroup_storage.o (bpf_get_local_storage)", () => {
  const obj = fixtureObject("cgroup_storage");
  const data = skbTestRunnable(frames("mix:150:seed=31"));

  it("our verifier accepts it", () => {
    const r = verifyObjectProgram(obj, findProgram(obj), { helpers: nodeHelperTables() });
    expect(r.message).toBeUndefined();
    expect(r.status).toBe("accepted");
  });

  it("each run has fresh storage; the interpreter, the JIT and the kernel agree on every frame and map", async () => {
    const interp = await runOurs(obj, "interpreter", data);
    expect(await runOurs(obj, "jit", data)).toEqual(interp);
    // skb->len is the frame's length less the Ethernet header (the packet starts at the network header).
    const lengths = data.map((d) => d.length - 14);
    const total = lengths.reduce((a, b) => a + b, 0);
    expect(seen(interp)).toEqual([0, data.length, total, 2 * data.length, total, data.length]);
    expect(interp.results.map((r) => r.verdict)).toEqual(lengths.map((len) => (len & 1 ? "allow" : "drop")));
    expect(interp.maps.shared).toEqual([]);
    expect(interp.maps.percpu).toEqual([]);
    if (!status.ok) return;
    expect(runKernel(obj, data)).toEqual(interp);
  });
});
