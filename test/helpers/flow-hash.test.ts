// get_hash_recalc and friends. The kernel's flow hash is seeded at random per boot, so its values
// cannot be compared; its properties can: same flow → same hash in both directions, another flow
// → another hash, computed once and kept until invalidated. Each property is checked on ours and,
// where bpf() is available, on the kernel's.

import { describe, expect, it } from "vitest";
import { flowHash, flowKeys, jhash, jhash2 } from "../../vm/helpers/packet/index.js";
import { kernel, kernelRunMany, load, low32, makeRig, runPacket } from "./harness.js";

describe("jhash", () => {
  it("matches lookup3's published vectors", () => {
    const text = new TextEncoder().encode("Four score and seven years ago");
    expect(jhash(new Uint8Array(0), 0)).toBe(0xdeadbeef);
    expect(jhash(new Uint8Array(0), 0xdeadbeef)).toBe(0xbd5b7dde);
    expect(jhash(text, 0)).toBe(0x17770551);
    expect(jhash(text, 1)).toBe(0xcd628161);
  });

  it("jhash2 over words is jhash over their little-endian bytes", () => {
    for (let n = 0; n <= 9; n++) {
      const words = Uint32Array.from({ length: n }, (_, i) => (i * 0x9e3779b9) >>> 0);
      expect(jhash2(words, 42), `${n} words`).toBe(jhash(new Uint8Array(words.buffer), 42));
    }
  });
});

/** Ethernet / IPv4 / TCP from a to b, ports sp → dp; `vlan` adds an 802.1Q tag. */
function tcp4(a: number[], b: number[], sp: number, dp: number, options: { vlan?: number; frag?: number; ihl?: number } = {}): Uint8Array {
  const tag = options.vlan === undefined ? [] : [0x81, 0x00, options.vlan >> 8, options.vlan & 0xff];
  const ip = [0x40 | (options.ihl ?? 5), 0, 0, 40, 0, 1, (options.frag ?? 0) >> 8, (options.frag ?? 0) & 0xff, 64, 6, 0, 0, ...a, ...b];
  const tcp = [sp >> 8, sp & 0xff, dp >> 8, dp & 0xff, ...new Array<number>(16).fill(0)];
  return Uint8Array.from([...new Array<number>(12).fill(0x02), ...tag, 0x08, 0x00, ...ip, ...tcp, ...new Array<number>(6).fill(0)]);
}

function udp6(label: number, sp: number, dp: number, reverse = false): Uint8Array {
  const a = Array.from({ length: 16 }, (_, i) => 0x20 + i);
  const b = Array.from({ length: 16 }, (_, i) => 0xf0 - i);
  const [src, dst] = reverse ? [b, a] : [a, b];
  const [s, d] = reverse ? [dp, sp] : [sp, dp];
  const ip = [0x60, (label >> 16) & 0x0f, (label >> 8) & 0xff, label & 0xff, 0, 8, 17, 64, ...src, ...dst];
  return Uint8Array.from([...new Array<number>(12).fill(0x02), 0x86, 0xdd, ...ip, s >> 8, s & 0xff, d >> 8, d & 0xff, 0, 8, 0, 0]);
}

const A = [10, 0, 0, 1];
const B = [10, 0, 0, 2];

describe("flow hash", () => {
  it("dissects Ethernet, VLAN, IPv4 / IPv6 and ports", () => {
    expect(flowKeys(tcp4(A, B, 1234, 80, { vlan: 7 }))).toMatchObject({ vlan: 7, nProto: 0x0800, ipProto: 6, src: [0x0a000001], dst: [0x0a000002], sport: 1234, dport: 80 });
    expect(flowKeys(tcp4(A, B, 1234, 80, { frag: 0x2000 }))).toMatchObject({ sport: 0, dport: 0 }); // MF: no ports
    expect(flowKeys(udp6(0, 53, 5353))).toMatchObject({ nProto: 0x86dd, ipProto: 17, sport: 53, dport: 5353, flowLabel: 0 });
    expect(flowKeys(udp6(0x12345, 53, 5353))).toMatchObject({ flowLabel: 0x12345, sport: 0, dport: 0 }); // stops at the label
    expect(flowKeys(new Uint8Array(10))).toMatchObject({ nProto: 0 });
  });

  it("is symmetric, flow-specific and never 0", () => {
    expect(flowHash(tcp4(A, B, 1234, 80))).toBe(flowHash(tcp4(B, A, 80, 1234)));
    expect(flowHash(udp6(0, 53, 5353))).toBe(flowHash(udp6(0, 53, 5353, true)));
    const hashes = new Set<number>();
    for (let port = 1000; port < 1200; port++) hashes.add(flowHash(tcp4(A, B, port, 80)));
    expect(hashes.size).toBe(200);
    expect(hashes.has(0)).toBe(false);
    expect(flowHash(tcp4(A, B, 1, 2, { vlan: 5 }))).not.toBe(flowHash(tcp4(A, B, 1, 2, { vlan: 6 })));
    expect(flowHash(tcp4(A, B, 1, 2), 1)).not.toBe(flowHash(tcp4(A, B, 1, 2), 2)); // the seed matters
  });
});

describe("get_hash_recalc", () => {
  const HASH = `call 34\nexit`;

  it.skipIf(!kernel.ok)("hashes like the kernel does: same per flow and direction-free, different across flows", async () => {
    const packets = [tcp4(A, B, 1234, 80), tcp4(B, A, 80, 1234), tcp4(A, B, 1235, 80), udp6(0, 53, 5353), udp6(0, 53, 5353, true), udp6(0, 54, 5353)];
    const theirs = kernelRunMany("sched_cls", HASH, packets).map((r) => r.retval);
    const rig = makeRig("sched_cls");
    const prog = await load(rig, HASH);
    const ours = packets.map((p) => low32(runPacket(rig, prog, p).r0));
    for (const hashes of [theirs, ours]) {
      expect(hashes[0]).toBe(hashes[1]);
      expect(hashes[0]).not.toBe(hashes[2]);
      expect(hashes[3]).toBe(hashes[4]);
      expect(hashes[3]).not.toBe(hashes[5]);
      expect(hashes.every((h) => h !== 0)).toBe(true);
    }
  });

  // __skb_flow_dissect stops at an IPv4 header whose ihl is below 5 (FLOW_DISSECT_RET_OUT_BAD)
  // before the protocol and the addresses: every such frame hashes alike, whatever its flow.
  it.skipIf(!kernel.ok)("hashes frames with a bad IPv4 header length alike, as the kernel does", async () => {
    const C = [192, 168, 7, 9];
    const packets = [tcp4(A, B, 1234, 80, { ihl: 0 }), tcp4(A, C, 1, 2, { ihl: 4 }), tcp4(B, C, 99, 98, { ihl: 3 }), tcp4(A, B, 1234, 80)];
    const theirs = kernelRunMany("sched_cls", HASH, packets).map((r) => r.retval);
    const rig = makeRig("sched_cls");
    const prog = await load(rig, HASH);
    const ours = packets.map((p) => low32(runPacket(rig, prog, p).r0));
    for (const hashes of [theirs, ours]) {
      expect(new Set(hashes.slice(0, 3)).size).toBe(1);
      expect(hashes[3]).not.toBe(hashes[0]);
    }
  });

  it.skipIf(!kernel.ok)("keeps the hash until it is invalidated, as the kernel does", async () => {
    // r7 = hash; rewrite the source port; r8 = hash again (cached); invalidate; r9 = new hash.
    // r0 = (r7 == r8) | (r8 != r9) << 1 | (stored __sk_buff.hash == r9) << 2
    const src = `
      mov %r6, %r1
      call 34
      mov %r7, %r0
      stdw [%r10-8], 0x3930
      mov %r1, %r6
      mov %r2, 34
      mov %r3, %r10
      add %r3, -8
      mov %r4, 2
      mov %r5, 0
      call 9
      mov %r1, %r6
      call 34
      mov %r8, %r0
      mov %r1, %r6
      call 41
      mov %r1, %r6
      call 34
      mov %r9, %r0
      mov %r0, 0
      jne %r7, %r8, 1
      or %r0, 1
      jeq %r8, %r9, 1
      or %r0, 2
      ldxw %r1, [%r6+68]
      jne %r1, %r9, 1
      or %r0, 4
      exit`;
    const packet = tcp4(A, B, 1234, 80);
    const [want] = kernelRunMany("sched_cls", src, [packet]);
    expect(want!.retval).toBe(7);
    const rig = makeRig("sched_cls");
    expect(runPacket(rig, await load(rig, src), packet).r0).toBe(7n);
  });
});
