// sk_cgroup_id (128) and sk_ancestor_cgroup_id (129) on sockets a cgroup_skb program looks up
// (the network model's, test/kernel/sockets.ts, built for real in a fresh namespace by the
// kernel side): every socket is made by the task running the programs, so each is in its
// cgroup — this process's real one (vm/node/host-cgroup.ts), which our machine is configured
// with. The frame's IPv4 addresses and ports are the lookup's tuple; a found socket's two ids go
// to an array map.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import { ProgType } from "../../vm/node/kernel/bridge.js";
import type { CgroupModel } from "../../vm/helpers/packet/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { loadRunner } from "../../vm/runtime/run.js";
import { BPF_CGROUP_INET_INGRESS } from "../../vm/programs/types.js";
import { hostCgroupFor } from "./available.js";
import { ip4, SOCKET_NET, socketNetKernel, SocketNetRunner } from "./sockets.js";

const PROGRAM = `
mov %r6, %r1
stw [%r10-4], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jeq %r0, 0, out
mov %r9, %r0
ldxw %r2, [%r6+76]
ldxw %r3, [%r6+80]
mov %r4, %r2
add %r4, 24
jgt %r4, %r3, out
add %r2, 12
mov %r1, %r6
mov %r3, 12
mov %r4, -1
mov %r5, 0
call 84
jeq %r0, 0, out
mov %r7, %r0
mov %r1, %r7
call 128
stxdw [%r9+0], %r0
mov %r1, %r7
mov %r2, 0
call 129
stxdw [%r9+8], %r0
mov %r1, %r7
mov %r2, 1
call 129
stxdw [%r9+16], %r0
mov %r1, %r7
call 86
out:
mov %r0, 1
exit`;
const MAP = { type: 2, keySize: 4, valueSize: 24, maxEntries: 1 } as const;

/** IPv4 / TCP frames src:sport → dst:dport (the lookup's tuple). */
const frame = (src: string, sport: number, dst: string, dport: number): Uint8Array => {
  const f = new Uint8Array(64);
  f.set([0x08, 0x00], 12);
  f.set([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, ...ip4(src), ...ip4(dst), sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 14);
  return f;
};
/** The established connection, the listener on 10.1.0.1:80, the wildcard one on 8080; nothing on 81. */
const FRAMES = [frame("192.0.2.7", 4000, "10.1.0.1", 80), frame("192.0.2.8", 4001, "10.1.0.1", 80), frame("192.0.2.9", 5, "10.1.0.2", 8080), frame("192.0.2.9", 5, "10.1.0.1", 81)];
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const netns = socketNetKernel("sk-cgroup-id.test.ts");
/** This process's cgroup (undefined: why not, printed; socketNetKernel printed its own reason). */
const host = netns.ok ? hostCgroupFor("sk-cgroup-id.test.ts", netns) : undefined;
const kernel = new SocketNetRunner();
afterAll(() => kernel.close());

async function ours(engine: "interpreter" | "jit", cgroup: CgroupModel): Promise<string[]> {
  const machine = createNodeMachine({ type: "cgroup_skb", cpus: 1, network: SOCKET_NET, cgroup, maps: [{ name: "out", ...MAP, type: "array" }] });
  const runner = await loadRunner(await getEngine(engine), { insns: assemble(PROGRAM) }, machine);
  const map = machine.maps.keyed("out");
  const out = FRAMES.map((f) => {
    map.update(new Uint8Array(4), new Uint8Array(24));
    expect(runner.run(f).retval).toBe(1n);
    return hex(map.lookup(new Uint8Array(4))!);
  });
  runner.dispose();
  return out;
}

describe("sk_cgroup_id / sk_ancestor_cgroup_id on looked-up sockets (cgroup_skb)", () => {
  it("give the machine's cgroup for every socket found, the same on both engines", async () => {
    const got = await ours("interpreter", { path: [1, 9, 33] });
    expect(await ours("jit", { path: [1, 9, 33] })).toEqual(got);
    const ids = (cg: bigint, root: bigint, one: bigint): string => [cg, root, one].map((v) => hex(new Uint8Array(new BigUint64Array([v]).buffer))).join("");
    expect(got).toEqual([ids(33n, 1n, 9n), ids(33n, 1n, 9n), ids(33n, 1n, 9n), "0".repeat(48)]);
  });

  it.skipIf(!host)("the kernel agrees, with this process's cgroup", async () => {
    const bridge = kernel.get();
    const prog = bridge.load(assemble(PROGRAM), { type: ProgType.CGROUP_SKB, expectedAttachType: BPF_CGROUP_INET_INGRESS, name: "sk_cgid", maps: [MAP] });
    let theirs: string[];
    try {
      theirs = FRAMES.map((f) => {
        prog.maps[0]!.update(new Uint8Array(4), new Uint8Array(24));
        const [r] = prog.testRunMany([f]);
        expect(r!.errno).toBe(0);
        return hex(prog.maps[0]!.lookup(new Uint8Array(4))!);
      });
    } finally {
      prog.close();
    }
    expect(theirs.filter((t) => t !== "0".repeat(48))).toHaveLength(3);
    for (const engine of ["interpreter", "jit"] as const) expect(await ours(engine, host!), engine).toEqual(theirs);
  });
});
