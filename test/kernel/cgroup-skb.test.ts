// BPF_PROG_TYPE_CGROUP_SKB from C (fixtures/cgroup_skb_ingress.c, cgroup_skb_egress.c, body in
// cgroup_skb.h): the packet from its network header read directly and through
// skb_load_bytes / skb_load_bytes_relative (MAC and network header), the __sk_buff fields a
// cgroup_skb program may read (the socket's family and addresses as BPF_PROG_TEST_RUN's socket
// has them) and write, maps. Both load with the type and expected attach type of their section,
// pass our verifier, run the same on the interpreter and the JIT, and agree with the kernel
// (BPF_PROG_TEST_RUN through `--engine kernel`): every frame's verdict, r0 and bytes, and every
// map.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { loadRunner } from "../../vm/runtime/run.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** BPF_PROG_TEST_RUN refuses (-EINVAL) an IPv4 or IPv6 frame shorter than its fixed IP header. */
const testRunnable = (f: Uint8Array): boolean => {
  const type = (f[12]! << 8) | f[13]!;
  return !((type === 0x0800 && f.length < 34) || (type === 0x86dd && f.length < 54));
};

const DATA = frames("mix:400:seed=21").filter(testRunnable);

for (const [name, program, attach, verdicts] of [
  ["cgroup_skb_ingress", "cg_ingress", 0, ["allow", "drop"]],
  ["cgroup_skb_egress", "cg_egress", 1, ["allow", "allow+cn", "drop", "drop+cn"]],
] as const) {
  describe(`${name}.o (a cgroup_skb program from C)`, () => {
    const obj = fixtureObject(name);

    it("loads as cgroup_skb with its section's expected attach type and passes our verifier", () => {
      const p = obj.programs.find((x) => x.name === program)!;
      expect(p.type).toBe("cgroup_skb");
      expect(p.sectionType?.kernelType).toBe(8);
      expect(p.sectionType?.expectedAttach).toBe(attach);
      const loaded = instantiateObjectNode(obj, undefined);
      expect(loaded.verification.get(program)?.accepted).toBe(true);
    });

    it("the interpreter and the JIT agree, over every verdict and many field values", async () => {
      const interp = await runOurs(obj, "interpreter", DATA);
      const jit = await runOurs(obj, "jit", DATA);
      expect(jit).toEqual(interp);
      expect(new Set(interp.results.map((r) => r.verdict))).toEqual(new Set(verdicts));
      // The packet starts at the network header: 14 bytes shorter than the frame.
      interp.results.forEach((r, k) => expect(r.packet.length / 2).toBe(DATA[k]!.length - 14));
      // skb_load_bytes and both relative loads succeeded and failed; an unknown start failed.
      const rets = interp.maps.rets!.map((l) => Buffer.from(l.split("=")[0]!, "hex")).map((k) => `${k.readUInt32LE(0)}:${k.readInt32LE(4)}`);
      expect(new Set(rets)).toEqual(new Set(["1:0", "1:-14", "2:0", "3:0", "3:-14", "4:-14"]));
    });

    it.skipIf(!status.ok)("the kernel agrees: every frame and every map, on both engines", async () => {
      const kernel = runKernel(obj, DATA);
      for (const engine of ["interpreter", "jit"] as const) {
        const ours = await runOurs(obj, engine, DATA);
        ours.results.forEach((r, k) => expect(r, `${engine}, frame ${k} (${DATA[k]!.length} bytes)`).toEqual(kernel.results[k]));
        expect(ours.maps, engine).toEqual(kernel.maps);
      }
    });
  });
}

describe("placing a cgroup_skb packet", () => {
  /** r0 = the first byte at data, or 0x100 for an empty packet. */
  const FIRST = `
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r0, 0x100
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, +1
ldxb %r0, [%r2+0]
exit`;
  const ipv4 = (tagged: boolean): Uint8Array => {
    const f = new Uint8Array(tagged ? 64 : 60);
    f.set(tagged ? [0x81, 0x00, 0x00, 0x07, 0x08, 0x00] : [0x08, 0x00], 12);
    const ip = tagged ? 18 : 14;
    f.set([0x45], ip);
    f.set([10, 0, 0, 1, 10, 0, 0, 2], ip + 12);
    return f;
  };

  it("starts data at the network header, behind an offloaded VLAN tag too, and fills the socket from the IP header", async () => {
    for (const vlanOffload of [false, true]) {
      const machine = createNodeMachine({ type: "cgroup_skb", cpus: 1 });
      const runner = await loadRunner(await getEngine("interpreter"), { insns: assemble(FIRST) }, machine, { vlanOffload });
      const r = runner.run(ipv4(true));
      // Without offload the tag is in the data: the network header is the tag's TCI (as eth_type_trans leaves it).
      expect(r.retval).toBe(vlanOffload ? 0x45n : 0n);
      expect(r.packet.length).toBe(vlanOffload ? 46 : 50);
      expect(runner.field("len")).toBe(vlanOffload ? 46 : 50);
      expect(runner.field("family")).toBe(vlanOffload ? 2 : 0);
      expect(runner.field("local_ip4")).toBe(vlanOffload ? 0x0100000a : 0);
      expect(runner.field("remote_ip4")).toBe(vlanOffload ? 0x0200000a : 0);
      expect(runner.field("vlan_present")).toBe(vlanOffload ? 1 : 0);
      const plain = runner.run(ipv4(false));
      expect(plain.retval).toBe(0x45n);
      expect(runner.field("family")).toBe(2);
      runner.dispose();
    }
  });

  it("gives a frame shorter than its Ethernet header an empty packet (the kernel refuses to test-run it)", async () => {
    const machine = createNodeMachine({ type: "cgroup_skb", cpus: 1 });
    const runner = await loadRunner(await getEngine("jit"), { insns: assemble(FIRST) }, machine);
    const r = runner.run(Uint8Array.of(1, 2, 3, 4, 5, 6));
    expect(r.retval).toBe(0x100n);
    expect(r.packet.length).toBe(0);
    expect(runner.field("len")).toBe(0);
    runner.dispose();
  });
});

/**
 * Frames of every ECN codepoint: the mix's IPv4 / IPv6 frames (and VLAN-tagged ones, whose tag
 * the test run leaves in the data) with the ECN bits of their traffic class set by index, and the
 * byte a header check would read there varied too.
 */
const ECN_FRAMES = frames("mix:400:seed=33").filter(testRunnable).map((f, i) => {
  const g = f.slice();
  for (const at of [14, 18]) {
    if (g.length < at + 2) continue;
    const version = g[at]! >> 4;
    if (version === 4) g[at + 1] = (g[at + 1]! & 0xfc) | (i & 3);
    if (version === 6) g[at + 1] = (g[at + 1]! & 0xcf) | ((i & 3) << 4);
  }
  return g;
});

describe("cgroup_skb_ecn.o (bpf_skb_ecn_set_ce from C)", () => {
  const obj = fixtureObject("cgroup_skb_ecn");

  it("marks ECN-capable IPv4 and IPv6 packets and leaves the rest, the same on the interpreter and the JIT", async () => {
    const interp = await runOurs(obj, "interpreter", ECN_FRAMES);
    expect(await runOurs(obj, "jit", ECN_FRAMES)).toEqual(interp);
    // key: version << 16 | ECN bits as read back << 8 | r0. IPv4 ECT(0)/ECT(1)/CE end as CE (3) with r0 1.
    const keys = new Set(interp.maps.rets!.map((l) => Buffer.from(l.split("=")[0]!, "hex").readUInt32LE(0)));
    expect(keys).toContain((4 << 16) | (3 << 8) | 1);
    expect(keys).toContain((4 << 16) | (0 << 8) | 0);
    expect(keys).toContain((6 << 16) | (0x30 << 8) | 1);
    expect(keys).toContain((6 << 16) | (0 << 8) | 0);
    expect(new Set(interp.results.map((r) => r.verdict))).toEqual(new Set(["allow", "allow+cn"]));
  });

  it.skipIf(!status.ok)("the kernel agrees: every frame (the marked header and its checksum) and the map", async () => {
    const kernel = runKernel(obj, ECN_FRAMES);
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, ECN_FRAMES);
      ours.results.forEach((r, k) => expect(r, `${engine}, frame ${k} (${ECN_FRAMES[k]!.length} bytes)`).toEqual(kernel.results[k]));
      expect(ours.maps, engine).toEqual(kernel.maps);
    }
  });
});
