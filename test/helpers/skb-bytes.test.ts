// skb_load_bytes / skb_store_bytes: bounds, flags and error codes against BPF_PROG_TEST_RUN
// (tc and socket-filter programs), and what a failed load leaves in the destination.

import { describe, expect, it } from "vitest";
import { expectKernelAgreement, kernel, kernelRunMany, load, low32, makeRig, neg, randomBytes, rng, runPacket } from "./harness.js";
import { LOAD_SOCKET, LOAD_TC, STORE } from "./programs.js";

const LENS = [1, 4, 7, 8, 13, 32] as const;




function pick<T>(next: () => number, xs: readonly T[]): T {
  return xs[next() % xs.length]!;
}

function offsetCases(seed: number, len: number, withFlags: boolean): Uint8Array[] {
  const next = rng(seed);
  return Array.from({ length: 60 }, () => {
    const size = pick(next, [48, 49, 64, 100, 1500]);
    const p = randomBytes(next, size);
    const v = new DataView(p.buffer);
    v.setUint32(0, pick(next, [0, 1, size - len, size - len + 1, size, size + 5, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, next() % (size + 8)]) >>> 0, true);
    v.setBigUint64(8, withFlags ? BigInt(pick(next, [0, 0, 1, 2, 3, 4, 0x10])) : 0n, true);
    return p;
  });
}

describe("skb_load_bytes / skb_store_bytes against the kernel", () => {
  for (const len of LENS) {
    it.skipIf(!kernel.ok)(`tc skb_load_bytes of ${len} bytes: results, loaded bytes and the cleared buffer on errors`, async () => {
      const packets = offsetCases(26 + len, len, false);
      const codes = new Set((await expectKernelAgreement("sched_cls", LOAD_TC(len), packets)).map((r) => r.retval | 0));
      expect(codes).toEqual(new Set([0, -14]));
    });

    it.skipIf(!kernel.ok)(`tc skb_store_bytes of ${len} bytes: results, flags and packet bytes`, async () => {
      const packets = offsetCases(9 + len, len, true);
      const codes = new Set((await expectKernelAgreement("sched_cls", STORE(len), packets)).map((r) => r.retval | 0));
      expect(codes).toEqual(new Set([0, -14, -22]));
    });
  }

  it.skipIf(!kernel.ok)("socket filter skb_load_bytes counts from the network header", async () => {
    const rig = makeRig("socket_filter");
    const packet = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
    for (const [offset, len] of [[0, 4], [46, 4], [47, 4], [49, 1], [50, 1], [0xffffffff, 4]] as const) {
      const src = LOAD_SOCKET(offset, len);
      const [want] = kernelRunMany("socket_filter", src, [packet]);
      expect(low32(runPacket(rig, await load(rig, src), packet).r0), `offset ${offset}`).toBe(want!.retval);
    }
  });
});

describe("skb_store_bytes", () => {
  it("BPF_F_INVALIDATE_HASH clears __sk_buff.hash; the other flags keep it", async () => {
    const rig = makeRig("sched_cls");
    const src = (flags: number) => `
      mov %r6, %r1
      mov %r2, 0xabcd
      call 48
      stdw [%r10-8], 0
      mov %r1, %r6
      mov %r2, 0
      mov %r3, %r10
      add %r3, -8
      mov %r4, 8
      mov %r5, ${flags}
      call 9
      ldxw %r0, [%r6+68]
      exit`;
    for (const [flags, hash] of [[2, 0], [0, 0xabcd], [1, 0xabcd], [3, 0]] as const) {
      expect(runPacket(rig, await load(rig, src(flags)), new Uint8Array(64)).r0, `flags ${flags}`).toBe(BigInt(hash));
      if (kernel.ok) expect(kernelRunMany("sched_cls", src(flags), [new Uint8Array(64)])[0]!.retval, `kernel, flags ${flags}`).toBe(hash);
    }
  });

  it("faults on a source outside the memory instead of reading it", async () => {
    const rig = makeRig("sched_cls");
    const prog = await load(rig, `mov %r2, 0\nlddw %r3, 0x7ffffff0\nmov %r4, 32\nmov %r5, 0\ncall 9\nexit`);
    expect(() => runPacket(rig, prog, new Uint8Array(64))).toThrow(/skb_store_bytes.*from 0x7ffffff0 \+ 32 bytes/);
  });
});

describe("skb_load_bytes", () => {
  it("zeroes the destination when the range is outside the packet", async () => {
    const rig = makeRig("sched_cls");
    const src = `stdw [%r10-8], -1\nmov %r2, 60\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 8\ncall 26\nldxdw %r1, [%r10-8]\nor %r0, %r1\nexit`;
    expect(runPacket(rig, await load(rig, src), new Uint8Array(64)).r0).toBe(neg(14));
    const src2 = `stdw [%r10-8], -1\nmov %r2, 56\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 8\ncall 26\nldxdw %r0, [%r10-8]\nexit`;
    expect(runPacket(rig, await load(rig, src2), new Uint8Array(64).fill(3)).r0).toBe(0x0303030303030303n);
  });
});
