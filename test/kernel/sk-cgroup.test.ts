// fixtures/sk_cgroup.c: socket lookups, bpf_tcp_sock, bpf_get_listener_sock, `__sk_buff.sk` and
// bpf_sk_fullsock from cgroup_skb (its packet starts at the network header; it cannot write it,
// so each frame's results go to an array map). The interpreter, the JIT and the kernel (the
// sockets of test/kernel/sockets.ts in a fresh namespace) must fill the map alike.

import { afterAll, describe, expect, it } from "vitest";
import { findProgram } from "../../vm/elf/load/index.js";
import { ProgType } from "../../vm/node/kernel/bridge.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { BPF_CGROUP_INET_INGRESS } from "../../vm/programs/types.js";
import { fixtureObject } from "./objects.js";
import { onSocketNet, SOCKET_CASES, socketNetKernel, SocketNetRunner } from "./sockets.js";

const ETHERTYPES = [[0x08, 0x00], [0x86, 0xdd], [0x88, 0xb5]];
/** The tuples of SOCKET_CASES from the network header on, the frame's index as the key. */
const CASES = SOCKET_CASES.filter((c) => [12, 36].includes(new DataView(c.buffer).getUint32(18, true))).slice(0, 1000).map((c, i) => {
  const f = new Uint8Array(64);
  f.set(c.subarray(0, 12), 0);
  f.set(ETHERTYPES[i % 3]!, 12);
  f.set(c.subarray(38, 74), 14);
  f[14 + 36] = new DataView(c.buffer).getUint32(18, true) === 36 ? 1 : 0;
  new DataView(f.buffer).setUint32(14 + 40, i, true);
  return f;
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const OBJ = fixtureObject("sk_cgroup");
const MAP = OBJ.maps[0]!;

const runOurs = (engine: "interpreter" | "jit"): Promise<string[]> =>
  onSocketNet("sk_cgroup", "sk_cgroup", engine, (runner, machine) => {
    const verdicts = runner.runBatch(CASES, { results: true }).results!.map((r) => r.verdict);
    const map = machine.maps.keyed("out") as BpfMap<Uint8Array>;
    return CASES.map((_, i) => `${verdicts[i]} ${hex(map.lookup(Uint8Array.of(i & 0xff, i >> 8, 0, 0))!)}`);
  });

const netns = socketNetKernel("sk-cgroup.test.ts");
const kernel = new SocketNetRunner();
afterAll(() => kernel.close());

function runKernel(): string[] {
  const bridge = kernel.get();
  const map = bridge.createMap({ type: MAP.spec.type, keySize: MAP.spec.keySize, valueSize: MAP.spec.valueSize, maxEntries: MAP.spec.maxEntries, name: "out" });
  const prog = bridge.load(findProgram(OBJ, "sk_cgroup").insns, { type: ProgType.CGROUP_SKB, expectedAttachType: BPF_CGROUP_INET_INGRESS, name: "sk_cgroup", sharedMaps: [map] });
  try {
    const verdicts = prog.testRunMany(CASES).map((r) => {
      expect(r.errno).toBe(0);
      return r.retval;
    });
    return CASES.map((_, i) => `${verdicts[i] === 1 ? "PASS" : verdicts[i]} ${hex(map.lookup(Uint8Array.of(i & 0xff, i >> 8, 0, 0))!)}`);
  } finally {
    prog.close();
    map.close();
  }
}

describe("sockets from cgroup_skb", () => {
  it("the interpreter and the JIT fill the map alike; sockets and skb sockets of both families occur", async () => {
    const interp = await runOurs("interpreter");
    expect(await runOurs("jit")).toEqual(interp);
    const words = interp.map((line) => new Uint32Array(new Uint8Array(Buffer.from(line.split(" ")[1]!, "hex")).buffer));
    expect(words.filter((w) => w[0] === 1).length).toBeGreaterThan(100);
    for (const family of [2, 10]) expect(words.filter((w) => w[8] === family).length).toBeGreaterThan(100);
  });

  it.skipIf(!netns.ok)("the kernel fills it the same", async () => {
    const ours = (await runOurs("interpreter")).map((line) => line.split(" ")[1]);
    const kernel = runKernel().map((line) => line.split(" ")[1]);
    const differ = ours.map((v, i) => [i, v, kernel[i]] as const).filter(([, a, b]) => a !== b);
    expect(differ.slice(0, 4).map(([i, a, b]) => `frame ${i}\n ours   ${a}\n kernel ${b}`)).toEqual([]);
  });
});
