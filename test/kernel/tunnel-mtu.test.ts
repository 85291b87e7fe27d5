// Compiled C programs that call check_mtu and the tunnel helpers (fixtures/xdp_check_mtu.c,
// fixtures/tc_tunnel_mtu.c), loaded from their ELF objects: the interpreter, the JIT and the
// kernel (BPF_PROG_TEST_RUN through `--engine kernel`) agree on every frame of a generated mix
// (IPv4 and IPv6, VLAN, fragments, odd EtherTypes) — verdicts, r0, and the packets the programs
// wrote what the helpers returned into.

import { afterAll, describe, expect, it } from "vitest";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const data = frames("mix:1500:seed=163");
const low32 = (hexRetval: string): string => (BigInt(`0x${hexRetval}`) & 0xffffffffn).toString(16);

for (const name of ["xdp_check_mtu", "tc_tunnel_mtu"]) {
  describe(name, () => {
    const obj = fixtureObject(name);

    it("interpreter = JIT", async () => {
      const a = await runOurs(obj, "interpreter", data);
      const b = await runOurs(obj, "jit", data);
      expect(b).toEqual(a);
      // The frames reach every path: more than one verdict, and helper results written back.
      expect(new Set(a.results.map((r) => r.verdict)).size, JSON.stringify([...new Set(a.results.map((r) => r.verdict))])).toBeGreaterThan(1);
    }, 60_000);

    it.skipIf(!status.ok)("the kernel agrees on every frame", async () => {
      const want = runKernel(obj, data);
      const got = await runOurs(obj, "interpreter", data);
      expect(got.results.length).toBe(want.results.length);
      // BPF_PROG_TEST_RUN refuses a few malformed frames (EINVAL before any run, e.g. an IPv4
      // EtherType on a frame too short for the header); every frame it ran compares.
      let refused = 0;
      got.results.forEach((r, k) => {
        if (want.results[k]!.verdict === "ERROR(22)") refused++;
        // The kernel reports r0 as a u32.
        else expect({ ...r, retval: low32(r.retval) }, `frame ${k} (${data[k]!.length} bytes)`).toEqual(want.results[k]);
      });
      expect(refused).toBeLessThan(data.length / 20);
    }, 60_000);
  });
}
