// skb_pull_data (39), skb_load_bytes_relative (68), csum_update (40) against BPF_PROG_TEST_RUN:
// return codes, loaded bytes and the cleared buffer on errors, for tc and socket filters (whose
// test-run skb starts at the network header while the MAC header stays 14 bytes before it).
// Before these helpers existed, tc programs calling bpf_skb_pull_data (the usual first call
// before direct packet access) were rejected: "program of this type cannot use helper".

import { describe, expect, it } from "vitest";
import { ENGINES, expectKernelAgreement, kernel, kernelRunMany, load, low32, makeRig, neg, runPacket, type NetType } from "./harness.js";

/**
 * Fill 16 stack bytes with 0x77, load `len` (≤ 7) bytes at `offset` from header `start` into
 * them; r0 = (result & 0xff) | the first 7 stack bytes << 8, so both the code and what the helper
 * left in the buffer (bytes or zeros) compare.
 */
const RELATIVE = (offset: number, len: number, start: number) => `
  lddw %r2, 0x7777777777777777
  stxdw [%r10-16], %r2
  stxdw [%r10-8], %r2
  lddw %r2, ${offset}
  mov %r3, %r10
  add %r3, -16
  mov %r4, ${len}
  lddw %r5, ${start}
  call 68
  and %r0, 0xff
  ldxdw %r1, [%r10-16]
  lsh %r1, 8
  or %r0, %r1
  exit
`;

const PULL = (len: number) => `
  lddw %r2, ${len}
  call 39
  exit
`;

const CSUM_UPDATE = `
  mov %r2, 0x1234
  call 40
  exit
`;

const SIZES = [14, 20, 34, 60, 61, 128];
const frame = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
const packets = SIZES.map(frame);

const RELATIVE_CASES: ReadonlyArray<readonly [offset: number, len: number, start: number]> = [
  [0, 7, 0], [6, 4, 0], [12, 2, 0], [54, 7, 0], [57, 4, 0], [58, 4, 0], [60, 1, 0], [61, 1, 0],
  [0, 7, 1], [6, 4, 1], [40, 7, 1], [43, 4, 1], [44, 4, 1], [46, 1, 1], [47, 1, 1],
  [0xffff, 1, 0], [0x10000, 1, 0], [0xffffffff, 4, 1], [0, 4, 2], [0, 4, 0xffffffff], [12, 2, 0x100000000],
];

/**
 * r0 of every engine = the kernel's retval. (A socket filter's data_out is not comparable with
 * the rig's packet, as in skb-bytes.test.ts: only r0 compares, and r0 carries the bytes here.)
 */
async function agreeOnR0(type: NetType, source: string, label: (k: number) => string): Promise<number[]> {
  if (type !== "socket_filter") return (await expectKernelAgreement(type, source, packets, label)).map((r) => r.retval);
  const want = kernelRunMany(type, source, packets);
  for (const engine of ENGINES) {
    const rig = makeRig(type);
    const prog = await load(rig, source, engine);
    packets.forEach((p, k) => {
      expect(want[k]!.errno, `kernel refused ${label(k)}`).toBe(0);
      expect(low32(runPacket(rig, prog, p).r0), `${engine}, ${label(k)}`).toBe(want[k]!.retval);
    });
    prog.dispose();
  }
  return want.map((r) => r.retval);
}

describe("skb_load_bytes_relative against the kernel", () => {
  for (const type of ["sched_cls", "socket_filter"] as const satisfies readonly NetType[]) {
    it.skipIf(!kernel.ok)(`${type}: from the MAC and the network header, bounds, bad start_header`, async () => {
      const codes = new Set<number>();
      for (const [offset, len, start] of RELATIVE_CASES) {
        const retvals = await agreeOnR0(type, RELATIVE(offset, len, start), (k) => `offset ${offset} len ${len} start ${start}, ${SIZES[k]}-byte frame`);
        for (const r of retvals) codes.add((r & 0xff) << 24 >> 24);
      }
      expect(codes).toEqual(new Set([0, -14]));
    });
  }

  it("the MAC header is the frame's first byte and the network header its byte 14, wherever skb->data points", async () => {
    for (const [type, macFirst] of [["sched_cls", 0], ["socket_filter", 0]] as const) {
      const rig = makeRig(type);
      const prog = await load(rig, RELATIVE(0, 1, 0));
      const r0 = runPacket(rig, prog, frame(64)).r0;
      expect(Number((r0 >> 8n) & 0xffn), type).toBe(frame(64)[macFirst]);
      const net = runPacket(rig, await load(rig, RELATIVE(0, 1, 1)), frame(64)).r0;
      expect(Number((net >> 8n) & 0xffn), `${type} network header`).toBe(frame(64)[14]);
    }
  });
});

describe("skb_pull_data and csum_update against the kernel", () => {
  it.skipIf(!kernel.ok)("skb_pull_data: 0 up to skb->len (0 = the linear part), -ENOMEM past it", async () => {
    const codes = new Set<number>();
    for (const len of [0, 1, 14, 20, 60, 61, 128, 129, 0xffff, 0xffffffff, 0x100000014]) {
      for (const r of await expectKernelAgreement("sched_cls", PULL(len), packets, (k) => `len ${len}, ${SIZES[k]}-byte frame`)) codes.add(r.retval | 0);
    }
    expect(codes).toEqual(new Set([0, -12]));
  });

  it("skb_pull_data: the result without a kernel too", async () => {
    const rig = makeRig("sched_cls");
    expect(runPacket(rig, await load(rig, PULL(60)), frame(60)).r0).toBe(0n);
    expect(runPacket(rig, await load(rig, PULL(61)), frame(60)).r0).toBe(neg(12));
  });

  it.skipIf(!kernel.ok)("csum_update: -ENOTSUPP on a CHECKSUM_NONE skb", async () => {
    const runs = await expectKernelAgreement("sched_cls", CSUM_UPDATE, packets);
    expect(runs.map((r) => r.retval | 0)).toEqual(packets.map(() => -524));
    const rig = makeRig("sched_cls");
    expect(low32(runPacket(rig, await load(rig, CSUM_UPDATE), frame(60)).r0) | 0).toBe(-524);
  });
});
