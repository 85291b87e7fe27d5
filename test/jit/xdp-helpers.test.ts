// The XDP helpers JIT code calls in the maps runtime (jit/lower/packet.ts; twins in
// vm/helpers/packet/as/xdp-adjust.ts and xdp-bytes.ts) against the TypeScript helpers the
// interpreter calls, on frames with and without metadata support, linear and with fragments, and
// with a ctx outside the memory — the same r0s, the same xdp_md afterwards, the same bytes in the
// packet slot and on the stack, the same faults:
//   - xdp_adjust_head / _meta / _tail: two random adjustments a frame (adjust_tail's twin leaves
//     a frame with fragments to the JS helper);
//   - xdp_get_buff_len, then xdp_load_bytes or xdp_store_bytes at random offsets and lengths,
//     with the buffer on the stack, in the packet, in the null guard or anywhere.

import { describe, expect, it } from "vitest";
import type { JitProgram } from "../../jit/engine.js";
import type { LoadedProgram, Region } from "../../vm/engine.js";
import { setXdpFrame } from "../../vm/helpers/packet/xdp-frags.js";
import { CTX_SIZE } from "../../vm/memory/layout.js";
import { clearRecord } from "../../vm/runtime/record.js";
import { load, makeRig, rng, type Rig } from "../helpers/harness.js";

const HELPERS = { head: 44, meta: 54, tail: 65 } as const;
type Which = keyof typeof HELPERS;

/**
 * Two calls, each `which[k]` by the s32 offset at packet + 4k (read before either call), the
 * second's r0 in the high half of the result; a ctx of 0x800 (the null guard) when the byte at
 * +8 says so.
 */
function program(which: readonly [Which, Which]): string {
  return `
  mov %r6, %r1
  ldxw %r2, [%r6+0]
  ldxw %r3, [%r6+4]
  mov %r4, %r2
  add %r4, 16
  jgt %r4, %r3, short
  ldxw %r7, [%r2+0]
  ldxw %r8, [%r2+4]
  ldxb %r9, [%r2+8]
  mov %r1, %r6
  jne %r9, 0x42, ctx_ok
  mov %r1, 0x800
ctx_ok:
  mov %r2, %r7
  call ${HELPERS[which[0]]}
  mov %r9, %r0
  mov %r1, %r6
  mov %r2, %r8
  call ${HELPERS[which[1]]}
  lsh %r0, 32
  and %r9, 0xffffffff
  or %r0, %r9
  exit
short:
  mov %r0, 0xdead
  exit`;
}

interface Case {
  readonly packet: Uint8Array;
  /** data_meta = data + 1 (no metadata support) instead of data. */
  readonly noMeta: boolean;
  /** Bytes of the frame past the linear part (fragments). */
  readonly frags: number;
}

function cases(seed: number, count: number): Case[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const offsets = [0, -1, -4, -8, -14, -20, -32, -200, -216, -217, -256, -1000, 4, 8, 14, 20, 64, 100, 1400, 3000, 0x7fffffff, -0x80000000];
  return Array.from({ length: count }, () => {
    const size = pick([16, 30, 60, 64, 200, 1500]);
    const packet = Uint8Array.from({ length: size }, () => next() & 0xff);
    const v = new DataView(packet.buffer);
    v.setInt32(0, next() % 6 === 0 ? next() | 0 : pick(offsets), true);
    v.setInt32(4, next() % 6 === 0 ? next() | 0 : pick(offsets), true);
    packet[8] = next() % 20 === 0 ? 0x42 : 0;
    return { packet, noMeta: next() % 4 === 0, frags: next() % 5 === 0 ? pick([1, 100, 4096, 5000]) : 0 };
  });
}

type Outcome = { r0: bigint; md: number[]; bytes: number[]; stack: number[] } | { fault: string };

/** Run as BPF_PROG_TEST_RUN would set the frame up, then read the xdp_md back (relative) and the slot's bytes. */
function outcome(rig: Rig, prog: LoadedProgram, c: Case, cpu: number): Outcome {
  const slot = rig.layout.cpu(cpu);
  const bytes = new Uint8Array(rig.memory.buffer);
  const view = new DataView(rig.memory.buffer);
  bytes.fill(0xa5, slot.packetSlot, slot.packetEnd); // not zeros: a grown tail must be zeroed by the helper
  bytes.fill(0, slot.ctx, slot.ctx + CTX_SIZE);
  clearRecord(bytes, slot);
  const data = slot.packetData;
  bytes.set(c.packet, data);
  const end = setXdpFrame(view, slot, data, c.packet.length + c.frags, data + c.packet.length);
  view.setUint32(slot.ctx + 0, data, true);
  view.setUint32(slot.ctx + 4, end, true);
  view.setUint32(slot.ctx + 8, c.noMeta ? data + 1 : data, true);
  try {
    const regions: Region[] = [
      { start: slot.packetSlot, end: slot.packetEnd, writable: true, name: "packet" },
      { start: slot.ctx, end: slot.ctx + CTX_SIZE, writable: false, name: "ctx" },
    ];
    const r0 = prog.run({ args: [BigInt(slot.ctx)], cpu, regions });
    const md = [0, 4, 8].map((at) => view.getUint32(slot.ctx + at, true) - slot.packetSlot);
    return { r0, md, bytes: [...bytes.subarray(slot.packetSlot, slot.packetSlot + 2048)], stack: [...bytes.subarray(slot.stackTop - 256, slot.stackTop)] };
  } catch (err) {
    return { fault: (err as Error).message };
  }
}

describe("JIT XDP adjust helpers in the maps runtime", () => {
  const pairs: Array<[Which, Which]> = [["head", "tail"], ["meta", "head"], ["tail", "meta"], ["head", "head"]];
  for (const pair of pairs) {
    it(`adjust_${pair[0]} then adjust_${pair[1]}: 600 random frames on two CPUs give the interpreter's results`, async () => {
      const interpRig = makeRig("xdp", { maps: true });
      const jitRig = makeRig("xdp", { maps: true });
      const source = program(pair);
      const interp = await load(interpRig, source, "interpreter");
      const jit = (await load(jitRig, source, "jit")) as JitProgram;
      for (const which of pair) expect(jit.compiled.plan.mapExports).toContain(`xdp_adjust_${which}`);
      const seen = new Set<string>();
      cases(HELPERS[pair[0]] * 100 + HELPERS[pair[1]], 600).forEach((c, k) => {
        const cpu = k % 2;
        const want = outcome(interpRig, interp, c, cpu);
        expect(outcome(jitRig, jit, c, cpu), `case ${k}`).toEqual(want);
        seen.add("fault" in want ? "fault" : String(BigInt.asIntN(32, want.r0 & 0xffffffffn)));
      });
      // Successes, refusals and faults were all reached.
      expect(seen).toContain("0");
      expect(seen).toContain("fault");
      expect(seen.size).toBeGreaterThanOrEqual(3);
    });
  }
});

/**
 * xdp_get_buff_len, then `call` (189 load, 190 store) with offset and length from the u32s at
 * +0 and +4 and the buffer by the byte at +8 (0: the stack at r10 - 256, filled with a pattern
 * first; 1: the packet at +20; 2: the null guard; 3: the u64 at +12); a ctx of 0x800 when the
 * byte at +9 says so. r0 = the copy's result, the length in the high half.
 */
function bytesProgram(call: 189 | 190): string {
  return `
  mov %r6, %r1
  ldxw %r2, [%r6+0]
  ldxw %r3, [%r6+4]
  mov %r4, %r2
  add %r4, 20
  jgt %r4, %r3, short
  mov %r9, %r2
  lddw %r1, 0x0123456789abcdef
${Array.from({ length: 32 }, (_, k) => `  stxdw [%r10-${256 - 8 * k}], %r1`).join("\n")}
  mov %r1, %r6
  call 188
  mov %r8, %r0
  ldxb %r7, [%r9+8]
  mov %r3, %r10
  add %r3, -256
  jeq %r7, 0, buf
  mov %r3, %r9
  add %r3, 20
  jeq %r7, 1, buf
  mov %r3, 0x800
  jeq %r7, 2, buf
  ldxdw %r3, [%r9+12]
buf:
  mov %r1, %r6
  ldxb %r7, [%r9+9]
  jne %r7, 0x42, ctx_ok
  mov %r1, 0x800
ctx_ok:
  ldxw %r2, [%r9+0]
  ldxw %r4, [%r9+4]
  call ${call}
  and %r0, 0xffffffff
  lsh %r8, 32
  or %r0, %r8
  exit
short:
  mov %r0, 0xdead
  exit`;
}

function bytesCases(seed: number, count: number): Case[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  return Array.from({ length: count }, () => {
    const size = pick([20, 60, 64, 200, 1500]);
    const packet = Uint8Array.from({ length: size }, () => next() & 0xff);
    const v = new DataView(packet.buffer);
    const frags = next() % 4 === 0 ? pick([1, 100, 4096, 5000]) : 0;
    v.setUint32(0, pick([0, 1, 14, 20, size - 8, size - 1, size, size + 1, size + frags - 4, 0xffff, 0x10000, next()]) >>> 0, true);
    v.setUint32(4, pick([0, 1, 4, 8, 14, 64, 200, 256, 0xffff, 0x10000, next()]) >>> 0, true);
    packet[8] = pick([0, 0, 0, 1, 2, 3]);
    packet[9] = next() % 20 === 0 ? 0x42 : 0;
    v.setBigUint64(12, pick([0n, 0x2000n, BigInt(next()), (BigInt(next()) << 32n) | BigInt(next())]), true);
    return { packet, noMeta: false, frags };
  });
}

describe("JIT xdp_get_buff_len and xdp_load / store_bytes in the maps runtime", () => {
  for (const call of [189, 190] as const) {
    const name = call === 189 ? "xdp_load_bytes" : "xdp_store_bytes";
    it(`${name}: 1,000 random calls on two CPUs give the interpreter's results`, async () => {
      const interpRig = makeRig("xdp", { maps: true });
      const jitRig = makeRig("xdp", { maps: true });
      const source = bytesProgram(call);
      const interp = await load(interpRig, source, "interpreter");
      const jit = (await load(jitRig, source, "jit")) as JitProgram;
      expect(jit.compiled.plan.mapExports).toEqual(expect.arrayContaining(["xdp_get_buff_len", name]));
      const seen = new Set<string>();
      bytesCases(call, 1000).forEach((c, k) => {
        const cpu = k % 2;
        const want = outcome(interpRig, interp, c, cpu);
        expect(outcome(jitRig, jit, c, cpu), `case ${k}`).toEqual(want);
        seen.add("fault" in want ? "fault" : String(BigInt.asIntN(32, want.r0 & 0xffffffffn)));
      });
      // Copies, -EFAULT, -EINVAL and faults were all reached.
      for (const kind of ["0", "-14", "-22", "fault"]) expect(seen, `${name} reached ${kind}`).toContain(kind);
    });
  }
});
