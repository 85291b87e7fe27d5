// bpf_for_each_map_elem (helper 164) on the interpreter and the JIT (every optimisation level,
// Binaryen's validator on): the cases test/runtime/for-each.test.ts does not compare with the
// kernel — nested walks (each keeps its own array key), a walk whose callback empties a hash map,
// an empty map, per-CPU values on another CPU, a map pointer only known at run time, and the
// faults of programs the verifier would refuse (run unverified, as engines allow).

import { describe, expect, it } from "vitest";
import { keySlotOffset } from "../../vm/helpers/for-each.js";
import type { MapSpec } from "../../vm/maps/types.js";
import { SCRATCH_SIZE } from "../../vm/memory/layout.js";
import { ENGINE_NAMES, frame, load, machine, outcome, u32, u64 } from "./runtime.js";

const MAPS: MapSpec[] = [
  { name: "a", type: "array", keySize: 4, valueSize: 8, maxEntries: 5 },
  { name: "h", type: "hash", keySize: 4, valueSize: 8, maxEntries: 16 },
  { name: "pa", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 3 },
  { name: "e", type: "hash", keySize: 8, valueSize: 8, maxEntries: 4 },
  { name: "rb", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096 },
];
const FD = { a: 0, h: 1, pa: 2, e: 3, rb: 4 };

/** r0 of `source` run once on `cpu` of a fresh machine with MAPS (a = 10, 20, ..; h = {k: k * 100}, k = 1..6; pa = 7, 8, 9 on CPU 1). */
async function run(engine: (typeof ENGINE_NAMES)[number], source: string, cpu = 0, opt?: 0 | 1 | 2 | 3): Promise<{ r0: string; h: number }> {
  const m = machine("xdp", MAPS);
  const a = m.maps.keyed("a");
  for (let k = 0; k < 5; k++) a.update(u32(k), u64(BigInt(10 * (k + 1))));
  const h = m.maps.keyed("h");
  for (let k = 1; k <= 6; k++) h.update(u32(k), u64(BigInt(k * 100)));
  m.maps.perCpu("pa").update(u32(0), [u64(0n), u64(7n)]);
  m.maps.perCpu("pa").update(u32(1), [u64(0n), u64(8n)]);
  m.maps.perCpu("pa").update(u32(2), [u64(0n), u64(9n)]);
  const prog = await load(engine, m, source, engine === "jit" && opt !== undefined ? { opt } : undefined);
  try {
    const slot = m.layout.cpu(cpu);
    new Uint8Array(m.memory.buffer).set(frame(), slot.packetData);
    const r0 = outcome(() => prog.run({ args: [0n], cpu, regions: [{ start: m.layout.mapsBase, end: m.layout.mapsBase + m.layout.mapsSize, writable: true, name: "maps" }] }));
    return { r0, h: [...h.keys()].length };
  } finally {
    prog.dispose();
  }
}

/** Both engines (the JIT at every level) give `want`. */
async function agree(source: string, want: string, cpu = 0): Promise<void> {
  for (const engine of ENGINE_NAMES) {
    const levels = engine === "jit" ? ([0, 1, 3] as const) : ([undefined] as const);
    for (const opt of levels) expect((await run(engine, source, cpu, opt)).r0, `${engine}${opt === undefined ? "" : ` opt ${opt}`}`).toBe(want);
  }
}

/** A walk of map `fd` with callback `cb` and callback_ctx = fp-8 (zeroed); r0 = (calls << 32) | *ctx. */
const walk = (fd: number, cb: string, flags = 0): string => `
  stdw [%r10-8], 0
  lddw %r1, map_fd ${fd}
  lddw %r2, func ${cb}
  mov %r3, %r10
  add %r3, -8
  mov %r4, ${flags}
  call 164
  lsh %r0, 32
  ldxdw %r1, [%r10-8]
  add %r0, %r1
  exit`;

describe("bpf_for_each_map_elem on both engines", () => {
  it("the array keys' slots are the last 32 bytes of each CPU's scratch area (vm/memory/layout.ts)", () => {
    const m = machine("xdp", MAPS, { cpus: 3 });
    for (let c = 0; c < 3; c++) {
      const cpu = m.layout.cpu(c);
      expect(cpu.stackTop + keySlotOffset(0)).toBe(cpu.scratch + SCRATCH_SIZE - 32);
      expect(cpu.stackTop + keySlotOffset(7) + 4).toBe(cpu.scratch + SCRATCH_SIZE);
    }
  });

  it("an array walk gives each index as the key and the value in index order; stop-after-N", async () => {
    // *ctx = *ctx * 10 + key for keys 0, 1, 2, 3 (123); stops at the value 40 (index 3): 4 calls.
    await agree(`${walk(FD.a, "cb")}
    cb:
      ldxdw %r5, [%r4+0]
      mul %r5, 10
      ldxw %r0, [%r2+0]
      add %r5, %r0
      stxdw [%r4+0], %r5
      ldxdw %r0, [%r3+0]
      jeq %r0, 40, +2
      mov %r0, 0
      exit
      mov %r0, 1
      exit`, "0x4" + (123).toString(16).padStart(8, "0"));
  });

  it("nested walks: an inner array walk in the outer callback leaves the outer key as it was", async () => {
    // For each outer index i: run an inner walk over the same array (5 calls), then add the
    // outer key read again through r2: the sum of i + 5 for i = 0..4 = 35.
    await agree(`${walk(FD.a, "outer")}
    outer:
      mov %r6, %r2
      mov %r7, %r4
      lddw %r2, func inner
      mov %r3, 0
      mov %r4, 0
      call 164
      ldxw %r1, [%r6+0]
      add %r0, %r1
      ldxdw %r1, [%r7+0]
      add %r1, %r0
      stxdw [%r7+0], %r1
      mov %r0, 0
      exit
    inner:
      mov %r0, 0
      exit`, "0x5" + (35).toString(16).padStart(8, "0"));
  });

  it("a hash walk's callback deletes every element: all are visited once, the map ends empty", async () => {
    // *ctx += key * value: 1*100 + ... + 6*600 = 9100.
    for (const engine of ENGINE_NAMES) {
      const r = await run(engine, `${walk(FD.h, "cb")}
      cb:
        mov %r6, %r2
        mov %r7, %r4
        ldxw %r0, [%r2+0]
        ldxdw %r5, [%r3+0]
        mul %r0, %r5
        ldxdw %r5, [%r4+0]
        add %r5, %r0
        stxdw [%r4+0], %r5
        mov %r2, %r6
        call 3
        mov %r0, 0
        exit`);
      expect(r, engine).toEqual({ r0: "0x6" + (9100).toString(16).padStart(8, "0"), h: 0 });
    }
  });

  it("an empty hash map: no call, r0 = 0; flags other than 0: -EINVAL, no call", async () => {
    const cb = `
    cb:
      stdw [%r4+0], 99
      mov %r0, 0
      exit`;
    await agree(`${walk(FD.e, "cb")}${cb}`, "0x0");
    await agree(`${walk(FD.a, "cb", 2)}${cb}`, "0x" + (-22n << 32n & 0xffff_ffff_ffff_ffffn).toString(16));
  });

  it("a per-CPU array gives the running CPU's values", async () => {
    const src = `${walk(FD.pa, "cb")}
    cb:
      ldxdw %r5, [%r4+0]
      ldxdw %r0, [%r3+0]
      add %r5, %r0
      stxdw [%r4+0], %r5
      mov %r0, 0
      exit`;
    await agree(src, "0x300000018", 1);
    await agree(src, "0x300000000", 0);
  });

  it("a map pointer known only at run time: the JIT's arms pick the map", async () => {
    // r1 = a when r6 is 0, else h (r6 = the run's r1 argument, 0, or a constant 1); the callback
    // does nothing: r0 = the element count, 5 or 6.
    const src = (pick: string): string => `
      ${pick}
      lddw %r1, map_fd ${FD.a}
      jeq %r6, 0, +2
      lddw %r1, map_fd ${FD.h}
      lddw %r2, func cb
      mov %r3, 0
      mov %r4, 0
      call 164
      exit
    cb:
      mov %r0, 0
      exit`;
    await agree(src("mov %r6, %r1"), "0x5");
    await agree(src("mov %r6, 1"), "0x6");
  });

  it("more (map, callback) pairs than the JIT compiles walks for: the walks shared by the maps", async () => {
    // One call, as clang merges `switch`es over maps and callbacks: r1 one of a / h (bit 0 of
    // r6), r2 one of 17 callbacks (r6 >> 1), r6 unknown to the JIT (the run's r1 argument + a
    // constant). 4 candidate maps × 17 callbacks > 64 pairs. Callback k adds value + k to the
    // sum at fp-8: r0 = (calls << 32) | sum.
    const N = 17;
    const pick = Array.from({ length: N - 1 }, (_, k) => `
      jne %r7, ${k}, +2
      lddw %r2, func cb${k}`).join("");
    const callbacks = Array.from({ length: N }, (_, k) => `
    cb${k}:
      ldxdw %r5, [%r3+0]
      add %r5, ${k}
      ldxdw %r0, [%r4+0]
      add %r0, %r5
      stxdw [%r4+0], %r0
      mov %r0, 0
      exit`).join("");
    const src = (sel: number): string => `
      mov %r6, %r1
      add %r6, ${sel}
      stdw [%r10-8], 0
      lddw %r1, map_fd ${FD.a}
      mov %r7, %r6
      and %r7, 1
      jeq %r7, 0, +2
      lddw %r1, map_fd ${FD.h}
      mov %r7, %r6
      rsh %r7, 1
      lddw %r2, func cb${N - 1}${pick}
      mov %r3, %r10
      add %r3, -8
      mov %r4, 0
      call 164
      lsh %r0, 32
      ldxdw %r1, [%r10-8]
      or %r0, %r1
      exit
    ${callbacks}`;
    const want = (sel: number): string => {
      const k = Math.min(sel >> 1, N - 1);
      return (sel & 1) === 0 ? `0x5${(150 + 5 * k).toString(16).padStart(8, "0")}` : `0x6${(2100 + 6 * k).toString(16).padStart(8, "0")}`;
    };
    for (const sel of [0, 1, 6, 33, 40]) await agree(src(sel), want(sel));
  });

  it("faults where the verifier would refuse: r1 not a map with a walk, r2 not a callback", async () => {
    const notMap = `
      mov %r1, 4096
      lddw %r2, func cb
      mov %r3, 0
      mov %r4, 0
      call 164
      exit
    cb:
      mov %r0, 0
      exit`;
    const ringbuf = notMap.replace("mov %r1, 4096", `lddw %r1, map_fd ${FD.rb}`);
    const notCallback = notMap.replace("lddw %r2, func cb", "mov %r2, 7").replace("mov %r1, 4096", `lddw %r1, map_fd ${FD.a}`);
    for (const [src, why] of [[notMap, /R1 \(0x1000\) is not a map pointer of this machine/], [ringbuf, /cannot pass map_type 27|callback function not allowed for map/], [notCallback, /R2 \(0x7\) is not the address of a callback|not the address of a callback/]] as const) {
      const outcomes = await Promise.all(ENGINE_NAMES.map(async (e) => (await run(e, src)).r0));
      for (const o of outcomes) expect(o).toMatch(why);
    }
  });
});

