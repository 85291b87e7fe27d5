// fixtures/tc_clone_redirect.c: bpf_clone_redirect to the network's devices (vm/net/model.ts)
// and to ifindexes that name none, with valid and invalid flags; the program returns the
// helper's r0. On the interpreter and the JIT each frame's r0 is what the rule says (0 and one
// clone counted for a device, -EINVAL otherwise); the kernel, running in a network namespace
// built from the same model (vm/node/kernel/netns.ts: veth devices, up), returns the same.
// The namespace's loopback device is down there, so the test sends nothing to ifindex 1.

import { describe, expect, it } from "vitest";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { findProgram } from "../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import { netnsAvailable } from "../../vm/node/kernel/netns.js";
import type { NetworkModel } from "../../vm/net/model.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, skbTestRunnable } from "./objects.js";

const NET: NetworkModel = {
  devices: [
    { ifindex: 1, name: "lo", mtu: 65536 },
    { ifindex: 2, name: "v0", mtu: 1500 },
    { ifindex: 3, name: "v1", mtu: 9000 },
  ],
};

const status = kernelAvailability();
const netns = status.ok ? netnsAvailable(NET) : { ok: false, reason: status.reason };
if (!netns.ok) console.log(`kernel comparison skipped: ${netns.reason}`);

const EINVAL = 0xffffffea; // -22 as the u32 retval

/** tc_clone_redirect.c's rule for a frame: r0 (u32) and the clones sent. */
function expected(f: Uint8Array): { retval: number; clones: number } {
  const ifindex = [2, 3, 99, 0][f[5]! & 3]!;
  const flags = f[11]! & 3;
  return flags > 1 || ifindex > 3 || ifindex === 0 ? { retval: EINVAL, clones: 0 } : { retval: 0, clones: 1 };
}

describe("bpf_clone_redirect (tc_clone_redirect.o)", () => {
  const obj = fixtureObject("tc_clone_redirect");
  const data = skbTestRunnable(frames("mix:400:seed=13"));

  it("returns 0 and counts a clone for a device of the machine, -EINVAL otherwise, on both engines", async () => {
    const want = data.map(expected);
    expect(new Set(want.map((w) => w.retval)).size).toBe(2);
    for (const engine of ["interpreter", "jit"] as const) {
      const loaded = instantiateObjectNode(obj, undefined, { network: NET });
      const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine));
      try {
        const got = runner.runBatch(data, { results: true }).results!.map((r) => ({ retval: Number(r.retval & 0xffffffffn), clones: r.clones ?? 0 }));
        expect(got, engine).toEqual(want);
      } finally {
        runner.dispose();
      }
    }
  });

  it.skipIf(!netns.ok)("the kernel, in a namespace with the same devices, returns the same r0 for every frame", () => {
    const packets = data.map((d) => ({ data: d, ts: 0n, origLen: d.length, linkType: 1, iface: 0 }));
    const report = runInKernel(obj, findProgram(obj), packets, [], { verify: true, results: true, network: NET });
    expect(report.results!.map((r) => Number(r.retval & 0xffffffffn))).toEqual(data.map((f) => expected(f).retval));
  });
});
