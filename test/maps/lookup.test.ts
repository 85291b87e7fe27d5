// Hash map lookups (vm/maps/as/htab.ts, bytes.ts): the typed lookup exports the JIT calls for a
// map of known type agree with map_lookup and with user space for every key size class (1..3,
// 4..7, 8..16 bytes and the loop past 16), at any key address; a program's lookup reads its
// key in narrow loads and user space in wide ones, and both must hash it alike. And the key
// hash is seeded per map, as the kernel's htab->hashrnd: 0 with BPF_F_ZERO_SEED, otherwise
// keys that share a bucket under one seed do not under another.

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import type { MapsExports } from "../../vm/maps/runtime.js";
import { makeMaps } from "./fixture.js";

const KEY_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 20, 23, 24, 25, 32, 40, 64, 100, 512];
const TYPES = ["hash", "lru_hash", "percpu_hash", "lru_percpu_hash"] as const;

/** A deterministic byte stream (xorshift32), so that a failure can be replayed. */
function bytes(seed: number): (n: number) => Uint8Array {
  let x = seed | 1;
  return (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x & 0xff;
    }
    return b;
  };
}

/** The typed export for a map type, as a function of (map, key, cpu). */
function typed(rt: MapsExports, type: (typeof TYPES)[number]): (map: number, key: number, cpu: number) => number {
  if (type === "hash") return (m, k) => rt.hash_lookup(m, k);
  if (type === "lru_hash") return (m, k) => rt.lru_hash_lookup(m, k);
  return (m, k, cpu) => rt.percpu_hash_lookup(m, k, cpu);
}

describe("hash lookups", () => {
  for (const type of TYPES) {
    test(`${type}: the typed export, map_lookup and user space find the same elements, for every key size`, () => {
      const { maps, memory, layout } = makeMaps({ cpus: 2, mapsSize: 4 << 20 });
      const rt = maps.runtime.exports;
      const lookup = typed(rt, type);
      const mem = new Uint8Array(memory.buffer);
      const scratch = layout.cpu(0).scratch;
      const next = bytes(KEY_SIZES.length);
      for (const keySize of KEY_SIZES) {
        const map = maps.create({ name: `${type}${keySize}`, type, keySize, valueSize: 8, maxEntries: 64 });
        // Keys of 1 byte have 256 values: few enough to insert a sizable share of them all.
        const present = new Map<string, Uint8Array>();
        while (present.size < 48) {
          const k = next(keySize);
          present.set(k.join(), k);
        }
        const absent: Uint8Array[] = [];
        while (absent.length < 48) {
          const k = next(keySize);
          if (!present.has(k.join())) absent.push(k);
        }
        const values = [...present.values()];
        for (const k of values) {
          if (type.includes("percpu")) maps.perCpu(map.name).update(k, [1n, 2n]);
          else maps.keyed(map.name).update(k, 1n);
        }
        for (const [k, want] of [...values.map((k) => [k, true] as const), ...absent.map((k) => [k, false] as const)]) {
          // The key at an odd address too: a program's key may sit at any stack offset.
          for (const at of [scratch, scratch + 1]) {
            mem.set(k, at);
            const generic = rt.map_lookup(map.address, at, 1);
            const where = `${type} key_size ${keySize} key ${k.join(",")} at ${at}`;
            expect(generic !== 0, where).toBe(want);
            expect(lookup(map.address, at, 1), where).toBe(generic);
            const sys = rt.sys_lookup(map.address, at); // CPU 0's copy for per-CPU maps
            expect(sys === 0 ? 0 : sys + (type.includes("percpu") ? map.descriptor.cpuStride : 0), where).toBe(generic);
          }
        }
      }
    });
  }

  test("a per-CPU lookup past the machine's CPUs finds nothing", () => {
    const { maps, memory, layout } = makeMaps({ cpus: 2 });
    const rt = maps.runtime.exports;
    const map = maps.create({ name: "pc", type: "percpu_hash", keySize: 4, valueSize: 8, maxEntries: 4 });
    maps.perCpu("pc").update(7, [1n, 2n]);
    new DataView(memory.buffer).setUint32(layout.cpu(0).scratch, 7, true);
    expect(rt.percpu_hash_lookup(map.address, layout.cpu(0).scratch, 1)).not.toBe(0);
    expect(rt.percpu_hash_lookup(map.address, layout.cpu(0).scratch, 2)).toBe(0);
  });
});

describe("the key hash's seed", () => {
  const seedOf = (memory: WebAssembly.Memory, map: { address: number }): bigint =>
    new DataView(memory.buffer).getBigUint64(map.address + abi.H_SEED, true);

  /** The keys of each non-empty bucket chain, read from the table (abi.ts layout). */
  function chains(memory: WebAssembly.Memory, map: { address: number }, keySize: number): string[][] {
    const dv = new DataView(memory.buffer);
    const heads = dv.getUint32(map.address + abi.H_BUCKETS, true);
    const count = dv.getUint32(map.address + abi.H_BUCKET_MASK, true) + 1;
    const out: string[][] = [];
    for (let b = 0; b < count; b++) {
      const chain: string[] = [];
      for (let p = dv.getUint32(heads + 4 * b, true); !(p & 1); p = dv.getUint32(p + abi.E_NEXT, true)) {
        chain.push([...new Uint8Array(memory.buffer, p + abi.E_KEY, keySize)].join());
      }
      if (chain.length) out.push(chain);
    }
    return out;
  }

  test("BPF_F_ZERO_SEED gives seed 0; other hash maps get one each", () => {
    const { maps, memory } = makeMaps();
    const zero = maps.create({ name: "z", type: "hash", keySize: 4, valueSize: 4, maxEntries: 8, flags: abi.BPF_F_ZERO_SEED });
    const a = maps.create({ name: "a", type: "hash", keySize: 4, valueSize: 4, maxEntries: 8 });
    const b = maps.create({ name: "b", type: "lru_hash", keySize: 4, valueSize: 4, maxEntries: 8 });
    expect(seedOf(memory, zero)).toBe(0n);
    expect(seedOf(memory, a)).not.toBe(0n);
    expect(seedOf(memory, b)).not.toBe(0n);
    expect(seedOf(memory, a)).not.toBe(seedOf(memory, b));
  });

  test("keys that share a bucket under seed 0 are spread over buckets under the map's own seed", () => {
    const { maps, memory } = makeMaps({ mapsSize: 4 << 20 });
    const spec = { type: "hash", keySize: 8, valueSize: 4, maxEntries: 1024 } as const;
    maps.create({ ...spec, name: "zero", flags: abi.BPF_F_ZERO_SEED });
    const seeded = maps.create({ ...spec, name: "seeded" });
    const zero = maps.keyed("zero");
    for (let k = 0; k < 1024; k++) zero.update(BigInt(k), 0);
    // The longest chain of the unseeded table: keys a flood would send (with seed 0 known).
    const colliding = chains(memory, zero, 8).sort((x, y) => y.length - x.length)[0]!;
    expect(colliding.length).toBeGreaterThanOrEqual(4);
    for (const k of colliding) maps.keyed("seeded").update(new Uint8Array(k.split(",").map(Number)), 0);
    const spread = chains(memory, seeded, 8);
    expect(spread.flat().sort()).toEqual([...colliding].sort());
    // All in one bucket again would be a chance of 1 in 1024^(n-1) under a random seed.
    expect(spread.length).toBeGreaterThan(1);
  });
});
