// fixtures/syncookie.c: bpf_tcp_check_syncookie (100) and bpf_tcp_gen_syncookie (110) on the
// sockets of test/kernel/sockets.ts (listeners of both families, a dual-stack and an IPv6-only
// one, an established connection, UDP sockets), with IP and TCP headers of every version, flag
// combination, data offset and length: the interpreter, the JIT and the kernel (the same
// sockets in a fresh namespace) must give the same r0 for every frame. The namespace is under
// no SYN flood and keeps tcp_syncookies at 1, so no cookie is made or checked: what is compared
// is every check before that, and the -ENOENT after it.

import { afterAll, describe, expect, it } from "vitest";
import { findProgram } from "../../vm/elf/load/index.js";
import { ProgType } from "../../vm/node/kernel/bridge.js";
import { fixtureObject } from "./objects.js";
import { ip4, ip6, onSocketNet, rng, socketNetKernel, SocketNetRunner } from "./sockets.js";

const LEN = 14 + 184;
/** [src, sport, dst, dport] of sockets and of nothing. */
const TUPLES: ReadonlyArray<readonly [string, number, string, number]> = [
  ["1.2.3.4", 9, "10.1.0.1", 80], ["192.0.2.7", 4000, "10.1.0.1", 80], ["1.2.3.4", 9, "10.1.0.1", 443], ["1.2.3.4", 9, "10.1.0.1", 8080],
  ["2001:db8::5", 9, "2001:db8:1::1", 80], ["2001:db8::5", 9, "2001:db8:1::1", 443], ["2001:db8::5", 9, "2001:db8:1::1", 9000],
  ["1.2.3.4", 9, "10.1.0.1", 53], ["2001:db8::5", 9, "2001:db8:1::1", 53], ["1.2.3.4", 9, "10.1.0.1", 9000],
];
const FLAGS = [0x02, 0x10, 0x12, 0x04, 0x01, 0x03, 0x14, 0x11, 0x00, 0x18];
const IPH_LEN = [20, 20, 40, 40, 19, 1, 39, 60, 0];
const TH_LEN = [20, 20, 40, 32, 19, 1, 60, 24, 0];

function frame(rand: () => number): Uint8Array {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const f = new Uint8Array(LEN).map(() => Math.floor(rand() * 256));
  const view = new DataView(f.buffer);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5], 0);
  const [src, sport, dst, dport] = pick(TUPLES);
  const six = src.includes(":");
  const udp = dport === 53 ? rand() < 0.8 : rand() < 0.1;
  f[14] = (rand() < 0.5 ? 1 : 0) | (udp ? 2 : 0);
  f[15] = pick(IPH_LEN);
  f[16] = pick(TH_LEN);
  f[17] = six ? 1 : 0;
  f.fill(0, 18, 56);
  if (six) {
    f.set(ip6(src), 20); f.set(ip6(dst), 36); view.setUint16(52, sport); view.setUint16(54, dport);
  } else {
    f.set(ip4(src), 20); f.set(ip4(dst), 24); view.setUint16(28, sport); view.setUint16(30, dport);
  }
  // IP version: mostly the tuple's, sometimes the other or a wrong one.
  const version = rand() < 0.7 ? (six ? 6 : 4) : pick([4, 6, 0, 5, 15]);
  f[56] = (version << 4) | (f[56]! & 0x0f);
  // TCP data offset: mostly th_len / 4.
  const doff = rand() < 0.7 ? Math.floor((f[16]! || 20) / 4) : Math.floor(rand() * 16);
  f[116 + 12] = (doff << 4) | (f[116 + 12]! & 0x0f);
  f[116 + 13] = pick(FLAGS);
  f.fill(0, 14 + 162, LEN);
  return f;
}

const CASES = (() => {
  const rand = rng(0x6e);
  return Array.from({ length: 2000 }, () => frame(rand));
})();

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const rcOf = (line: string): bigint => BigInt.asIntN(64, Buffer.from(line.split(" ")[1]!, "hex").readBigUInt64LE(190));

const PROGRAMS = [
  { name: "cookie_xdp", type: ProgType.XDP },
  { name: "cookie_tc", type: ProgType.SCHED_CLS },
] as const;

const runOurs = (name: string, engine: "interpreter" | "jit"): Promise<string[]> =>
  onSocketNet("syncookie", name, engine, (runner) => runner.runBatch(CASES, { results: true }).results!.map((r) => `${r.verdict} ${hex(r.packet)}`));

const netns = socketNetKernel("syncookie.test.ts");
const kernel = new SocketNetRunner();
afterAll(() => kernel.close());

function runKernel(name: string, type: number): string[] {
  const bridge = kernel.get();
  const prog = bridge.load(findProgram(fixtureObject("syncookie"), name).insns, { type, name });
  try {
    const verdicts = type === ProgType.XDP ? ["XDP_ABORTED", "XDP_DROP", "XDP_PASS"] : ["TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT"];
    return prog.testRunMany(CASES).map((r) => {
      expect(r.errno).toBe(0);
      return `${verdicts[r.retval] ?? r.retval} ${hex(r.data)}`;
    });
  } finally {
    prog.close();
  }
}

describe("bpf_tcp_check_syncookie (100) and bpf_tcp_gen_syncookie (110)", () => {
  for (const { name, type } of PROGRAMS) {
    it(`${name}: the interpreter and the JIT agree, and every answer occurs`, async () => {
      const interp = await runOurs(name, "interpreter");
      expect(await runOurs(name, "jit")).toEqual(interp);
      const found = interp.filter((line) => line.split(" ")[1]!.slice(352, 354) === "01");
      const rcs = new Set(found.map(rcOf));
      for (const rc of [-22n, -2n, -93n]) expect(rcs.has(rc), `r0 ${rc} occurs`).toBe(true);
      expect(found.length).toBeGreaterThan(1000);
    });

    it.skipIf(!netns.ok)(`${name}: the kernel answers the same for every frame`, async () => {
      const ours = await runOurs(name, "interpreter");
      const kernel = runKernel(name, type);
      const differ = ours.map((line, i) => [i, line, kernel[i]] as const).filter(([, a, b]) => a !== b);
      expect(differ.slice(0, 3).map(([i, a, b]) => `frame ${i}\n ours   ${a.slice(0, 420)}\n kernel ${b?.slice(0, 420)}`)).toEqual([]);
      expect(differ.length).toBe(0);
    });
  }
});
