// HASH and PERCPU_HASH against kernel/bpf/hashtab.c: flags and their errnos, full maps,
// get_next_key iteration, lookup_and_delete, and a randomized comparison with a model.

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { bytesToBigInt } from "../../vm/maps/codec.js";
import { makeMaps, readU32, readU64 } from "./fixture.js";

const hash = (maxEntries = 4, keySize = 4, valueSize = 8, type = "hash") => {
  const f = makeMaps();
  f.maps.create({ name: "h", type, keySize, valueSize, maxEntries });
  return { ...f, h: f.maps.keyed("h") };
};

describe("BPF_MAP_TYPE_HASH", () => {
  test("insert, find, miss", () => {
    const { h } = hash();
    expect(h.lookup(1)).toBeUndefined();
    h.update(1, 100n);
    h.update(2, 200n);
    expect(readU64(h.lookup(1))).toBe(100n);
    expect(readU64(h.lookup(2))).toBe(200n);
    expect(h.lookup(3)).toBeUndefined();
    expect(h.size).toBe(2);
  });

  test("BPF_NOEXIST on a present key is -EEXIST, BPF_EXIST on a missing one -ENOENT", () => {
    const { h } = hash();
    expect(h.tryUpdate(1, 1n, abi.BPF_EXIST)).toBe(-abi.ENOENT);
    expect(h.tryUpdate(1, 1n, abi.BPF_NOEXIST)).toBe(0);
    expect(h.tryUpdate(1, 2n, abi.BPF_NOEXIST)).toBe(-abi.EEXIST);
    expect(readU64(h.lookup(1))).toBe(1n);
    expect(h.tryUpdate(1, 3n, abi.BPF_EXIST)).toBe(0);
    expect(readU64(h.lookup(1))).toBe(3n);
    expect(h.tryUpdate(1, 4n, abi.BPF_ANY)).toBe(0);
    expect(readU64(h.lookup(1))).toBe(4n);
    expect(() => h.update(1, 5n, abi.BPF_NOEXIST)).toThrow(/map 'h': update failed with -EEXIST/);
  });

  test("unknown flags and BPF_F_LOCK (no spin lock in the value) are -EINVAL", () => {
    const { h } = hash();
    expect(h.tryUpdate(1, 1n, 3)).toBe(-abi.EINVAL);
    expect(h.tryUpdate(1, 1n, abi.BPF_F_LOCK)).toBe(-abi.EINVAL);
    expect(h.tryUpdate(1, 1n, 2 ** 32)).toBe(-abi.EINVAL);
    expect(() => h.update(1, 1n, 1.5)).toThrow(/map 'h': update: flags must be a non-negative integer, got 1.5/);
    expect(() => h.update(1, 1n, -1)).toThrow(/flags must be a non-negative integer/);
  });

  test("a full map refuses new keys with -E2BIG but still replaces existing ones", () => {
    const { h } = hash(4);
    for (let k = 0; k < 4; k++) h.update(k, BigInt(k));
    expect(h.tryUpdate(4, 4n)).toBe(-abi.E2BIG);
    expect(h.tryUpdate(4, 4n, abi.BPF_NOEXIST)).toBe(-abi.E2BIG);
    for (let i = 0; i < 100; i++) expect(h.tryUpdate(i % 4, BigInt(i), abi.BPF_ANY)).toBe(0);
    expect(h.size).toBe(4);
    expect(h.delete(0)).toBe(true);
    expect(h.tryUpdate(4, 4n)).toBe(0);
    expect(h.tryUpdate(5, 5n)).toBe(-abi.E2BIG);
  });

  test("delete: -ENOENT for a missing key; lookup_and_delete returns the value", () => {
    const { h } = hash();
    expect(h.tryDelete(1)).toBe(-abi.ENOENT);
    h.update(1, 10n);
    h.update(2, 20n);
    expect(h.delete(1)).toBe(true);
    expect(h.delete(1)).toBe(false);
    expect(readU64(h.lookupAndDelete(2))).toBe(20n);
    expect(h.lookupAndDelete(2)).toBeUndefined();
    expect(h.size).toBe(0);
  });

  test("get_next_key visits every key once; NULL and unknown keys start over", () => {
    const { h } = hash(64);
    for (let k = 0; k < 50; k++) h.update(k * 7919, BigInt(k));
    const keys = [...h.keys()].map(readU32);
    expect(keys.length).toBe(50);
    expect(new Set(keys)).toEqual(new Set(Array.from({ length: 50 }, (_, k) => k * 7919)));
    expect(readU32(h.nextKey(123456))).toBe(keys[0]);
    expect(readU32(h.nextKey())).toBe(keys[0]);
    expect(h.nextKey(keys[49]!)).toBeUndefined();
    const { h: empty } = hash();
    expect(empty.nextKey()).toBeUndefined();
  });

  test("odd key and value sizes compare and copy exactly", () => {
    const { h } = hash(8, 13, 3);
    const key = (i: number) => Uint8Array.from({ length: 13 }, (_, j) => (i * 31 + j) & 0xff);
    for (let i = 0; i < 8; i++) h.update(key(i), new Uint8Array([i, i + 1, i + 2]));
    for (let i = 0; i < 8; i++) expect(h.lookup(key(i))).toEqual(new Uint8Array([i, i + 1, i + 2]));
    const near = key(3);
    near[12] ^= 1;
    expect(h.lookup(near)).toBeUndefined();
    expect(() => h.lookup(key(1).subarray(1))).toThrow(/map 'h': key must be 13 bytes, got a Uint8Array of 12 bytes/);
    expect(() => h.lookup(5)).toThrow(/key is 13 bytes: give a Uint8Array of 13 bytes or a bigint/);
    expect(h.lookup(bytesToBigInt(key(2)))).toEqual(new Uint8Array([2, 3, 4])); // a bigint key, little-endian
  });

  test("elements are recycled: many inserts and deletes never run out", () => {
    const { h } = hash(16);
    for (let round = 0; round < 200; round++) {
      for (let k = 0; k < 16; k++) expect(h.tryUpdate(round * 16 + k, BigInt(k), abi.BPF_NOEXIST)).toBe(0);
      for (let k = 0; k < 16; k++) expect(h.delete(round * 16 + k)).toBe(true);
    }
    expect(h.size).toBe(0);
  });

  test("randomized operations agree with a model of the kernel's rules", () => {
    const max = 32;
    const { h } = hash(max, 8, 8);
    const model = new Map<bigint, bigint>();
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let i = 0; i < 20000; i++) {
      const key = BigInt(rand(64));
      const op = rand(4);
      if (op === 0) {
        expect(h.tryDelete(key)).toBe(model.delete(key) ? 0 : -abi.ENOENT);
      } else if (op === 1) {
        expect(readU64(h.lookup(key))).toBe(model.get(key));
      } else {
        const flags = rand(3);
        const value = BigInt(i);
        const has = model.has(key);
        const want = flags === abi.BPF_NOEXIST && has ? -abi.EEXIST
          : flags === abi.BPF_EXIST && !has ? -abi.ENOENT
          : !has && model.size >= max ? -abi.E2BIG : 0;
        expect(h.tryUpdate(key, value, flags)).toBe(want);
        if (want === 0) model.set(key, value);
      }
    }
    expect(h.size).toBe(model.size);
    const seen = new Map([...h.entries()].map(([k, v]) => [readU64(k)!, readU64(v)!]));
    expect(seen).toEqual(model);
  });

  test("batch update, lookup and delete", () => {
    const { h } = hash(16);
    expect(h.updateBatch([[1, 10n], [2, 20n], [3, 30n]])).toBe(3);
    const all = h.lookupBatch(100);
    expect(all.cursor).toBeUndefined();
    expect(new Map(all.entries.map(([k, v]) => [readU32(k), readU64(v)]))).toEqual(new Map([[1, 10n], [2, 20n], [3, 30n]]));
    const page = h.lookupBatch(2);
    expect(page.entries.length).toBe(2);
    expect(h.lookupBatch(2, page.cursor).entries.length).toBe(1);
    expect(h.deleteBatch([1, 2, 9])).toBe(2);
    expect(h.size).toBe(1);
  });
});

describe("program side (map_lookup / map_update / map_delete exports)", () => {
  test("a program's lookup returns the value's 8-aligned address; writes through it show in user space", () => {
    const { h, layout, memory, maps } = hash(4, 4, 8);
    const rt = maps.runtime.exports;
    const dv = new DataView(memory.buffer);
    const key = layout.cpu(0).scratch;
    dv.setUint32(key, 9, true);
    expect(rt.map_lookup(h.address, key, 0)).toBe(0);
    const value = key + 8;
    dv.setBigUint64(value, 77n, true);
    expect(rt.map_update(h.address, key, value, 0n, 0)).toBe(0n);
    expect(rt.map_update(h.address, key, value, BigInt(abi.BPF_NOEXIST), 0)).toBe(BigInt(-abi.EEXIST));
    const addr = rt.map_lookup(h.address, key, 0);
    expect(addr % 8).toBe(0);
    expect(dv.getBigUint64(addr, true)).toBe(77n);
    dv.setBigUint64(addr, 78n, true);
    expect(readU64(h.lookup(9))).toBe(78n);
    expect(rt.map_delete(h.address, key)).toBe(0n);
    expect(rt.map_delete(h.address, key)).toBe(BigInt(-abi.ENOENT));
  });
});

describe("BPF_MAP_TYPE_PERCPU_HASH", () => {
  test("user space sets every CPU; a program updates only its CPU, zeroing the others on insert", () => {
    const { maps, layout, memory } = makeMaps({ cpus: 3 });
    const m = maps.create({ name: "ph", type: "percpu_hash", keySize: 4, valueSize: 4, maxEntries: 4 });
    const ph = maps.perCpu("ph");
    const rt = maps.runtime.exports;
    const dv = new DataView(memory.buffer);
    ph.update(1, [10, 20, 30]);
    expect(ph.lookup(1)!.map(readU32)).toEqual([10, 20, 30]);
    const key = layout.cpu(1).scratch;
    const value = key + 8;
    dv.setUint32(key, 1, true);
    dv.setUint32(value, 21, true);
    expect(rt.map_update(m.address, key, value, 0n, 1)).toBe(0n); // in place, CPU 1 only
    expect(ph.lookup(1)!.map(readU32)).toEqual([10, 21, 30]);
    dv.setUint32(key, 2, true);
    expect(rt.map_update(m.address, key, value, 0n, 2)).toBe(0n); // new element from CPU 2
    expect(ph.lookup(2)!.map(readU32)).toEqual([0, 0, 21]);
    for (let cpu = 0; cpu < 3; cpu++) {
      const addr = rt.map_lookup(m.address, key, cpu);
      expect(dv.getUint32(addr, true)).toBe(cpu === 2 ? 21 : 0);
    }
    expect(rt.map_lookup(m.address, key, 3)).toBe(0); // no such CPU
    expect(rt.map_update(m.address, key, value, 0n, 3)).toBe(BigInt(-abi.EINVAL));
    expect(ph.lookupAndDelete(1)!.map(readU32)).toEqual([10, 21, 30]);
    expect(ph.lookup(1)).toBeUndefined();
  });

  test("a recycled element does not leak another key's per-CPU values", () => {
    const { maps, layout, memory } = makeMaps({ cpus: 2 });
    const m = maps.create({ name: "ph", type: "percpu_hash", keySize: 4, valueSize: 8, maxEntries: 1 });
    const ph = maps.perCpu("ph");
    ph.update(1, [5n, 6n]);
    expect(ph.tryUpdate(2, [1n, 1n])).toBe(-abi.E2BIG);
    ph.delete(1);
    const dv = new DataView(memory.buffer);
    const key = layout.cpu(0).scratch;
    dv.setUint32(key, 2, true);
    dv.setBigUint64(key + 8, 7n, true);
    expect(maps.runtime.exports.map_update(m.address, key, key + 8, 0n, 0)).toBe(0n);
    expect(ph.lookup(2)!.map(readU64)).toEqual([7n, 0n]);
  });
});
