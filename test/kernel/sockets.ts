// The network with sockets of the socket tests (sk-*.test.ts, syncookie.test.ts, the pool test):
// devices, routes and sockets (vm/net/sockets.ts) as a NetworkModel, frames each carrying one
// lookup request for fixtures/sk_lookup.c, and how the tests run a fixture on it — on our
// engines, and in the kernel inside a namespace built from it.

import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import type { NetworkModel } from "../../vm/net/model.js";
import { KernelBridge, runnerPath } from "../../vm/node/kernel/bridge.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { netnsAvailable, netnsWrapper } from "../../vm/node/kernel/netns.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject } from "./objects.js";

export const SOCKET_NET: NetworkModel = {
  devices: [
    { ifindex: 1, name: "lo", mtu: 65536 },
    { ifindex: 10, name: "v0", addresses: ["10.1.0.1/24", "10.1.0.2/24", "2001:db8:1::1/64"] },
    { ifindex: 11, name: "v1", addresses: ["10.2.0.1/24", "2001:db8:2::1/64"] },
  ],
  routes: [
    { dst: "0.0.0.0/0", via: "10.1.0.254" },
    { dst: "::/0", via: "2001:db8:1::fe" },
  ],
  sockets: [
    { kind: "tcp_listen", local: "10.1.0.1:80" },
    { kind: "tcp_established", local: "10.1.0.1:80", remote: "192.0.2.7:4000" },
    { kind: "tcp_listen", local: "0.0.0.0:8080", mark: 5, priority: 2 },
    { kind: "tcp_listen", local: "[::]:443" },
    { kind: "tcp_listen", local: "[2001:db8:1::1]:80" },
    { kind: "tcp_established", local: "[2001:db8:1::1]:80", remote: "[2001:db8:9::9]:5000" },
    { kind: "tcp_listen", local: "[::]:9000", v6only: true },
    { kind: "tcp_listen", local: "0.0.0.0:7000", boundDev: 11 },
    { kind: "tcp_listen", local: "10.2.0.1:7001", boundDev: 1 },
    { kind: "udp", local: "0.0.0.0:53" },
    { kind: "udp", local: "10.1.0.1:53" },
    { kind: "udp", local: "10.1.0.1:5353", remote: "198.51.100.1:53", mark: 7, priority: 3 },
    { kind: "udp", local: "[::]:53" },
    { kind: "udp", local: "[2001:db8:1::1]:123", remote: "[2001:db8:9::9]:123" },
    { kind: "udp", local: "0.0.0.0:6000", boundDev: 1 },
    { kind: "udp", local: "0.0.0.0:6001", boundDev: 10 },
    { kind: "udp", local: "[::]:7777", v6only: true, mark: 99 },
    { kind: "udp", local: "10.2.0.1:53" },
  ],
};

const V4_SRC = ["192.0.2.7", "198.51.100.1", "10.9.9.9", "0.0.0.0", "10.1.0.1"];
const V4_DST = ["10.1.0.1", "10.1.0.2", "10.2.0.1", "127.0.0.1", "0.0.0.0"];
const V6_SRC = ["2001:db8:9::9", "2001:db8:9::8", "::", "2001:db8:1::1"];
const V6_DST = ["2001:db8:1::1", "2001:db8:2::1", "::", "::1", "2001:db8:1::2"];
const SPORTS = [4000, 53, 123, 5000, 1, 4001];
const DPORTS = [80, 8080, 443, 9000, 7000, 7001, 53, 5353, 6000, 6001, 7777, 123, 22];
const NETNS = [0xffffffffffffffffn, 0n, 1n, 0xffffffffn, 0x80000000n, 0x100000000n, 0x7fffffffn, 0xffffffff00000001n];
const LEN = 176 + 4;

/** xorshift32: the same cases every run. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

export const ip4 = (text: string): number[] => text.split(".").map(Number);

export function ip6(text: string): number[] {
  const [head, tail = ""] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = text.includes("::") && tail ? tail.split(":") : [];
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

/** One frame: Ethernet header (EtherType 0x88b5: no IP header for the skb test run to check), the request. */
function frame(rand: () => number): Uint8Array {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const f = new Uint8Array(LEN);
  const view = new DataView(f.buffer);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5], 0);
  const r = 14;
  f[r] = Math.floor(rand() * 3);
  const family = rand() < 0.5 ? 4 : 6;
  const odd = rand() < 0.06;
  view.setUint32(r + 4, odd ? pick([0, 1, 11, 13, 35, 37, 40, 41, 1000]) : family === 4 ? 12 : 36, true);
  view.setBigUint64(r + 8, rand() < 0.85 ? NETNS[0]! : pick(NETNS), true);
  view.setBigUint64(r + 16, rand() < 0.95 ? 0n : pick([1n, 0x100000000n]), true);
  const t = r + 24;
  const sport = pick(SPORTS), dport = pick(DPORTS);
  if (family === 4) {
    f.set(ip4(pick(V4_SRC)), t);
    f.set(ip4(pick(V4_DST)), t + 4);
    view.setUint16(t + 8, sport);
    view.setUint16(t + 10, dport);
  } else {
    f.set(ip6(pick(V6_SRC)), t);
    f.set(ip6(pick(V6_DST)), t + 16);
    view.setUint16(t + 32, sport);
    view.setUint16(t + 34, dport);
  }
  return f;
}

/** A chosen lookup. */
function chosen(op: number, src: string, sport: number, dst: string, dport: number): Uint8Array {
  const f = new Uint8Array(LEN);
  const view = new DataView(f.buffer);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5], 0);
  f[14] = op;
  const six = src.includes(":");
  view.setUint32(18, six ? 36 : 12, true);
  view.setBigUint64(22, NETNS[0]!, true);
  const t = 38;
  if (six) {
    f.set(ip6(src), t); f.set(ip6(dst), t + 16); view.setUint16(t + 32, sport); view.setUint16(t + 34, dport);
  } else {
    f.set(ip4(src), t); f.set(ip4(dst), t + 4); view.setUint16(t + 8, sport); view.setUint16(t + 10, dport);
  }
  return f;
}

export const SOCKET_CASES = (() => {
  const rand = rng(0x84);
  const cases: Uint8Array[] = [];
  // Every socket of the model, found by the lookup it answers.
  for (const op of [0, 2]) {
    cases.push(chosen(op, "192.0.2.7", 4000, "10.1.0.1", 80), chosen(op, "192.0.2.8", 4000, "10.1.0.1", 80), chosen(op, "1.2.3.4", 9, "10.1.0.2", 8080));
    cases.push(chosen(op, "1.2.3.4", 9, "10.1.0.1", 443), chosen(op, "2001:db8::5", 9, "2001:db8:2::1", 443), chosen(op, "2001:db8:9::9", 5000, "2001:db8:1::1", 80));
    cases.push(chosen(op, "2001:db8:9::8", 5000, "2001:db8:1::1", 80), chosen(op, "1.2.3.4", 9, "10.1.0.1", 9000), chosen(op, "2001:db8::5", 9, "2001:db8:1::1", 9000));
    cases.push(chosen(op, "1.2.3.4", 9, "10.1.0.1", 7000), chosen(op, "1.2.3.4", 9, "10.2.0.1", 7001));
  }
  cases.push(chosen(1, "1.2.3.4", 9, "10.1.0.1", 53), chosen(1, "1.2.3.4", 9, "10.1.0.2", 53), chosen(1, "1.2.3.4", 9, "10.2.0.1", 53));
  cases.push(chosen(1, "198.51.100.1", 53, "10.1.0.1", 5353), chosen(1, "198.51.100.2", 53, "10.1.0.1", 5353), chosen(1, "2001:db8::5", 9, "2001:db8:1::1", 53));
  cases.push(chosen(1, "2001:db8:9::9", 123, "2001:db8:1::1", 123), chosen(1, "2001:db8:9::9", 124, "2001:db8:1::1", 123), chosen(1, "1.2.3.4", 9, "10.1.0.1", 6000));
  cases.push(chosen(1, "1.2.3.4", 9, "10.1.0.1", 6001), chosen(1, "2001:db8::5", 9, "2001:db8:1::1", 7777), chosen(1, "1.2.3.4", 9, "10.1.0.1", 7777));
  for (let i = 0; i < 1500; i++) cases.push(frame(rand));
  return cases;
})();


// ---- running the socket fixtures: our engines on SOCKET_NET, and the kernel in a namespace built from it

/** Whether the kernel side can run (bpf(), and a private network namespace built from SOCKET_NET); prints why not. */
export function socketNetKernel(file: string): { readonly ok: boolean; readonly reason?: string } {
  const status = kernelAvailability();
  const netns = status.ok ? netnsAvailable(SOCKET_NET) : { ok: false, reason: status.reason };
  if (!netns.ok) console.log(`${file}: kernel comparison skipped: ${netns.reason}`);
  return netns;
}

/** The bpf-runner inside a namespace built from SOCKET_NET: started on first use; close() it in afterAll. */
export class SocketNetRunner {
  private bridge: KernelBridge | undefined;

  get(): KernelBridge {
    this.bridge ??= new KernelBridge(runnerPath(), netnsWrapper(SOCKET_NET));
    const ok = this.bridge.available();
    if (!ok.ok) throw new Error(`the runner in the test namespace did not start: ${ok.reason}`);
    return this.bridge;
  }

  close(): void {
    this.bridge?.close();
    if (kernelAvailability().ok) kernelBridge().close();
  }
}

/** Program `name` of fixture `fixture` on one of our engines, on a machine in SOCKET_NET: `use` gets its runner and machine. */
export async function onSocketNet<T>(
  fixture: string,
  name: string,
  engine: "interpreter" | "jit",
  use: (runner: PacketRunner, machine: RuntimeMachine) => T,
): Promise<T> {
  const loaded = instantiateObjectNode(fixtureObject(fixture), name, { network: SOCKET_NET });
  const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine));
  try {
    return use(runner, loaded.machine);
  } finally {
    runner.dispose();
  }
}
