// xdp_adjust_head / meta / tail: the kernel's limits and error codes, checked against
// BPF_PROG_TEST_RUN, plus what only our layout decides (slots per CPU, packets outside a slot).

import { describe, expect, it } from "vitest";
import { BpfRuntimeError } from "../../vm/errors.js";
import { PACKET_HEADROOM } from "../../vm/memory/layout.js";
import { expectKernelAgreement, kernel, load, makeRig, neg, randomBytes, rng, runAsIs, runPacket, writeXdpMd } from "./harness.js";
import { ADJUST_ALL } from "./programs.js";

const EINVAL = 22;
const EACCES = 13;
const ENOTSUPP = 524;


function adjustPacket(next: () => number, meta: number, head: number, tail: number, len: number): Uint8Array {
  const p = randomBytes(next, Math.max(len, 12));
  const v = new DataView(p.buffer);
  v.setInt32(0, meta, true);
  v.setInt32(4, head, true);
  v.setInt32(8, tail, true);
  return p;
}

function pick<T>(next: () => number, xs: readonly T[]): T {
  return xs[next() % xs.length]!;
}

/** Offsets around every limit: the xdp_frame, ETH_HLEN, the 255-byte meta cap, the frame's end. */
function adjustCases(): Uint8Array[] {
  const next = rng(0x44);
  const cases: Uint8Array[] = [];
  for (let n = 0; n < 400; n++) {
    const len = pick(next, [14, 15, 20, 60, 64, 100, 1500, 3264]);
    const meta = pick(next, [0, 0, -4, -8, -32, -36, -212, -216, -220, -2, -3, 4, -(next() % 260)]);
    const metaLen = meta <= 0 && meta >= -216 && meta % 4 === 0 ? -meta : 0;
    const head = pick(next, [0, -216 + metaLen, -217 + metaLen, -1, 1, len - 14, len - 13, 100, -(next() % 300), next() % (len + 20)]);
    const newLen = Math.max(14, len - head);
    const tail = pick(next, [0, 10, -(newLen - 14), -(newLen - 13), 3520 - newLen, 3521 - newLen, 3776 - 256 - newLen, next() % 4000, -(next() % 200)]);
    cases.push(adjustPacket(next, meta, head, tail, len));
  }
  return cases;
}

describe("xdp_adjust_* against the kernel", () => {
  it.skipIf(!kernel.ok)("gives the kernel's results and packet bytes over 400 random boundary cases, on both engines", async () => {
    const packets = adjustCases();
    const outcomes = new Set((await expectKernelAgreement("xdp", ADJUST_ALL, packets)).map((r) => r.retval));
    // The cases reach success and every error of each helper (result bytes: meta, head, tail).
    const seen = (shift: number) => new Set([...outcomes].map((r) => (r >> shift) & 0xff));
    expect(seen(0)).toEqual(new Set([0, 0xea, 0xf3]));
    expect(seen(8)).toEqual(new Set([0, 0xea]));
    expect(seen(16)).toEqual(new Set([0, 0xea]));
  });
});

describe("xdp_adjust_head", () => {
  const HEAD = (off: number) => `mov %r2, ${off}\ncall 44\nexit`;

  it("grows into the headroom up to the xdp_frame and shrinks to ETH_HLEN", async () => {
    const rig = makeRig("xdp");
    const packet = Uint8Array.from({ length: 64 }, (_, i) => i);
    const cases: Array<[number, bigint, number]> = [
      [-(PACKET_HEADROOM - 40), 0n, 64 + 216],
      [-(PACKET_HEADROOM - 39), neg(EINVAL), 64],
      [50, 0n, 14],
      [51, neg(EINVAL), 64],
      [0, 0n, 64],
    ];
    for (const [off, r0, len] of cases) {
      const run = runPacket(rig, await load(rig, HEAD(off)), packet);
      expect(run.r0, `offset ${off}`).toBe(r0);
      expect(run.data.length, `offset ${off}`).toBe(len);
    }
    // Shrinking keeps the tail bytes; growing exposes headroom bytes in front of them.
    const shrunk = runPacket(rig, await load(rig, HEAD(50)), packet);
    expect([...shrunk.data]).toEqual([...packet.subarray(50)]);
  });

  it("takes the offset as a signed 32-bit int", async () => {
    const rig = makeRig("xdp");
    // 0x1_0000_0004 → 4; 0xffff_fffc → -4.
    const src = `lddw %r2, 0x100000004\ncall 44\nexit`;
    expect(runPacket(rig, await load(rig, src), new Uint8Array(64)).data.length).toBe(60);
    const src2 = `lddw %r2, 0xfffffffc\ncall 44\nexit`;
    expect(runPacket(rig, await load(rig, src2), new Uint8Array(64)).data.length).toBe(68);
  });

  it("moves the metadata with the data", async () => {
    const rig = makeRig("xdp");
    const src = `
      mov %r6, %r1
      mov %r2, -8
      call 54
      ldxw %r2, [%r6+8]
      ldxw %r3, [%r6+0]
      mov %r4, %r2
      add %r4, 8
      jgt %r4, %r3, out
      stdw [%r2+0], 0x11223344
      mov %r1, %r6
      mov %r2, 4
      call 44
    out:
      exit`;
    const run = runPacket(rig, await load(rig, src), Uint8Array.from({ length: 64 }, (_, i) => i));
    expect(run.r0).toBe(0n);
    expect([...run.meta]).toEqual([0x44, 0x33, 0x22, 0x11, 0, 0, 0, 0]);
    expect([...run.data.subarray(0, 4)]).toEqual([4, 5, 6, 7]);
  });

  it("works in each CPU's own slot", async () => {
    const rig = makeRig("xdp", { cpus: 3 });
    const prog = await load(rig, HEAD(-16));
    for (const cpu of [0, 1, 2]) {
      const run = runPacket(rig, prog, new Uint8Array(40).fill(cpu + 1), cpu);
      expect(run.r0).toBe(0n);
      expect(run.data.length).toBe(56);
      expect(new DataView(rig.memory.buffer).getUint32(run.ctx, true)).toBe(rig.layout.cpu(cpu).packetData - 16);
    }
  });

  it("refuses a packet outside the CPU's packet slot with a runtime error", async () => {
    const rig = makeRig("xdp", { cpus: 2 });
    const prog = await load(rig, HEAD(-4));
    const other = rig.layout.cpu(1).packetData; // CPU 1's packet, run on CPU 0
    writeXdpMd(rig, 0, other, other + 64);
    expect(() => runAsIs(rig, prog, 0)).toThrow(BpfRuntimeError);
    expect(() => runAsIs(rig, prog, 0)).toThrow(/xdp_adjust_head.*not in CPU 0's packet slot/);
  });
});

describe("xdp_adjust_meta", () => {
  const META = (off: number) => `mov %r2, ${off}\ncall 54\nexit`;

  it("allows 4-aligned metadata up to the frame (the 6.18 cap is 255 bytes, not 32)", async () => {
    const rig = makeRig("xdp");
    const cases: Array<[number, bigint]> = [
      [-4, 0n], [-32, 0n], [-36, 0n], [-216, 0n], [-220, neg(EINVAL)], [-2, neg(EACCES)], [4, neg(EINVAL)], [0, 0n],
    ];
    for (const [off, r0] of cases) {
      expect(runPacket(rig, await load(rig, META(off)), new Uint8Array(64)).r0, `offset ${off}`).toBe(r0);
    }
  });

  it("is -ENOTSUPP when the buffer has no metadata support (data_meta > data)", async () => {
    const rig = makeRig("xdp");
    const data = rig.layout.cpu(0).packetData;
    writeXdpMd(rig, 0, data, data + 64, data + 1);
    expect(runAsIs(rig, await load(rig, META(-4)))).toBe(neg(ENOTSUPP));
  });
});

describe("xdp_adjust_tail", () => {
  const TAIL = (off: number) => `mov %r2, ${off}\ncall 65\nexit`;

  it("grows up to the slot's end, zeroing what it exposes, and shrinks to ETH_HLEN", async () => {
    const rig = makeRig("xdp", { packetMax: 1000 });
    const slot = rig.layout.cpu(0);
    const room = slot.packetEnd - slot.packetData - 64; // 1000 + 256 - 64
    const bytes = new Uint8Array(rig.memory.buffer);
    bytes.fill(0x5a, slot.packetData + 64, slot.packetEnd); // stale bytes behind the packet
    writeXdpMd(rig, 0, slot.packetData, slot.packetData + 64);
    expect(runAsIs(rig, await load(rig, TAIL(room)))).toBe(0n);
    expect(new DataView(rig.memory.buffer).getUint32(slot.ctx + 4, true)).toBe(slot.packetEnd);
    expect(bytes.subarray(slot.packetData + 64, slot.packetEnd).every((b) => b === 0)).toBe(true);
    expect(runPacket(rig, await load(rig, TAIL(room + 1)), new Uint8Array(64)).r0).toBe(neg(EINVAL));
    expect(runPacket(rig, await load(rig, TAIL(-50)), new Uint8Array(64)).data.length).toBe(14);
    expect(runPacket(rig, await load(rig, TAIL(-51)), new Uint8Array(64)).r0).toBe(neg(EINVAL));
  });
});
