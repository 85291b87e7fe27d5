// csum_diff, l3_csum_replace, l4_csum_replace: the arithmetic on its own (RFC 1071 / 1624), then
// the helpers against BPF_PROG_TEST_RUN over random arguments, then a real header rewrite whose
// checksums must verify afterwards.

import { describe, expect, it } from "vitest";
import { csumFold, csumFrom32to16, csumPartial, csumReplace2, csumReplace4 } from "../../vm/helpers/packet/index.js";
import { expectKernelAgreement, kernel, kernelRunMany, load, makeRig, neg, randomBytes, rng, runPacket } from "./harness.js";
import { CSUM_DIFF, CSUM_REPLACE } from "./programs.js";

/** The RFC 1071 sum of `bytes` as a network-order number (big-endian 16-bit words). */
function rfc1071(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}
const swap16 = (v: number): number => ((v & 0xff) << 8) | (v >>> 8);

describe("checksum arithmetic", () => {
  it("sums as RFC 1071 does, in memory byte order", () => {
    // RFC 1071 section 3's example: the sum of 0001 f203 f4f5 f6f7 is ddf2.
    const bytes = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(swap16(csumFrom32to16(csumPartial(bytes, 0, 8, 0)))).toBe(0xddf2);
    const next = rng(7);
    for (let n = 0; n < 200; n++) {
      const b = randomBytes(next, next() % 80);
      const start = next() % 8; // any alignment
      const data = b.subarray(Math.min(start, b.length));
      const padded = new Uint8Array(b.length + 8);
      padded.set(data, 3);
      const ours = csumFrom32to16(csumPartial(padded, 3, data.length, 0));
      const want = rfc1071(data);
      // Ones' complement has two zeros; compare modulo 0xffff.
      expect(swap16(ours) % 0xffff).toBe(want % 0xffff);
    }
  });

  it("keeps the kernel's representative of zero", () => {
    expect(csumPartial(new Uint8Array(8), 0, 8, 0)).toBe(0);
    expect(csumPartial(Uint8Array.from([0xff, 0xff, 0xff, 0xff]), 0, 4, 0)).toBe(0xffffffff);
    expect(csumFrom32to16(0)).toBe(0);
    expect(csumFrom32to16(0xffffffff)).toBe(0xffff);
    expect(csumFold(0)).toBe(0xffff);
  });

  it("updates a field incrementally as recomputing it would (RFC 1624)", () => {
    const next = rng(11);
    for (let n = 0; n < 200; n++) {
      const header = randomBytes(next, 20);
      header[10] = 0;
      header[11] = 0;
      const field = swap16(~rfc1071(header) & 0xffff); // as stored, read little-endian
      const at = 2 * (next() % 10);
      if (at === 10) continue;
      const old16 = header[at]! | (header[at + 1]! << 8);
      const new16 = next() & 0xffff;
      header[at] = new16 & 0xff;
      header[at + 1] = new16 >>> 8;
      const want = swap16(~rfc1071(header) & 0xffff);
      expect(csumReplace2(field, old16, new16) % 0xffff).toBe(want % 0xffff);
      expect(csumReplace4(field, old16, new16) % 0xffff).toBe(want % 0xffff);
    }
  });
});



function pick<T>(next: () => number, xs: readonly T[]): T {
  return xs[next() % xs.length]!;
}

function csumDiffCases(): Uint8Array[] {
  const next = rng(28);
  return Array.from({ length: 300 }, (_, n) => {
    const p = randomBytes(next, 128 + (next() % 16));
    const v = new DataView(p.buffer);
    p[0] = pick(next, [0, 4, 8, 3, 1, 63, next()]);
    p[1] = pick(next, [0, 4, 8, 2, 7, 63, next()]);
    if (n % 7 === 0) p.fill(0, 16, 128); // all-zero data: the zero representatives
    if (n % 11 === 0) p.copyWithin(60, 16, 80); // from == to
    v.setBigUint64(8, pick(next, [0n, 0xffffffffn, 0x1_0000_0000n, BigInt(next()), (BigInt(next()) << 32n) | BigInt(next())]), true);
    return p;
  });
}

function replaceCases(l4: boolean): Uint8Array[] {
  const next = rng(l4 ? 11 : 10);
  return Array.from({ length: 400 }, () => {
    const len = pick(next, [32, 40, 64, 100, 1500]);
    const p = randomBytes(next, len);
    const v = new DataView(p.buffer);
    const size = pick(next, [0, 2, 4, 2, 4, 1, 3, 8]);
    const extra = l4 ? pick(next, [0, 0x10, 0x20, 0x40, 0x60, 0x30, 0x80, 0x70, 0xf0, 0x100]) : pick(next, [0, 0, 0, 0x10, 0x100]);
    const offset = pick(next, [32, 34, 40, len - 2, len - 1, len, len + 2, 33, 0x10000, 0xfffe, 2 * (16 + (next() % ((len - 34) / 2)))]);
    v.setUint32(0, offset, true);
    const small = size === 2 ? 0xffff : 0xffffffff;
    const from = size === 0 ? pick(next, [0, 0, 0, 1, 0x1_0000_0000]) : pick(next, [next() & small, 0, next() * 2 ** 32 + (next() & small)]);
    const to = pick(next, [next() & small, 0, 0xffff, next() * 2 ** 32 + (next() & small)]);
    v.setBigUint64(8, BigInt(from), true);
    v.setBigUint64(16, BigInt(to), true);
    v.setBigUint64(24, BigInt(size | extra), true);
    if (offset + 2 <= len && next() % 3 === 0) v.setUint16(offset, pick(next, [0, 0xffff, 0xfffe, 1]), true);
    return p;
  });
}

describe("checksum helpers against the kernel", () => {
  it.skipIf(!kernel.ok)("csum_diff: 300 random push / pull / diff cases give the kernel's r0 on both engines", async () => {
    const packets = csumDiffCases();
    await expectKernelAgreement("xdp", CSUM_DIFF, packets, (k) => `case ${k}: sizes ${packets[k]![0]! & 63}/${packets[k]![1]! & 63}`);
    // The result is folded to 16 bits, so all of r0 is compared: its high bits are 0.
    const rig = makeRig("xdp");
    const prog = await load(rig, CSUM_DIFF);
    for (const p of packets) expect(runPacket(rig, prog, p).r0 >> 16n).toBe(0n);
  });

  it.skipIf(!kernel.ok)("csum_diff with NULL buffers of size 0 returns the folded seed", async () => {
    const src = (seed: string) => `mov %r1, 0\nmov %r2, 0\nmov %r3, 0\nmov %r4, 0\nlddw %r5, ${seed}\ncall 28\nexit`;
    const rig = makeRig("xdp");
    for (const seed of ["0", "0x12345678", "0x1234567890", "0xffffffff", "0xffff0000"]) {
      const [want] = kernelRunMany("xdp", src(seed), [new Uint8Array(64)]);
      expect(runPacket(rig, await load(rig, src(seed)), new Uint8Array(64)).r0, `seed ${seed}`).toBe(BigInt(want!.retval));
    }
  });

  for (const [name, id] of [["l3_csum_replace", 10], ["l4_csum_replace", 11]] as const) {
    it.skipIf(!kernel.ok)(`${name}: 400 random offsets / sizes / flags give the kernel's r0 and bytes on both engines`, async () => {
      const packets = replaceCases(id === 11);
      const flags = (k: number) => `case ${k}: flags 0x${new DataView(packets[k]!.buffer).getUint32(24, true).toString(16)}`;
      const results = new Set((await expectKernelAgreement("sched_cls", CSUM_REPLACE(id), packets, flags)).map((r) => r.retval | 0));
      expect(results).toEqual(new Set([0, -14, -22])); // success, -EFAULT, -EINVAL all reached
    });
  }
});

describe("checksum helpers on a real header", () => {
  /** Ethernet + IPv4 + UDP with correct checksums; the UDP checksum covers the pseudo header. */
  function udpPacket(): Uint8Array {
    const p = new Uint8Array(14 + 20 + 8 + 12);
    const v = new DataView(p.buffer);
    v.setUint16(12, 0x0800);
    p.set([0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
    v.setUint16(34, 5000);
    v.setUint16(36, 53);
    v.setUint16(38, 20);
    p.set(new TextEncoder().encode("hello, world"), 42);
    v.setUint16(24, ~rfc1071(p.subarray(14, 34)) & 0xffff);
    v.setUint16(40, udpSum(p));
    return p;
  }
  function udpSum(p: Uint8Array): number {
    const pseudo = new Uint8Array(12 + 20);
    pseudo.set(p.subarray(26, 34), 0);
    pseudo[9] = 17;
    pseudo[11] = 20;
    pseudo.set(p.subarray(34, 54), 12);
    pseudo[12 + 6] = 0;
    pseudo[12 + 7] = 0;
    return ~rfc1071(pseudo) & 0xffff;
  }

  it("rewriting the destination address with skb_store_bytes + l3/l4_csum_replace keeps both checksums valid", async () => {
    // New daddr 192.168.7.9 on the stack; old one loaded from the packet; replace with size 4
    // and BPF_F_PSEUDO_HDR for the UDP checksum (the address is in its pseudo header).
    const src = `
      mov %r6, %r1
      ldxw %r2, [%r6+76]
      ldxw %r3, [%r6+80]
      mov %r4, %r2
      add %r4, 54
      jgt %r4, %r3, out
      ldxw %r7, [%r2+30]
      lddw %r8, 0x0907a8c0
      stxw [%r10-4], %r8
      mov %r1, %r6
      mov %r2, 30
      mov %r3, %r10
      add %r3, -4
      mov %r4, 4
      mov %r5, 0
      call 9
      mov %r1, %r6
      mov %r2, 24
      mov %r3, %r7
      mov %r4, %r8
      mov %r5, 4
      call 10
      mov %r1, %r6
      mov %r2, 40
      mov %r3, %r7
      mov %r4, %r8
      mov %r5, 0x14
      call 11
    out:
      exit`;
    const rig = makeRig("sched_cls");
    const run = runPacket(rig, await load(rig, src), udpPacket());
    expect(run.r0).toBe(0n);
    expect([...run.data.subarray(30, 34)]).toEqual([192, 168, 7, 9]);
    expect(rfc1071(run.data.subarray(14, 34))).toBe(0xffff); // the header sums to all-ones
    const v = new DataView(run.data.buffer, run.data.byteOffset);
    expect(v.getUint16(40)).toBe(udpSum(run.data));
  });

  it("BPF_F_MARK_MANGLED_0 leaves a zero UDP checksum alone and never writes 0", async () => {
    const src = (sum: string, flags: number) => `
      mov %r6, %r1
      ldxw %r2, [%r6+76]
      ldxw %r3, [%r6+80]
      mov %r4, %r2
      add %r4, 54
      jgt %r4, %r3, out
      sth [%r2+40], ${sum}
      mov %r1, %r6
      mov %r2, 40
      mov %r3, 0x1234
      mov %r4, 0x1235
      mov %r5, ${flags}
      call 11
    out:
      exit`;
    const rig = makeRig("sched_cls");
    const field = async (sum: string, flags: number) => new DataView(runPacket(rig, await load(rig, src(sum, flags)), udpPacket()).data.buffer).getUint16(40, true);
    expect(await field("0", 0x22)).toBe(0); // not mangled: "no checksum" stays
    expect(await field("0", 0x62)).not.toBe(0); // BPF_F_MARK_ENFORCE: updated anyway, never to 0
    // A change that makes the checksum 0 becomes CSUM_MANGLED_0: ~(~1 - 0x1234 + 0x1235) = 0.
    expect(await field("1", 0x22)).toBe(0xffff);
    expect(await field("1", 0x02)).toBe(0);
  });

  it("returns the kernel's error codes in the kernel's order", async () => {
    const rig = makeRig("sched_cls");
    const call = async (id: number, offset: number, from: number, flags: number) =>
      runPacket(rig, await load(rig, `mov %r2, ${offset}\nmov %r3, ${from}\nmov %r4, 0\nmov %r5, ${flags}\ncall ${id}\nexit`), new Uint8Array(64)).r0;
    expect(await call(10, 63, 0, 0x10)).toBe(neg(22)); // flags first
    expect(await call(10, 63, 0, 1)).toBe(neg(14)); // then odd offset (size 1 passes the mask)
    expect(await call(10, 64, 5, 0)).toBe(neg(14)); // then the packet's end
    expect(await call(10, 24, 5, 0)).toBe(neg(22)); // then from != 0 for a diff
    expect(await call(10, 24, 0, 1)).toBe(neg(22)); // and sizes other than 0, 2, 4
    expect(await call(11, 24, 0, 0x100)).toBe(neg(22));
    expect(await call(11, 24, 0, 0x80)).toBe(0n); // BPF_F_IPV6 is known to 6.18
  });
});
