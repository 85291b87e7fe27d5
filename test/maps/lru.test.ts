// LRU_HASH and LRU_PERCPU_HASH: a full map evicts instead of failing; entries that programs
// look up survive eviction longer than ones they do not (the CLOCK approximation documented
// in vm/maps/as/lru.ts). Scenarios after the kernel's tools/testing/selftests/bpf/test_lru_map.c.

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { makeMaps, readU32, readU64 } from "./fixture.js";

const lru = (maxEntries: number, type = "lru_hash") => {
  const f = makeMaps({ cpus: 2 });
  const m = f.maps.create({ name: "lru", type, keySize: 4, valueSize: 8, maxEntries });
  const rt = f.maps.runtime.exports;
  const dv = new DataView(f.memory.buffer);
  const scratch = f.layout.cpu(0).scratch;
  /** A program's bpf_map_lookup_elem: sets the reference bit. */
  const programLookup = (key: number): boolean => {
    dv.setUint32(scratch, key, true);
    return rt.map_lookup(m.address, scratch, 0) !== 0;
  };
  return { ...f, m, programLookup };
};

const sortedKeys = (keys: Iterable<Uint8Array>) => [...keys].map((k) => readU32(k)!).sort((a, b) => a - b);

describe("BPF_MAP_TYPE_LRU_HASH", () => {
  test("a key a program looked up survives; the unreferenced one is evicted (test_lru_sanity0-like)", () => {
    const { maps, programLookup } = lru(2);
    const h = maps.keyed("lru");
    h.update(1, 1n);
    h.update(2, 2n);
    expect(programLookup(1)).toBe(true);
    h.update(3, 3n); // full: evicts 2, not 1
    expect(sortedKeys(h.keys())).toEqual([1, 3]);
  });

  test("user-space lookups do not set the reference bit (the *_sys_only lookup)", () => {
    const { maps } = lru(2);
    const h = maps.keyed("lru");
    h.update(1, 1n);
    h.update(2, 2n);
    expect(readU64(h.lookup(1))).toBe(1n);
    h.update(3, 3n);
    expect(sortedKeys(h.keys())).toEqual([2, 3]);
  });

  test("a full map never fails an insert; it keeps max_entries keys, the newest among them", () => {
    const { maps } = lru(16);
    const h = maps.keyed("lru");
    for (let k = 0; k < 1000; k++) {
      expect(h.tryUpdate(k, BigInt(k))).toBe(0);
      expect(readU64(h.lookup(k))).toBe(BigInt(k));
    }
    expect(h.size).toBe(16);
    expect([...h.keys()].length).toBe(16);
  });

  test("a hot key a program keeps using survives a stream of cold inserts", () => {
    const { maps, programLookup } = lru(8);
    const h = maps.keyed("lru");
    h.update(1000, 1n);
    for (let k = 0; k < 200; k++) {
      expect(programLookup(1000)).toBe(true);
      h.update(k, BigInt(k));
    }
    expect(h.lookup(1000)).toBeDefined();
    expect(h.size).toBe(8);
  });

  test("flags keep the hash semantics", () => {
    const { maps } = lru(4);
    const h = maps.keyed("lru");
    expect(h.tryUpdate(1, 1n, abi.BPF_EXIST)).toBe(-abi.ENOENT);
    expect(h.tryUpdate(1, 1n, abi.BPF_NOEXIST)).toBe(0);
    expect(h.tryUpdate(1, 1n, abi.BPF_NOEXIST)).toBe(-abi.EEXIST);
    expect(h.tryUpdate(1, 1n, 7)).toBe(-abi.EINVAL);
    expect(h.delete(1)).toBe(true);
    expect(h.tryDelete(1)).toBe(-abi.ENOENT);
  });
});

describe("BPF_MAP_TYPE_LRU_PERCPU_HASH", () => {
  test("per-CPU values with eviction", () => {
    const { maps, memory, layout, m } = lru(2, "lru_percpu_hash");
    const h = maps.perCpu("lru");
    h.update(1, [1n, 2n]);
    h.update(2, [3n, 4n]);
    expect(h.lookup(2)!.map(readU64)).toEqual([3n, 4n]);
    // A program on CPU 1 updates key 2 in place: only CPU 1's copy changes.
    const dv = new DataView(memory.buffer);
    const key = layout.cpu(1).scratch;
    dv.setUint32(key, 2, true);
    dv.setBigUint64(key + 8, 40n, true);
    expect(maps.runtime.exports.map_update(m.address, key, key + 8, BigInt(abi.BPF_EXIST), 1)).toBe(0n);
    expect(h.lookup(2)!.map(readU64)).toEqual([3n, 40n]);
    h.update(3, [5n, 6n]);
    expect(h.size).toBe(2);
    expect(h.lookup(3)!.map(readU64)).toEqual([5n, 6n]);
  });
});
