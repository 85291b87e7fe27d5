// BLOOM_FILTER from user space and its sizing, against kernel/bpf/bloom_filter.c. That its hashes
// are the kernel's, bit for bit, is test/kernel/bloom-filter.test.ts's job.

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import type { MapSpec } from "../../vm/maps/types.js";
import { bloomBits } from "../../vm/maps/plan.js";
import { makeMaps, u32 } from "./fixture.js";

const make = (spec: Partial<MapSpec> = {}) => {
  const f = makeMaps();
  const map = f.maps.create({ name: "b", type: "bloom_filter", keySize: 0, valueSize: 7, maxEntries: 200, flags: abi.BPF_F_ZERO_SEED, ...spec });
  return { ...f, map, b: f.maps.bloomFilter("b") };
};

/** The n-th test value of 7 bytes (a size that is not a multiple of 4: jhash over bytes). */
const value = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, 0x5a, n % 7, 1, 2, (n * 37) & 0xff);

describe("BPF_MAP_TYPE_BLOOM_FILTER", () => {
  test("no false negatives; few false positives at the kernel's size (max_entries values, 5 hashes)", () => {
    const { b } = make();
    for (let n = 0; n < 200; n++) b.add(value(n));
    for (let n = 0; n < 200; n++) expect(b.mayContain(value(n))).toBe(true);
    let maybe = 0;
    for (let n = 1000; n < 3000; n++) if (b.mayContain(value(n))) maybe++;
    // 200 values in 2048 bits: a false positive rate of about 1 - e^(-5·200/2048) to the 5th, 0.8%.
    expect(maybe).toBeGreaterThan(0);
    expect(maybe).toBeLessThan(100);
  });

  test("an empty filter has nothing; a full one has everything", () => {
    const empty = make().b;
    for (let n = 0; n < 50; n++) expect(empty.mayContain(value(n))).toBe(false);
    const tiny = make({ maxEntries: 1, mapExtra: 1 }).b; // 64 bits, one hash
    for (let n = 0; n < 2000; n++) tiny.add(value(n));
    for (let n = 5000; n < 5050; n++) expect(tiny.mayContain(value(n))).toBe(true);
  });

  test("a random seed answers for what was added too (the kernel's seed: get_random_u32)", () => {
    const { b } = make({ flags: 0, valueSize: 4, mapExtra: 3 });
    for (let n = 0; n < 100; n++) b.add(u32(n * 7919));
    for (let n = 0; n < 100; n++) expect(b.mayContain(u32(n * 7919))).toBe(true);
  });

  test("push flags other than BPF_ANY are -EINVAL; a value of another size is refused", () => {
    const { b } = make();
    expect(b.tryAdd(value(1), abi.BPF_EXIST)).toBe(-abi.EINVAL);
    expect(b.tryAdd(value(1), abi.BPF_NOEXIST)).toBe(-abi.EINVAL);
    expect(() => b.add(value(1), abi.BPF_EXIST)).toThrow(/map 'b': add failed with -EINVAL/);
    expect(b.mayContain(value(1))).toBe(false); // the refused pushes set no bit
    expect(() => b.add(Uint8Array.of(1, 2, 3))).toThrow(/value/);
  });

  test("user space's access: BPF_F_RDONLY cannot add, BPF_F_WRONLY cannot ask, a frozen filter cannot add", () => {
    expect(make({ flags: abi.BPF_F_RDONLY }).b.tryAdd(value(1))).toBe(-abi.EPERM);
    expect(() => make({ flags: abi.BPF_F_WRONLY }).b.mayContain(value(1))).toThrow(/lookup of a BPF_F_WRONLY map/);
    const { b } = make();
    b.add(value(1));
    b.freeze();
    expect(b.tryAdd(value(2))).toBe(-abi.EPERM);
    expect(b.mayContain(value(1))).toBe(true);
  });

  test("a program's other map helpers: lookup NULL, update -EINVAL, pop and delete -EOPNOTSUPP", () => {
    const { maps, map } = make();
    const rt = maps.runtime.exports;
    const buf = map.descriptor.staging;
    expect(rt.map_lookup(map.address, buf, 0)).toBe(0);
    expect(rt.map_update(map.address, buf, buf, 0n, 0)).toBe(-BigInt(abi.EINVAL));
    expect(rt.map_pop(map.address, buf)).toBe(-BigInt(abi.EOPNOTSUPP));
    expect(rt.map_delete(map.address, buf)).toBe(-BigInt(abi.EOPNOTSUPP));
  });

  test("the bit array is bloom_map_alloc's: max_entries × hashes × 7/5 bits, a power of 2, at least 64", () => {
    expect(bloomBits(8, 3)).toBe(64); // 24 → 28 bits: the 64-bit minimum
    expect(bloomBits(10, 5)).toBe(128); // 50 → 70
    expect(bloomBits(200, 5)).toBe(2048); // 1000 → 1400
    expect(bloomBits(40, 15)).toBe(1024); // 600 → 840
    expect(bloomBits(5, 9)).toBe(64); // 45 → 63: (45 / 5) × 7, integer division first
    expect(bloomBits(0x20000000, 2)).toBe(2 ** 31); // (2^30 / 5) × 7 = 1,503,238,553: rounded up to 2^31
    expect(bloomBits(0x30000000, 2)).toBe(2 ** 32); // (0x60000000 / 5) × 7 passes 2^31
    expect(bloomBits(0x80000000, 2)).toBe(2 ** 32); // max_entries × hashes overflows a u32
    expect(bloomBits(1e6, 5)).toBe(2 ** 23); // 5e6 → 7e6
  });

  test("map_extra 0 means 5 hash functions", () => {
    const { b } = make({ maxEntries: 40 });
    const five = make({ maxEntries: 40, mapExtra: 5 }).b;
    for (let n = 0; n < 40; n++) {
      b.add(value(n));
      five.add(value(n));
    }
    for (let n = 100; n < 1100; n++) expect(b.mayContain(value(n))).toBe(five.mayContain(value(n)));
  });
});
