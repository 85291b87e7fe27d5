// The packet helpers JIT code calls in the maps runtime (jit/lower/packet.ts,
// vm/helpers/packet/as/index.ts) against the TypeScript helpers the interpreter calls: over random
// arguments — offsets at and past the packet's ends, every flag, pointers into the stack, into the
// packet itself, into the null guard and outside the memory — the same r0, the same packet, stack
// and __sk_buff.hash afterwards, and the same fault when a pointer is bad (the export answers
// PACKET_SLOW and the JIT calls the TypeScript helper). No kernel needed; test/helpers (csum,
// skb-bytes) also hold the runtime's helpers to BPF_PROG_TEST_RUN.

import { describe, expect, it } from "vitest";
import { load, makeRig, neg, rng, runPacket, type Rig } from "../helpers/harness.js";
import type { LoadedProgram } from "../../vm/engine.js";
import type { JitProgram } from "../../jit/engine.js";

/**
 * Each helper, its pointer registers (r1 the ctx of the skb helpers, the memory arguments) and
 * the kinds of result the random calls must reach.
 */
const HELPERS = [
  { id: 26, name: "skb_load_bytes", pointers: ["ctx", 3], reached: ["fault", "0", "EFAULT"] },
  { id: 9, name: "skb_store_bytes", pointers: ["ctx", 3], reached: ["fault", "0", "EFAULT", "EINVAL"] },
  { id: 10, name: "l3_csum_replace", pointers: ["ctx"], reached: ["fault", "0", "EFAULT", "EINVAL"] },
  { id: 11, name: "l4_csum_replace", pointers: ["ctx"], reached: ["fault", "0", "EFAULT", "EINVAL"] },
  { id: 28, name: "csum_diff", pointers: [1, 3], reached: ["fault", "value"] },
  { id: 39, name: "skb_pull_data", pointers: ["ctx"], reached: ["fault", "0", "ENOMEM"] },
  { id: 40, name: "csum_update", pointers: ["ctx"], reached: ["fault", "ENOTSUPP"] },
  { id: 68, name: "skb_load_bytes_relative", pointers: ["ctx", 3], reached: ["fault", "0", "EFAULT"] },
] as const;

const ERRNO = new Map([[neg(12), "ENOMEM"], [neg(524), "ENOTSUPP"]]);
const PACKET_MIN = 128;
/** Where the program copies what it observed: the stack area the pointers reach, then the hash. */
const OUT = 64;

/**
 * Registers from the packet: r2..r5 = the u64s at +0, +8, +16, +24; pointer registers chosen by
 * the mode bytes at +32.. (0: the stack at r10 - 256, or the ctx for "ctx"; 1: the packet at
 * +40, or the ctx; 2: inside the null guard; 3: the u64 at +8 as it is). Afterwards 64 bytes of that stack area and __sk_buff.hash are
 * copied into the packet at +64, so the comparison of packets compares them too.
 */
function program(id: number, pointers: readonly (number | "ctx")[]): string {
  const pointer = (p: number | "ctx", k: number): string => {
    const reg = p === "ctx" ? 1 : p;
    return `
  ldxb %r7, [%r9+${32 + k}]
  and %r7, 3
  ${p === "ctx" ? `mov %r1, %r6\n  jle %r7, 1, p${k}` : `mov %r${reg}, %r10
  add %r${reg}, -256
  jeq %r7, 0, p${k}
  mov %r${reg}, %r9
  add %r${reg}, 40
  jeq %r7, 1, p${k}`}
  mov %r${reg}, 0x800
  jeq %r7, 2, p${k}
  ldxdw %r${reg}, [%r9+8]
p${k}:`;
  };
  const stack = Array.from({ length: 8 }, (_, k) => `  ldxdw %r1, [%r10-${256 - 8 * k}]\n  stxdw [%r9+${OUT + 8 * k}], %r1`).join("\n");
  return `
  mov %r6, %r1
  ldxw %r9, [%r6+76]
  ldxw %r3, [%r6+80]
  mov %r4, %r9
  add %r4, ${PACKET_MIN}
  jgt %r4, %r3, short
  lddw %r1, 0x5a5a5a5a5a5a5a5a
${Array.from({ length: 8 }, (_, k) => `  stxdw [%r10-${256 - 8 * k}], %r1`).join("\n")}
  ldxdw %r2, [%r9+0]
  ldxdw %r3, [%r9+8]
  ldxdw %r4, [%r9+16]
  ldxdw %r5, [%r9+24]
  mov %r1, %r6
${pointers.map((p, k) => pointer(p, k)).join("\n")}
  call ${id}
  mov %r8, %r0
${stack}
  ldxw %r1, [%r6+68]
  stxw [%r9+${OUT + 64}], %r1
  mov %r0, %r8
  exit
short:
  mov %r0, 0xdead
  exit`;
}

function pick<T>(next: () => number, xs: readonly T[]): T {
  return xs[next() % xs.length]!;
}

const u64 = (next: () => number): bigint => (BigInt(next()) << 32n) | BigInt(next());

/** A packet whose first bytes are the arguments (see program()). */
function cases(seed: number, count: number): Uint8Array[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => {
    const size = pick(next, [PACKET_MIN, PACKET_MIN + 1, 200, 1500]);
    const p = Uint8Array.from({ length: size }, () => next() & 0xff);
    const v = new DataView(p.buffer);
    const offsets = [0, 1, 2, 10, 12, 24, 40, size - 2, size - 1, size, size + 1, 0xfffe, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
    v.setBigUint64(0, next() % 8 === 0 ? u64(next) : BigInt(pick(next, offsets) >>> 0), true);
    v.setBigUint64(8, pick(next, [0n, 0n, 4n, 0xabcdn, 0x12345678n, u64(next)]), true);
    v.setBigUint64(16, pick(next, [0n, 1n, 2n, 4n, 7n, 8n, 16n, 63n, 64n, 200n, (1n << 32n) | 4n, 0x12345678n, u64(next)]), true);
    const flags = [0, 1, 2, 3, 4, 5, 0x10, 0x12, 0x14, 0x20, 0x22, 0x24, 0x34, 0x40, 0x60, 0x64, 0x74, 0x80, 0x84, 0x94, 0x100];
    v.setBigUint64(24, next() % 10 === 0 ? u64(next) : BigInt(pick(next, flags)), true);
    p[32] = pick(next, [0, 0, 0, 1, 2, 3]);
    p[33] = pick(next, [0, 0, 0, 1, 2, 3]);
    p[34] = pick(next, [0, 0, 0, 1, 2, 3]);
    return p;
  });
}

type Outcome = { r0: bigint; data: Uint8Array } | { fault: string };

function outcome(rig: Rig, prog: LoadedProgram, packet: Uint8Array): Outcome {
  try {
    const { r0, data } = runPacket(rig, prog, packet);
    return { r0, data };
  } catch (err) {
    return { fault: (err as Error).message };
  }
}

describe("JIT packet helpers in the maps runtime", () => {
  for (const { id, name, pointers, reached } of HELPERS) {
    it(`${name}: 1,500 random calls give the interpreter's r0, bytes and faults`, async () => {
      const source = program(id, pointers);
      const interpRig = makeRig("sched_cls");
      const jitRig = makeRig("sched_cls", { maps: true });
      const interp = await load(interpRig, source, "interpreter");
      const jit = (await load(jitRig, source, "jit")) as JitProgram;
      // The call goes to the runtime's export, with the JS helper only behind PACKET_SLOW.
      expect(jit.compiled.plan.mapExports).toContain(name);
      const seen = new Set<string>();
      cases(id * 1000 + 7, 1500).forEach((packet, k) => {
        const want = outcome(interpRig, interp, packet);
        const got = outcome(jitRig, jit, packet);
        expect(got, `case ${k}`).toEqual(want);
        seen.add("fault" in want ? "fault" : want.r0 === 0n ? "0" : want.r0 === neg(14) ? "EFAULT" : want.r0 === neg(22) ? "EINVAL" : ERRNO.get(want.r0) ?? "value");
      });
      // Both paths and every kind of result were reached.
      for (const kind of reached) expect(seen, `${name} reached ${kind}`).toContain(kind);
    });
  }
});
