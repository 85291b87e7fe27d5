// fixtures/fib_lookup.c: bpf_fib_lookup (69) from XDP and tc on one network, described once
// (NET below): our machine gets it as MachineOptions.network, the kernel gets it built in a fresh
// network namespace (vm/node/kernel/netns.ts) in which the bpf-runner runs. Each frame carries
// one request (a struct bpf_fib_lookup, flags, plen) drawn from the cases below: many
// destinations of both families, every flag, tot_len around the MTUs, frame lengths around the
// skb MTU rule, bad ifindex / family / flags / plen. The program writes r0 and the whole struct
// back into the frame; the interpreter, the JIT and the kernel must give the same bytes.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { findProgram } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import { KernelBridge, ProgType, runnerPath } from "../../vm/node/kernel/bridge.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { netnsAvailable, netnsWrapper } from "../../vm/node/kernel/netns.js";
import { DEFAULT_NETWORK, type NetworkModel } from "../../vm/net/model.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { verify } from "../../vm/verifier/index.js";
import { ctxFor } from "../helpers/device-runtime.js";
import { kernelAvailability, kernelRefusal } from "./available.js";
import { fixtureObject } from "./objects.js";

const NET: NetworkModel = {
  devices: [
    { ifindex: 1, name: "lo", mtu: 65536, forwarding: true },
    { ifindex: 10, name: "v0", mac: "02:00:00:00:00:10", addresses: ["10.1.0.1/24", "2001:db8:1::1/64"], forwarding: true },
    { ifindex: 11, name: "v1", mac: "02:00:00:00:00:11", addresses: ["10.2.0.1/24", "10.2.0.77/24", "2001:db8:2::1/64"], forwarding: true },
    { ifindex: 12, name: "v2", mac: "02:00:00:00:00:12", mtu: 1300, addresses: ["10.3.0.1/24", "2001:db8:3::1/64"], forwarding: true },
    { ifindex: 13, name: "v3", mac: "02:00:00:00:00:13", addresses: ["10.4.0.1/24", "2001:db8:4::1/64"], forwarding: false },
    { ifindex: 14, name: "v4", mac: "02:00:00:00:00:14", forwarding: true },
  ],
  routes: [
    { dst: "10.10.0.0/16", via: "10.1.0.2" },
    { dst: "10.11.0.0/16", via: "10.2.0.9" },
    { dst: "10.12.0.0/16", via: "10.3.0.2" },
    { dst: "10.12.5.0/24", dev: 11 },
    { dst: "10.13.0.0/16", dev: 14 },
    { dst: "10.14.0.0/16", via: "10.4.0.2" },
    { dst: "10.20.0.0/16", type: "blackhole" },
    { dst: "10.21.0.0/16", type: "unreachable" },
    { dst: "10.22.0.0/16", type: "prohibit" },
    { dst: "10.40.0.0/16", via: "10.1.0.2", src: "10.4.0.1" },
    { dst: "10.50.0.0/16", via: "10.1.0.2", metric: 10 },
    { dst: "10.50.0.0/16", via: "10.2.0.2", metric: 20 },
    { dst: "0.0.0.0/0", via: "10.2.0.2" },
    { dst: "10.30.0.0/16", via: "10.1.0.2", table: 100 },
    { dst: "10.10.0.0/16", type: "blackhole", table: 100 },
    // The default table (253): IPv4's default rules ask it when main fails (here: unreachable).
    { dst: "10.21.0.0/16", via: "10.1.0.2", table: 253 },
    { dst: "10.31.0.0/16", dev: 14, table: 253 },
    { dst: "2001:db8:10::/48", via: "2001:db8:1::2" },
    { dst: "2001:db8:11::/48", via: "2001:db8:2::9" },
    { dst: "2001:db8:12::/48", via: "2001:db8:3::2" },
    { dst: "2001:db8:12:5::/64", dev: 11 },
    { dst: "2001:db8:13::/48", dev: 14 },
    { dst: "2001:db8:14::/48", via: "2001:db8:4::2" },
    { dst: "2001:db8:20::/48", type: "blackhole" },
    { dst: "2001:db8:21::/48", type: "unreachable" },
    { dst: "2001:db8:22::/48", type: "prohibit" },
    { dst: "2001:db8:40::/48", via: "2001:db8:1::2", src: "2001:db8:4::1" },
    { dst: "2001:db8:50::/48", via: "2001:db8:1::2", metric: 10 },
    { dst: "2001:db8:50::/48", via: "2001:db8:2::2", metric: 20 },
    { dst: "::/0", via: "2001:db8:2::2" },
    { dst: "2001:db8:30::/48", via: "2001:db8:1::2", table: 100 },
    { dst: "2001:db8:10::/48", type: "blackhole", table: 100 },
  ],
  neighbours: [
    { ifindex: 10, ip: "10.1.0.2", mac: "02:aa:00:00:01:02" },
    { ifindex: 11, ip: "10.2.0.2", mac: "02:aa:00:00:02:02" },
    { ifindex: 12, ip: "10.3.0.2", mac: "02:aa:00:00:03:02" },
    { ifindex: 13, ip: "10.4.0.2", mac: "02:aa:00:00:04:02" },
    { ifindex: 11, ip: "10.12.5.7", mac: "02:aa:00:00:05:07" },
    { ifindex: 14, ip: "10.13.0.5", mac: "02:aa:00:00:13:05" },
    { ifindex: 10, ip: "2001:db8:1::2", mac: "02:bb:00:00:01:02" },
    { ifindex: 11, ip: "2001:db8:2::2", mac: "02:bb:00:00:02:02" },
    { ifindex: 12, ip: "2001:db8:3::2", mac: "02:bb:00:00:03:02" },
    { ifindex: 13, ip: "2001:db8:4::2", mac: "02:bb:00:00:04:02" },
    { ifindex: 11, ip: "2001:db8:12:5::7", mac: "02:bb:00:00:05:07" },
    { ifindex: 14, ip: "2001:db8:13::5", mac: "02:bb:00:00:13:05" },
  ],
};

const V4 = [
  "10.10.1.1", "10.11.2.3", "10.12.1.1", "10.12.5.7", "10.12.5.8", "10.13.0.5", "10.13.0.6", "10.14.0.1", "10.20.1.1",
  "10.21.1.1", "10.22.1.1", "10.40.0.1", "10.50.0.1", "10.30.0.1", "10.31.0.1", "8.8.8.8", "10.1.0.1", "10.1.0.2", "10.1.0.3",
  "10.1.0.255", "10.1.0.0", "10.2.0.77", "10.4.0.1", "10.4.0.2", "255.255.255.255", "0.0.0.0", "127.0.0.1", "224.0.0.1",
];
const V6 = [
  "2001:db8:10::1", "2001:db8:11::1", "2001:db8:12::1", "2001:db8:12:5::7", "2001:db8:12:5::8", "2001:db8:13::5",
  "2001:db8:14::1", "2001:db8:20::1", "2001:db8:21::1", "2001:db8:22::1", "2001:db8:40::1", "2001:db8:50::1",
  "2001:db8:30::1", "2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3", "2001:db8:1::", "2001:db8:4::", "2001:db8:4::2",
  "2606:4700::1", "fe80::1", "ff02::1", "::1", "::", "fc00::1",
];
const V6_SRC = ["2001:db8:99::1", "2001:db8:99::1", "2001:db8:99::1", "fe80::5", "::", "ff02::1", "2001:db8:1::1"];
const IFINDEX = [10, 10, 10, 11, 11, 12, 13, 14, 1, 99, 0];
const TOT_LEN = [0, 0, 0, 100, 1299, 1300, 1301, 1500, 1501, 65535];
const TBID = [100, 254, 255, 0, 253, 101];
const LENGTHS = [92, 92, 92, 92, 1317, 1318, 1319, 1517, 1518, 1519];

/** xorshift32: the same cases every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

function v4(text: string): number[] {
  return text.split(".").map(Number);
}

function v6(text: string): number[] {
  const [head, tail = ""] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = text.includes("::") && tail ? tail.split(":") : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

/** One frame: Ethernet header, plen selector, flags, struct bpf_fib_lookup, room for r0. */
function frame(rand: () => number): Uint8Array {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const len = pick(LENGTHS);
  const f = new Uint8Array(len).map(() => Math.floor(rand() * 256));
  const view = new DataView(f.buffer);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5], 0);
  f[14] = rand() < 0.9 ? 0 : Math.floor(rand() * 4);
  let flags = 0;
  for (let bit = 0; bit < 6; bit++) if (rand() < 0.3) flags |= 1 << bit;
  if (rand() < 0.04) flags |= pick([1 << 6, 1 << 31]);
  view.setUint32(16, flags >>> 0, true);
  const p = 20;
  const r = rand();
  const family = r < 0.47 ? 2 : r < 0.94 ? 10 : pick([0, 1, 7, 11]);
  f[p] = family;
  view.setUint16(p + 6, pick(TOT_LEN), true);
  view.setUint32(p + 8, pick(IFINDEX), true);
  if (family === 10) {
    f.set(v6(pick(V6_SRC)), p + 16);
    f.set(v6(pick(V6)), p + 32);
  } else {
    f.set(v4(pick(V4)), p + 16);
    f.set(v4(pick(V4)), p + 32);
  }
  if (flags & 8 && rand() < 0.8) view.setUint32(p + 48, pick(TBID), true);
  return f;
}

/** A chosen request, in a 92-byte frame with zeros elsewhere. */
function chosen(family: number, dst: string, ifindex: number, flags: number, totLen = 0): Uint8Array {
  const f = new Uint8Array(92);
  const view = new DataView(f.buffer);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5], 0);
  view.setUint32(16, flags, true);
  f[20] = family;
  view.setUint16(26, totLen, true);
  view.setUint32(28, ifindex, true);
  f.set(family === 10 ? v6(dst) : v4(dst), 52);
  return f;
}

const CASES = (() => {
  const rand = rng(0x69);
  return [
    ...Array.from({ length: 2500 }, () => frame(rand)),
    // The default table: main has no route leaving by v4 (OUTPUT from 14) for 10.31/16, table 253 has.
    chosen(2, "10.31.0.1", 14, 2), chosen(2, "10.31.0.1", 14, 2 | 4), chosen(2, "10.31.0.1", 14, 1 | 2), chosen(2, "10.31.0.1", 10, 0),
    chosen(2, "10.21.1.1", 10, 0), chosen(2, "10.21.1.1", 14, 2), chosen(2, "10.13.0.5", 14, 2), chosen(2, "10.13.0.5", 10, 2),
    chosen(10, "2001:db8:13::5", 10, 2), chosen(10, "2001:db8:10::1", 11, 2 | 16),
  ];
})();

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const rcOf = (packet: string): bigint => BigInt.asIntN(64, Buffer.from(packet, "hex").readBigUInt64LE(84));

const PROGRAMS = [
  { name: "fib_xdp", type: ProgType.XDP },
  { name: "fib_tc", type: ProgType.SCHED_CLS },
] as const;

/** A GSO skb: __sk_buff.gso_size set (our runner's `skb` option, the kernel's ctx_in). */
const GSO = { gso_size: 100, gso_segs: 16 };

async function runOurs(name: string, engine: "interpreter" | "jit", network: NetworkModel | null = NET, gso = false): Promise<string[]> {
  const loaded = instantiateObjectNode(fixtureObject("fib_lookup"), name, network ? { network } : {});
  const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine), gso ? { skb: GSO } : {});
  try {
    return runner.runBatch(CASES, { results: true }).results!.map((r) => `${r.verdict} ${hex(r.packet)}`);
  } finally {
    runner.dispose();
  }
}

const status = kernelAvailability();
const netns = status.ok ? netnsAvailable(NET) : { ok: false, reason: status.reason };
if (!netns.ok) console.log(`kernel comparison skipped: ${netns.reason}`);
const bridges = new Map<NetworkModel, KernelBridge>();
afterAll(() => {
  for (const bridge of bridges.values()) bridge.close();
  if (status.ok) kernelBridge().close();
});

function runKernel(name: string, type: number, network: NetworkModel = NET, gso = false): string[] {
  const bridge = bridges.get(network) ?? new KernelBridge(runnerPath(), netnsWrapper(network));
  bridges.set(network, bridge);
  const ok = bridge.available();
  if (!ok.ok) throw new Error(`the runner in the test namespace did not start: ${ok.reason}`);
  const prog = bridge.load(findProgram(fixtureObject("fib_lookup"), name).insns, { type, name });
  try {
    const verdicts = type === ProgType.XDP ? ["XDP_ABORTED", "XDP_DROP", "XDP_PASS"] : ["TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT"];
    return prog.testRunMany(CASES, gso ? { ctx: ctxFor("sched_cls", 1, GSO) } : {}).map((r) => {
      expect(r.errno).toBe(0);
      return `${verdicts[r.retval] ?? r.retval} ${hex(r.data)}`;
    });
  } finally {
    prog.close();
  }
}

describe("bpf_fib_lookup (69) on a network model", () => {
  for (const { name, type } of PROGRAMS) {
    it(`${name}: the interpreter and the JIT agree, and every outcome occurs`, async () => {
      const interp = await runOurs(name, "interpreter");
      expect(await runOurs(name, "jit")).toEqual(interp);
      const rcs = new Set(interp.map((line) => rcOf(line.split(" ")[1]!)));
      const where = (test: (f: DataView, rc: bigint) => boolean) => interp.filter((line, i) => test(new DataView(CASES[i]!.buffer), rcOf(line.split(" ")[1]!))).length;
      // A successful SRC lookup of each family; tc's own MTU rule (tot_len 0, skb->len over mtu + 18).
      for (const family of [2, 10]) expect(where((f, rc) => f.getUint8(20) === family && (f.getUint32(16, true) & 0x10) !== 0 && rc === 0n), `SRC family ${family}`).toBeGreaterThan(10);
      if (type === ProgType.SCHED_CLS) expect(where((f, rc) => f.getUint16(26, true) === 0 && rc === 8n)).toBeGreaterThan(5);
      // SUCCESS .. FRAG_NEEDED except UNSUPP_LWT (no tunnels in the model), -EINVAL, -ENODEV, -EAFNOSUPPORT.
      for (const rc of [0n, 1n, 2n, 3n, 4n, 5n, 7n, 8n, -22n, -19n, -97n]) expect(rcs.has(rc), `rc ${rc} occurs`).toBe(true);
    });

    it.skipIf(!netns.ok)(`${name}: the kernel writes the same r0 and struct for every frame`, async () => {
      const ours = await runOurs(name, "interpreter");
      const kernel = runKernel(name, type);
      const differ = ours.map((line, i) => [i, line, kernel[i]] as const).filter(([, a, b]) => a !== b);
      expect(differ.slice(0, 3).map(([i, a, b]) => `frame ${i}\n ours   ${a.slice(0, 200)}\n kernel ${b?.slice(0, 200)}`)).toEqual([]);
    });
  }

  // No network option: a fresh namespace's lo (ifindex 1, forwarding off) and nothing else.
  it.skipIf(!netns.ok)("without a network: the kernel's fresh namespace answers the same", async () => {
    const ours = await runOurs("fib_tc", "interpreter", null);
    const rcs = new Set(ours.map((line) => rcOf(line.split(" ")[1]!)));
    expect([...rcs].sort((a, b) => Number(a - b))).toEqual([-97n, -22n, -19n, 4n, 5n]);
    const kernel = runKernel("fib_tc", ProgType.SCHED_CLS, DEFAULT_NETWORK);
    expect(ours.filter((line, i) => line !== kernel[i]).length).toBe(0);
  });

  it("the verifier: xdp and tc only, a size within the struct's memory, no packet pointer; as the kernel", () => {
    const call = (at: number, size: string) => `mov %r2, %r10\nadd %r2, ${at}\n${size}\nmov %r4, 0\ncall 69\nldxdw %r0, [%r10-8]\nexit`;
    const cases: Array<[string, "xdp" | "sched_cls" | "socket_filter", string, RegExp | undefined]> = [
      ["64 bytes of stack (left uninitialised: the helper writes them)", "xdp", call(-64, "mov %r3, 64"), undefined],
      ["tc", "sched_cls", call(-64, "mov %r3, 64"), undefined],
      ["80 bytes", "xdp", call(-80, "mov %r3, 80"), undefined],
      ["80 bytes from fp-64", "xdp", call(-64, "mov %r3, 80"), /invalid write to stack R2 off=-64 size=80/],
      ["size 0", "xdp", call(-64, "mov %r3, 0"), /R3 invalid zero-sized read/],
      ["a bounded variable size", "xdp", call(-64, "ldxw %r3, [%r1+12]\nand %r3, 63\nadd %r3, 1"), undefined],
      ["an unbounded size", "xdp", call(-64, "ldxw %r3, [%r1+12]"), /R3 invalid zero-sized read: u64=\[0,4294967295\]/],
      ["socket filter", "socket_filter", call(-64, "mov %r3, 64"), /program of this type cannot use helper bpf_fib_lookup#69/],
      ["a packet pointer", "xdp", "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 64\njgt %r4, %r3, +4\nmov %r3, 64\nmov %r4, 0\ncall 69\nexit\nmov %r0, 0\nexit", /helper access to the packet is not allowed/],
    ];
    const tables = nodeHelperTables();
    const kernelType = { xdp: ProgType.XDP, sched_cls: ProgType.SCHED_CLS, socket_filter: ProgType.SOCKET_FILTER };
    for (const [what, type, source, refusal] of cases) {
      const ours = verify(assemble(source), { type, helpers: tables(type) });
      if (refusal) expect(ours.message, what).toMatch(refusal);
      else expect(ours.message, `${what}: ${ours.log}`).toBeUndefined();
      if (!status.ok) continue;
      const kernel = kernelRefusal(assemble(source), { type: kernelType[type], name: "fib" });
      if (refusal) expect(kernel, what).toMatch(refusal);
      else expect(kernel, what).toBeUndefined();
    }
    if (!status.ok) console.log(`kernel comparison skipped: ${status.reason}`);
  });

  it.skipIf(!netns.ok)("fib_tc on GSO skbs: over the MTU without tot_len they pass, as in the kernel", async () => {
    const ours = await runOurs("fib_tc", "interpreter", NET, true);
    expect(await runOurs("fib_tc", "jit", NET, true)).toEqual(ours);
    const plain = await runOurs("fib_tc", "interpreter");
    // Some frames that were FRAG_NEEDED by length alone now succeed.
    expect(ours.filter((line, i) => rcOf(line.split(" ")[1]!) === 0n && rcOf(plain[i]!.split(" ")[1]!) === 8n).length).toBeGreaterThan(5);
    const kernel = runKernel("fib_tc", ProgType.SCHED_CLS, NET, true);
    expect(ours.filter((line, i) => line !== kernel[i]).length).toBe(0);
  });
});
