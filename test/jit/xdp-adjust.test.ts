// xdp_adjust_head / _meta / _tail through their twins in the maps runtime (jit/lower/packet.ts,
// vm/helpers/packet/as/xdp-adjust.ts) against the TypeScript helpers the interpreter calls: two
// random adjustments a packet, on frames with and without metadata support, linear and with
// fragments (adjust_tail's twin leaves those to the JS helper), and with a ctx outside the memory
// — the same r0s, the same xdp_md afterwards, the same bytes, the same faults.

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

type Outcome = { r0: bigint; md: number[]; bytes: number[] } | { fault: string };

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
    return { r0, md, bytes: [...bytes.subarray(slot.packetSlot, slot.packetSlot + 2048)] };
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
