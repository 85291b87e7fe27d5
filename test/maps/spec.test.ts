// Map creation: the kernel's map_alloc_check rules, arena sizing, and the fd / name registry.

import { describe, expect, test } from "vitest";
import { BpfError } from "../../vm/errors.js";
import * as abi from "../../vm/maps/abi.js";
import { MapSet } from "../../vm/maps/mapset.js";
import { MapType, type MapSpec } from "../../vm/maps/types.js";
import { loadMapsRuntime } from "../../vm/maps/load.node.js";
import { makeMaps } from "./fixture.js";

const refuse = (spec: Partial<MapSpec>, message: RegExp): void => {
  const { maps } = makeMaps();
  const full = { name: "m", type: "hash", keySize: 4, valueSize: 8, maxEntries: 16, ...spec } as MapSpec;
  expect(() => maps.create(full)).toThrow(BpfError);
  expect(() => maps.create(full)).toThrow(message);
};

describe("map creation is checked as the kernel checks it", () => {
  test("unknown map types", () => {
    refuse({ type: 18 }, /map 'm': map type sockhash \(18\) is not supported here/);
    refuse({ type: "sockmap" }, /unknown or unsupported map type "sockmap"/);
  });
  test("max_entries 0", () => refuse({ maxEntries: 0 }, /max_entries must not be 0/));
  test("array keys are 4 bytes", () => refuse({ type: "array", keySize: 8 }, /\(array\): key_size must be 4, got 8/));
  test("hash key and value sizes", () => {
    refuse({ keySize: 0 }, /key_size must not be 0/);
    // No 512-byte key limit (that is the program stack's): key + value below KMALLOC_MAX_SIZE - 48.
    refuse({ keySize: 4194000, valueSize: 256 }, /key_size \+ value_size \(4194000 \+ 256\) is too large: must be below 4194256.*-E2BIG/);
    refuse({ valueSize: 0 }, /value_size must not be 0/);
  });
  test("per-CPU values are at most 32 KiB", () => refuse({ type: "percpu_hash", valueSize: 32769 }, /value_size 32769 is too large/));
  test("prog arrays hold 4-byte program ids", () => refuse({ type: "prog_array", keySize: 4, valueSize: 8 }, /value_size must be 4/));
  test("LPM tries need BPF_F_NO_PREALLOC and 5..260-byte keys", () => {
    refuse({ type: "lpm_trie", keySize: 8, flags: 0 }, /BPF_F_NO_PREALLOC/);
    refuse({ type: "lpm_trie", keySize: 4, flags: abi.BPF_F_NO_PREALLOC }, /key_size 4 is too small/);
  });
  test("queues and stacks have no key", () => refuse({ type: "queue", keySize: 4 }, /key_size must be 0/));
  test("ring buffers are a power-of-2 number of pages", () => {
    refuse({ type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 6000 }, /power of 2 and a multiple of 4096/);
    refuse({ type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 2048 }, /power of 2 and a multiple of 4096/);
  });
  test("unsupported flags", () => refuse({ type: "array", flags: abi.BPF_F_NO_PREALLOC }, /\(array\): map_flags BPF_F_NO_PREALLOC not accepted for this map type \(the kernel refuses it with -EINVAL\)/));
  test("non-integer sizes", () => refuse({ keySize: 4.5 }, /keySize must be an integer/));
  test("a map too large for the arena", () => {
    refuse({ maxEntries: 1 << 20 }, /map 'm' \(hash, max_entries 1048576\) needs \d+ bytes but the maps arena has \d+/);
    refuse({ type: "array", keySize: 4, maxEntries: 0xffffffff }, /needs \d+ bytes but the maps arena/);
  });
  test("names are unique", () => {
    const { maps } = makeMaps();
    maps.create({ name: "a", type: "array", keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(() => maps.create({ name: "a", type: "array", keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow(/map 'a' already exists/);
  });
});

describe("the map set", () => {
  test("finds maps by name, fd and address, and narrows their kind", () => {
    const { maps } = makeMaps();
    const a = maps.create({ name: "a", type: MapType.Array, keySize: 4, valueSize: 4, maxEntries: 4 });
    const p = maps.create({ name: "p", type: "BPF_MAP_TYPE_PERCPU_HASH", keySize: 4, valueSize: 4, maxEntries: 4 });
    const q = maps.create({ name: "q", type: "queue", keySize: 0, valueSize: 4, maxEntries: 4 });
    const r = maps.create({ name: "r", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096 });
    expect([a.fd, p.fd, q.fd, r.fd]).toEqual([0, 1, 2, 3]);
    expect(maps.byFd(1)).toBe(p);
    expect(maps.byAddress(q.address)).toBe(q);
    expect(maps.keyed("a")).toBe(a);
    expect(maps.perCpu("p")).toBe(p);
    expect(maps.queue("q")).toBe(q);
    expect(maps.ringbuf("r")).toBe(r);
    expect(() => maps.keyed("p")).toThrow(/map 'p' is a percpu_hash map, not a map with one value per key/);
    expect(() => maps.queue("zz")).toThrow(/no map named 'zz'/);
    expect(r.address % 4096).toBe(0);
    expect(a.address % 64).toBe(0);
  });

  test("maps do not overlap and stay inside the arena", () => {
    const { maps, layout } = makeMaps();
    const specs: MapSpec[] = [
      { name: "a", type: "array", keySize: 4, valueSize: 12, maxEntries: 10 },
      { name: "h", type: "lru_percpu_hash", keySize: 6, valueSize: 3, maxEntries: 33 },
      { name: "l", type: "lpm_trie", keySize: 8, valueSize: 8, maxEntries: 10, flags: abi.BPF_F_NO_PREALLOC },
      { name: "r", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 8192 },
      { name: "s", type: "stack", keySize: 0, valueSize: 5, maxEntries: 3 },
    ];
    for (const s of specs) maps.create(s);
    const regions = maps.describe().map((d) => [d.address, d.address + d.regionSize] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 0; i < regions.length; i++) {
      expect(regions[i]![0]).toBeGreaterThanOrEqual(layout.mapsBase);
      expect(regions[i]![1]).toBeLessThanOrEqual(layout.mapsBase + layout.mapsSize);
      if (i > 0) expect(regions[i]![0]).toBeGreaterThanOrEqual(regions[i - 1]![1]);
    }
    expect(maps.arena!.used).toBeGreaterThan(0);
  });

  test("an attached set (a worker's view) uses the same maps but creates none", () => {
    const { maps, memory } = makeMaps();
    const h = maps.create({ name: "h", type: "hash", keySize: 4, valueSize: 4, maxEntries: 4 });
    maps.keyed("h").update(7, 70);
    const attached = MapSet.attach(loadMapsRuntime(memory), maps.describe());
    expect(attached.keyed("h").lookup(7)).toEqual(new Uint8Array([70, 0, 0, 0]));
    expect(attached.byFd(0)!.address).toBe(h.address);
    expect(() => attached.create({ name: "x", type: "array", keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow(/cannot create/);
  });
});
