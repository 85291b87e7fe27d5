// Map helpers from JIT code: the maps runtime's exports called wasm-to-wasm (and array lookups
// inlined) give the same r0 at every step, and leave the same bytes in the maps arena, as the
// interpreter calling the same exports through its JS helpers — for every map type and helper,
// their error codes, and the faults of what the verifier would refuse.

import { describe, expect, it } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import type { MapSpec } from "../../vm/maps/types.js";
import { MAP_HELPER_EXPORTS } from "../../jit/map-exports.js";
import { agree, machine, planOf, type Step } from "./runtime.js";

const MAPS: MapSpec[] = [
  { name: "h", type: "hash", keySize: 4, valueSize: 8, maxEntries: 2 },
  { name: "a", type: "array", keySize: 4, valueSize: 8, maxEntries: 4 },
  { name: "pc", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 2 },
  { name: "ph", type: "percpu_hash", keySize: 4, valueSize: 8, maxEntries: 8 },
  { name: "lru", type: "lru_hash", keySize: 4, valueSize: 8, maxEntries: 4 },
  { name: "q", type: "queue", keySize: 0, valueSize: 8, maxEntries: 3 },
  { name: "s", type: "stack", keySize: 0, valueSize: 8, maxEntries: 3 },
  { name: "rb", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096 },
  { name: "lpm", type: "lpm_trie", keySize: 8, valueSize: 8, maxEntries: 8, flags: abi.BPF_F_NO_PREALLOC },
];
const FD = { h: 0, a: 1, pc: 2, ph: 3, lru: 4, q: 5, s: 6, rb: 7, lpm: 8 };

const key = (k: number): string => `stw [%r10-4], ${k}\nmov %r2, %r10\nadd %r2, -4`;
/** *(u64 *)lookup(fd, k), or 0xdead for NULL. */
const lookup = (fd: number, k: number, cpu = 0): Step => ({
  source: `${key(k)}\nlddw %r1, map_fd ${fd}\ncall 1\njeq %r0, 0, null\nldxdw %r0, [%r0]\nexit\nnull:\nmov %r0, 0xdead\nexit`,
  cpu,
});
/** The address lookup(fd, k) returns (addresses agree: both machines have the same layout). */
const address = (fd: number, k: number, cpu = 0): Step => ({ source: `${key(k)}\nlddw %r1, map_fd ${fd}\ncall 1\nexit`, cpu });
const update = (fd: number, k: number, value: number, flags: number, cpu = 0): Step => ({
  source: `${key(k)}\nstdw [%r10-16], ${value}\nmov %r3, %r10\nadd %r3, -16\nmov %r4, ${flags}\nlddw %r1, map_fd ${fd}\ncall 2\nexit`,
  cpu,
});
const remove = (fd: number, k: number): Step => ({ source: `${key(k)}\nlddw %r1, map_fd ${fd}\ncall 3\nexit` });
const push = (fd: number, value: number, flags = 0): Step => ({
  source: `stdw [%r10-8], ${value}\nmov %r2, %r10\nadd %r2, -8\nmov %r3, ${flags}\nlddw %r1, map_fd ${fd}\ncall 87\nexit`,
});
/** pop (88) or peek (89): r0, or the value when r0 is 0. */
const take = (fd: number, id: 88 | 89): Step => ({
  source: `stdw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -8\nlddw %r1, map_fd ${fd}\ncall ${id}\njne %r0, 0, out\nldxdw %r0, [%r10-8]\nout:\nexit`,
});

describe("map helpers: the JIT's wasm-to-wasm calls agree with the interpreter", () => {
  it("hash, array, per-CPU array and hash, LRU: lookups, updates with every flag, deletes", async () => {
    const steps: Step[] = [
      lookup(FD.h, 1), update(FD.h, 1, 100, abi.BPF_ANY), lookup(FD.h, 1), update(FD.h, 1, 101, abi.BPF_NOEXIST),
      update(FD.h, 2, 200, abi.BPF_EXIST), update(FD.h, 2, 200, abi.BPF_NOEXIST), update(FD.h, 3, 300, abi.BPF_ANY),
      update(FD.h, 1, 1, 8), remove(FD.h, 1), remove(FD.h, 1), lookup(FD.h, 1), address(FD.h, 2),
      update(FD.a, 3, 33, abi.BPF_ANY), lookup(FD.a, 3), lookup(FD.a, 4), update(FD.a, 4, 1, abi.BPF_ANY),
      update(FD.a, 0, 1, abi.BPF_NOEXIST), remove(FD.a, 0), address(FD.a, 2),
      update(FD.pc, 1, 10, abi.BPF_ANY, 0), update(FD.pc, 1, 11, abi.BPF_ANY, 1), lookup(FD.pc, 1, 0), lookup(FD.pc, 1, 1),
      address(FD.pc, 1, 0), address(FD.pc, 1, 1), lookup(FD.pc, 2, 1),
      update(FD.ph, 7, 70, abi.BPF_ANY, 0), update(FD.ph, 7, 71, abi.BPF_EXIST, 1), lookup(FD.ph, 7, 0), lookup(FD.ph, 7, 1),
      ...[1, 2, 3, 4, 5, 6].map((k) => update(FD.lru, k, k * 10, abi.BPF_ANY)), lookup(FD.lru, 1), lookup(FD.lru, 6),
    ];
    const { outcomes, jitPrograms } = await agree("xdp", MAPS, steps);
    expect(outcomes.slice(0, 3)).toEqual(["0xdead", "0x0", "0x64"]);
    expect(outcomes[14]).toBe("0xdead"); // array index past max_entries: NULL
    expect(outcomes.slice(21, 23)).toEqual(["0xa", "0xb"]); // per-CPU values by CPU
    // The fast path was taken: no map helper went through JS, array lookups were inlined.
    for (const p of jitPrograms) expect(planOf(p).helpers).toEqual([]);
    expect(planOf(jitPrograms[2]!).mapExports).toEqual(["hash_lookup"]); // a known HASH: its typed lookup
    expect(planOf(jitPrograms[13]!).mapExports).toEqual([]);
    expect(planOf(jitPrograms[21]!).mapExports).toEqual([]);
  });

  it("queue and stack push / pop / peek, LPM trie updates and longest-prefix lookups", async () => {
    const lpmKey = (prefix: number, a: number, b: number): string =>
      `stw [%r10-8], ${prefix}\nstb [%r10-4], ${a}\nstb [%r10-3], ${b}\nstb [%r10-2], 0\nstb [%r10-1], 0\nmov %r2, %r10\nadd %r2, -8`;
    const lpmUpdate = (prefix: number, a: number, b: number, value: number): Step => ({
      source: `${lpmKey(prefix, a, b)}\nstdw [%r10-16], ${value}\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\nlddw %r1, map_fd ${FD.lpm}\ncall 2\nexit`,
    });
    const lpmLookup = (a: number, b: number): Step => ({
      source: `${lpmKey(32, a, b)}\nlddw %r1, map_fd ${FD.lpm}\ncall 1\njeq %r0, 0, null\nldxdw %r0, [%r0]\nexit\nnull:\nmov %r0, 0xdead\nexit`,
    });
    const steps: Step[] = [
      push(FD.q, 1), push(FD.q, 2), push(FD.q, 3), push(FD.q, 4), push(FD.q, 5, abi.BPF_EXIST), take(FD.q, 89), take(FD.q, 88),
      take(FD.q, 88), take(FD.q, 88), take(FD.q, 88), push(FD.s, 7), push(FD.s, 8), take(FD.s, 89), take(FD.s, 88), take(FD.s, 88),
      take(FD.s, 88), push(FD.q, 9, 7),
      lpmUpdate(8, 10, 0, 1), lpmUpdate(16, 10, 1, 2), lpmLookup(10, 1), lpmLookup(10, 2), lpmLookup(11, 1),
    ];
    const { outcomes, jitPrograms } = await agree("xdp", MAPS, steps);
    expect(outcomes.slice(19, 22)).toEqual(["0x2", "0x1", "0xdead"]);
    expect(planOf(jitPrograms[0]!).mapExports).toEqual(["map_push"]);
    for (const p of jitPrograms) expect(planOf(p).helpers).toEqual([]);
  });

  it("ring buffer: reserve, write, submit and discard; output; query", async () => {
    const reserve = (size: number, then: "submit" | "discard"): Step => ({
      source: `lddw %r1, map_fd ${FD.rb}\nmov %r2, ${size}\nmov %r3, 0\ncall 131\njeq %r0, 0, null\nmov %r6, %r0\nstdw [%r0], 0x1234\nmov %r1, %r6\nmov %r2, 0\ncall ${then === "submit" ? 132 : 133}\nmov %r0, %r6\nexit\nnull:\nmov %r0, 0xdead\nexit`,
    });
    const output = (size: number, flags = 0): Step => ({
      source: `stdw [%r10-16], 0x55\nstdw [%r10-8], 0x66\nlddw %r1, map_fd ${FD.rb}\nmov %r2, %r10\nadd %r2, -16\nmov %r3, ${size}\nmov %r4, ${flags}\ncall 130\nexit`,
    });
    const query = (flags: number): Step => ({ source: `lddw %r1, map_fd ${FD.rb}\nmov %r2, ${flags}\ncall 134\nexit` });
    const steps: Step[] = [
      reserve(8, "submit"), reserve(16, "discard"), output(16), output(0), output(8, 4), reserve(8000, "submit"),
      query(abi.BPF_RB_AVAIL_DATA), query(abi.BPF_RB_RING_SIZE), query(abi.BPF_RB_CONS_POS), query(abi.BPF_RB_PROD_POS), query(9),
    ];
    const { outcomes, jitPrograms, machines } = await agree("xdp", MAPS, steps);
    expect(outcomes[5]).toBe("0xdead"); // larger than the ring
    expect(outcomes[7]).toBe("0x1000");
    expect(planOf(jitPrograms[0]!).mapExports).toEqual(["ringbuf_reserve", "ringbuf_submit"]);
    // A record is checked at run time (live, in a ring): only a failed check calls the JS helper.
    expect(planOf(jitPrograms[0]!).helpers).toEqual([132]);
    for (const k of [2, 3, 4, 6, 7, 8, 9, 10]) expect(planOf(jitPrograms[k]!).helpers).toEqual([]);
    // The consumer reads the same records from both.
    const drain = (name: "interpreter" | "jit"): number[][] => machines[name].maps.ringbuf("rb").drain().map((b) => [...b]);
    expect(drain("jit")).toEqual(drain("interpreter"));
  });

  it("a map pointer hoisted out of a loop is still known (facts join over the loop's back edge)", async () => {
    const source = `
      lddw %r6, map_fd ${FD.a}
      mov %r7, 0
      mov %r8, 0
      loop:
      stxw [%r10-4], %r7
      mov %r1, %r6
      mov %r2, %r10
      add %r2, -4
      call 1
      jeq %r0, 0, next
      ldxdw %r1, [%r0]
      add %r8, %r1
      next:
      add %r7, 1
      jlt %r7, 6, loop
      mov %r0, %r8
      exit`;
    const setup = (m: Parameters<Parameters<typeof agree>[3] & object>[0]): void => {
      for (let k = 0; k < 4; k++) m.maps.keyed("a").update(new Uint8Array([k, 0, 0, 0]), new Uint8Array([k + 1, 0, 0, 0, 0, 0, 0, 0]));
    };
    const { outcomes, jitPrograms } = await agree("xdp", MAPS, [{ source }], setup);
    expect(outcomes).toEqual(["0xa"]);
    expect(planOf(jitPrograms[0]!)).toMatchObject({ helpers: [], mapExports: [] }); // inlined
  });

  it("an unknown map pointer (spilled to the stack) is checked in wasm, then calls the runtime", async () => {
    const spilled = (fd: number, k: number): Step => ({
      source: `lddw %r1, map_fd ${fd}\nstxdw [%r10-16], %r1\n${key(k)}\nldxdw %r1, [%r10-16]\ncall 1\njeq %r0, 0, null\nldxdw %r0, [%r0]\nexit\nnull:\nmov %r0, 0xdead\nexit`,
    });
    const { outcomes, jitPrograms } = await agree("xdp", MAPS, [update(FD.h, 1, 5, 0), spilled(FD.h, 1), spilled(FD.a, 9), spilled(FD.h, 3)]);
    expect(outcomes.slice(1)).toEqual(["0x5", "0xdead", "0xdead"]);
    // Guarded fast path: the runtime export is imported, and the JS helper for the failing check.
    expect(planOf(jitPrograms[1]!)).toMatchObject({ helpers: [1], mapExports: ["map_lookup"] });
  });

  it("faults where the interpreter faults: not a map, a map of the wrong type, a null key, a bad record", async () => {
    const steps: Step[] = [
      { source: `mov %r1, 0x40000\n${key(1)}\ncall 1\nexit` },
      { source: `lddw %r1, map_fd ${FD.q}\n${key(1)}\ncall 1\nexit` },
      { source: `lddw %r1, map_fd ${FD.h}\nmov %r2, 0\ncall 1\nexit` },
      { source: `lddw %r1, map_fd ${FD.h}\n${key(1)}\nmov %r3, 16\ncall 2\nexit` },
      { source: `mov %r1, %r10\nadd %r1, -8\nmov %r2, 0\ncall 132\nexit` },
      { source: `lddw %r1, map_fd ${FD.rb}\nmov %r2, 8\nmov %r3, 0\ncall 131\nmov %r1, %r0\nadd %r1, 8\nmov %r2, 0\ncall 133\nexit` },
    ];
    const { outcomes } = await agree("xdp", MAPS, steps);
    expect(outcomes[0]).toMatch(/^error: insn 4 \(call 1\): helper map_lookup_elem \(#1\) failed: R1 \(0x40000\) is not a map pointer/);
    expect(outcomes[1]).toMatch(/cannot pass map_type 22 \(map 'q'\) into func bpf_map_lookup_elem#1/);
    expect(outcomes[2]).toMatch(/R2 key of map 'h' \[0x0, \+4\) is a null pointer/);
    expect(outcomes[3]).toMatch(/R3 value of map 'h' \[0x10, \+8\) is a null pointer/);
    expect(outcomes[4]).toMatch(/helper ringbuf_submit \(#132\) failed: .* is not a ring buffer record/);
    expect(outcomes[5]).toMatch(/helper ringbuf_discard \(#133\) failed: .* is not a ring buffer record/);
  });

  it("mapCalls: 'js' calls every map helper through JS, with the same results", async () => {
    const steps = [update(FD.h, 1, 100, 0), lookup(FD.h, 1), lookup(FD.a, 2), push(FD.q, 3)];
    const { outcomes, jitPrograms } = await agree("xdp", MAPS, steps, undefined, { mapCalls: "js" });
    expect(outcomes).toEqual(["0x0", "0x64", "0x0", "0x0"]);
    expect(jitPrograms.map((p) => planOf(p).helpers)).toEqual([[2], [1], [1], [87]]);
    for (const p of jitPrograms) expect(planOf(p).mapExports).toEqual([]);
  });
});

describe("map-exports.ts against the machine's helpers (vm/helpers/maps.ts)", () => {
  it("every entry names the machine's helper for its id, with argument kinds matching its roles, and a runtime export", () => {
    const m = machine("xdp", MAPS);
    const ROLE_ARGS: Record<string, readonly string[]> = {
      map: ["const_map_ptr"],
      key: ["ptr_to_map_key"],
      value: ["ptr_to_map_value", "ptr_to_uninit_map_value"],
      data: ["ptr_to_mem"],
      record: ["ptr_to_alloc_mem"],
      scalar: ["anything", "const_size_or_zero", "const_alloc_size_or_zero"],
    };
    for (const e of MAP_HELPER_EXPORTS) {
      const def = m.helpers.get(e.id);
      expect(def?.name, `helper ${e.id}`).toBe(e.helper);
      expect(def!.args.length, e.helper).toBe(e.roles.length);
      e.roles.forEach((role, k) => expect(ROLE_ARGS[role], `${e.helper} arg ${k + 1}`).toContain(def!.args[k]));
      expect(typeof (m.maps.runtime.exports as unknown as Record<string, unknown>)[e.export], e.export).toBe("function");
    }
    // And every map / ring buffer helper of the machine is in the table (redirect_map and the
    // like take a map too, but are not the maps runtime's; nor are the ring buffer's dynptr
    // helpers, which read and write a struct bpf_dynptr: vm/helpers/dynptr.ts).
    const mapHelperIds = m.helpers.list().filter((h) => /^(map_|ringbuf_)/.test(h.name) && !h.name.endsWith("_dynptr")).map((h) => h.id);
    for (const id of mapHelperIds) expect(MAP_HELPER_EXPORTS.map((e) => e.id), `helper ${id}`).toContain(id);
  });
});
