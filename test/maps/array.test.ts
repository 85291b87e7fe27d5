// ARRAY, PERCPU_ARRAY and PROG_ARRAY against kernel/bpf/arraymap.c.

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { sumPerCpu } from "../../vm/maps/percpu.js";
import { makeMaps, readU32, readU64, u32 } from "./fixture.js";

const array = (valueSize = 8, maxEntries = 4) => {
  const { maps } = makeMaps();
  maps.create({ name: "arr", type: "array", keySize: 4, valueSize, maxEntries });
  return maps.keyed("arr");
};

describe("BPF_MAP_TYPE_ARRAY", () => {
  test("every element exists, zeroed, from creation", () => {
    const a = array(12, 3);
    expect(a.lookup(0)).toEqual(new Uint8Array(12));
    expect(a.lookup(2)).toEqual(new Uint8Array(12));
    expect(a.lookup(3)).toBeUndefined();
    expect(a.lookup(0xffffffff)).toBeUndefined();
    expect(a.size).toBe(3);
  });

  test("update flags: BPF_ANY and BPF_EXIST write, BPF_NOEXIST is -EEXIST", () => {
    const a = array();
    expect(a.tryUpdate(1, 11n, abi.BPF_ANY)).toBe(0);
    expect(a.tryUpdate(1, 22n, abi.BPF_EXIST)).toBe(0);
    expect(readU64(a.lookup(1))).toBe(22n);
    expect(a.tryUpdate(1, 33n, abi.BPF_NOEXIST)).toBe(-abi.EEXIST);
    expect(readU64(a.lookup(1))).toBe(22n);
  });

  test("an index past the end is -E2BIG; bad flags are -EINVAL first", () => {
    const a = array();
    expect(a.tryUpdate(4, 1n)).toBe(-abi.E2BIG);
    expect(a.tryUpdate(4, 1n, 3)).toBe(-abi.EINVAL);
    expect(a.tryUpdate(0, 1n, abi.BPF_F_LOCK)).toBe(-abi.EINVAL);
    expect(() => a.update(9, 1n)).toThrow(/map 'arr': update failed with -E2BIG/);
  });

  test("elements cannot be deleted: -EINVAL", () => {
    const a = array();
    expect(a.tryDelete(0)).toBe(-abi.EINVAL);
    expect(() => a.delete(0)).toThrow(/delete failed with -EINVAL/);
    expect(a.tryUpdate(0, 1n)).toBe(0);
    expect(() => a.lookupAndDelete(0)).toThrow(/-ENOTSUPP/);
  });

  test("get_next_key: 0..max-1, and a missing key restarts at 0", () => {
    const a = array(8, 3);
    expect([...a.keys()].map(readU32)).toEqual([0, 1, 2]);
    expect(readU32(a.nextKey(1))).toBe(2);
    expect(a.nextKey(2)).toBeUndefined();
    expect(readU32(a.nextKey(77))).toBe(0);
  });

  test("values are 8-byte aligned, at the documented stride", () => {
    const { maps, memory } = makeMaps();
    const m = maps.create({ name: "a", type: "array", keySize: 4, valueSize: 5, maxEntries: 4 });
    const d = m.descriptor;
    expect(d.valueStride).toBe(8);
    expect(d.values % 8).toBe(0);
    maps.keyed("a").update(2, new Uint8Array([1, 2, 3, 4, 5]));
    expect([...new Uint8Array(memory.buffer, d.values + 2 * d.valueStride, 5)]).toEqual([1, 2, 3, 4, 5]);
  });

  test("batch lookup pages through all elements", () => {
    const a = array(8, 5);
    for (let i = 0; i < 5; i++) a.update(i, BigInt(i * 10));
    const first = a.lookupBatch(2);
    expect(first.entries.map(([k, v]) => [readU32(k), readU64(v)])).toEqual([[0, 0n], [1, 10n]]);
    const second = a.lookupBatch(10, first.cursor);
    expect(second.entries.map(([k]) => readU32(k))).toEqual([2, 3, 4]);
    expect(second.cursor).toBeUndefined();
  });

  test("wrong key and value sizes name the map and both sizes", () => {
    const a = array(8);
    expect(() => a.lookup(new Uint8Array(8))).toThrow(/map 'arr': key must be 4 bytes, got a Uint8Array of 8 bytes/);
    expect(() => a.update(0, new Uint8Array(4))).toThrow(/map 'arr': value must be 8 bytes, got a Uint8Array of 4 bytes/);
    expect(() => a.update(0, 2 ** 70)).toThrow(/must be an integer|does not fit/);
    expect(() => a.lookup(2 ** 32)).toThrow(/key is 4 bytes: the number 4294967296 does not fit/);
    expect(() => a.update(0, 1n << 64n)).toThrow(/value is 8 bytes: the bigint 18446744073709551616 does not fit/);
  });
});

describe("BPF_MAP_TYPE_PERCPU_ARRAY", () => {
  test("user space reads and writes every CPU's value", () => {
    const { maps } = makeMaps({ cpus: 3 });
    maps.create({ name: "pc", type: "percpu_array", keySize: 4, valueSize: 4, maxEntries: 2 });
    const m = maps.perCpu("pc");
    expect(m.lookup(1)).toEqual([new Uint8Array(4), new Uint8Array(4), new Uint8Array(4)]);
    m.update(1, [1, 2, 3]);
    expect(m.lookup(1)!.map(readU32)).toEqual([1, 2, 3]);
    m.update(0, 9); // one value for every CPU
    expect(m.lookup(0)!.map(readU32)).toEqual([9, 9, 9]);
    expect(sumPerCpu(m.lookup(1)!)).toBe(6n);
    expect(() => m.update(1, [1, 2])).toThrow(/map 'pc': value of a per-CPU map needs 3 values \(one per CPU\), got 2/);
    expect(m.lookup(2)).toBeUndefined();
    expect(m.tryUpdate(2, 1)).toBe(-abi.E2BIG);
  });

  test("each CPU's copy sits at values + cpu * cpuStride + index * valueStride", () => {
    const { maps, memory } = makeMaps({ cpus: 2 });
    const d = maps.create({ name: "pc", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 3 }).descriptor;
    maps.perCpu("pc").update(2, [5n, 6n]);
    const dv = new DataView(memory.buffer);
    expect(dv.getBigUint64(d.values + 0 * d.cpuStride + 2 * d.valueStride, true)).toBe(5n);
    expect(dv.getBigUint64(d.values + 1 * d.cpuStride + 2 * d.valueStride, true)).toBe(6n);
    expect(d.cpuStride % 64).toBe(0);
    expect(d.cpuStride).toBeGreaterThanOrEqual(3 * 8);
  });
});

describe("a program's update whose value lies in the element it replaces", () => {
  // The verifier lets a program pass a map value pointer (with an offset) as the new value; the
  // copy must then behave as memmove whatever the value size (vm/maps/as/bytes.ts copyBytes).
  for (const valueSize of [5, 12, 16, 24, 40, 80]) {
    test(`${valueSize}-byte values, value pointer 1..3 bytes either side of the element`, () => {
      for (const shift of [-3, -1, 1, 3]) {
        const { maps, memory, layout } = makeMaps();
        maps.create({ name: "arr", type: "array", keySize: 4, valueSize, maxEntries: 4 });
        const a = maps.keyed("arr");
        const bytes = Uint8Array.from({ length: a.descriptor.valueStride * 4 }, (_, i) => (i * 7 + 1) & 0xff);
        const mem = new Uint8Array(memory.buffer);
        mem.set(bytes, a.descriptor.values);
        const element = a.descriptor.values + a.descriptor.valueStride; // index 1
        const key = layout.cpu(0).scratch;
        new DataView(memory.buffer).setUint32(key, 1, true);
        const want = mem.slice(element + shift, element + shift + valueSize);
        expect(maps.runtime.exports.map_update(a.address, key, element + shift, 0n, 0)).toBe(0n);
        expect(mem.slice(element, element + valueSize), `shift ${shift}`).toEqual(want);
      }
    });
  }
});

describe("BPF_MAP_TYPE_PROG_ARRAY", () => {
  test("slots hold program ids; only BPF_ANY; delete empties; tail calls read the slot", () => {
    const { maps } = makeMaps();
    const m = maps.create({ name: "jmp", type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 4 });
    const p = maps.keyed("jmp");
    const rt = maps.runtime.exports;
    expect(p.lookup(1)).toBeUndefined();
    expect(p.tryUpdate(1, 42, abi.BPF_NOEXIST)).toBe(-abi.EINVAL);
    expect(p.tryUpdate(4, 42)).toBe(-abi.E2BIG);
    expect(p.tryUpdate(1, 0)).toBe(-abi.EBADF);
    p.update(1, 42);
    expect(readU32(p.lookup(1))).toBe(42);
    expect(rt.prog_array_get(m.address, 1)).toBe(42);
    expect(rt.prog_array_get(m.address, 2)).toBe(0);
    expect(rt.prog_array_get(m.address, 99)).toBe(0);
    expect(rt.map_lookup(m.address, m.descriptor.staging, 0)).toBe(0); // not readable by programs
    expect(p.delete(1)).toBe(true);
    expect(p.delete(1)).toBe(false);
    expect(p.tryDelete(9)).toBe(-abi.E2BIG);
    expect(u32(1)).toEqual(new Uint8Array([1, 0, 0, 0]));
  });
});
