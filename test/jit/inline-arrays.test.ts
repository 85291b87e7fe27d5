// ARRAY and PERCPU_ARRAY lookups of a map known at compile time are inlined by the JIT
// (lower/maps.ts; vm/maps/descriptor.ts: values + cpu * cpuStride + i * valueStride, NULL past
// max_entries): the addresses must be exactly the runtime's, per CPU, with NULL for every index
// out of range, and writes through them must be what user space reads per CPU.

import { describe, expect, it } from "vitest";
import { ENGINE_NAMES, frame, machine, planOf, readU64, runner, u32, type EngineName } from "./runtime.js";

const MAPS = [
  { name: "a", type: "array", keySize: 4, valueSize: 12, maxEntries: 5 },
  { name: "pc", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 3 },
] as const;

/** lookup(fd, key = the u32 at [r10-4], set from `key`): the address, 0 for NULL. */
const lookupAt = (fd: number, key: number): string =>
  `stw [%r10-4], ${key}\nlddw %r1, map_fd ${fd}\nmov %r2, %r10\nadd %r2, -4\ncall 1\nexit`;

describe("inlined array lookups", () => {
  it("the formula's address for every index, NULL from max_entries up (also 0xffffffff and -1)", async () => {
    const m = machine("xdp", [...MAPS], { cpus: 3 });
    const a = m.maps.describe()[0]!;
    for (const key of [0, 1, 4, 5, 6, 0x7fffffff, -1]) {
      const r = await runner("jit", m, lookupAt(0, key));
      const want = key >= 0 && key < a.maxEntries ? BigInt(a.values + key * a.valueStride) : 0n;
      expect(r.run(frame()).retval, `key ${key}`).toBe(want);
      expect(planOf(r.program)).toMatchObject({ helpers: [], mapExports: [] });
    }
    expect(a.valueStride).toBe(16); // 12 rounded up to 8: strides are not value sizes
  });

  it("per-CPU arrays: each CPU's own plane; the runtime call (inlineArrays: false) agrees", async () => {
    const m = machine("xdp", [...MAPS], { cpus: 3 });
    const pc = m.maps.describe()[1]!;
    for (const cpu of [0, 1, 2]) {
      for (const key of [0, 2, 3]) {
        const want = key < pc.maxEntries ? BigInt(pc.values + cpu * pc.cpuStride + key * pc.valueStride) : 0n;
        const inlined = await runner("jit", m, lookupAt(1, key), { cpu });
        const called = await runner("jit", m, lookupAt(1, key), { cpu }, { inlineArrays: false });
        expect(inlined.run(frame()).retval, `cpu ${cpu} key ${key}`).toBe(want);
        expect(called.run(frame()).retval, `cpu ${cpu} key ${key}`).toBe(want);
        expect(planOf(called.program).mapExports).toEqual(["map_lookup"]);
      }
    }
  });

  it.each(ENGINE_NAMES)("per-CPU counters written through the pointer are what user space reads per CPU (%s)", async (name: EngineName) => {
    const m = machine("xdp", [...MAPS], { cpus: 3 });
    // pc[1] += cpu + 1, on the CPU the run is on.
    const source = `
      stw [%r10-4], 1
      lddw %r1, map_fd 1
      mov %r2, %r10
      add %r2, -4
      call 1
      jeq %r0, 0, out
      call 8
      add %r0, 1
      mov %r1, %r0
      stw [%r10-4], 1
      lddw %r2, map_fd 1
      mov %r6, %r1
      mov %r1, %r2
      mov %r2, %r10
      add %r2, -4
      call 1
      lock add [%r0], %r6
      out:
      mov %r0, 2
      exit`;
    for (const [cpu, runs] of [[0, 3], [1, 5], [2, 7]] as const) {
      const r = await runner(name, m, source, { cpu });
      for (let k = 0; k < runs; k++) r.run(frame());
    }
    const values = m.maps.perCpu("pc").lookup(u32(1))!.map((v) => readU64(v));
    expect(values).toEqual([3n, 10n, 21n]);
  });
});
