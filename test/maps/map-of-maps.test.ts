// ARRAY_OF_MAPS / HASH_OF_MAPS from user space (kernel/bpf/map_in_map.c, arraymap.c, hashtab.c):
// creation with an inner map template, slots set by inner map fd (bpf_map_fd_get_ptr: -EBADF for
// an fd naming no map, -EINVAL for a map unlike the template), lookups answering the inner map's
// id, delete, get_next_key. The same script of operations runs on the kernel's maps and must give
// the same errnos (skipped with the reason without bpf()).

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { errnoName } from "../../vm/maps/errors.js";
import { checkSpec } from "../../vm/maps/spec.js";
import type { MapSet } from "../../vm/maps/mapset.js";
import type { InnerMapSpec, MapSpec } from "../../vm/maps/types.js";
import { kernelBridge, KernelError, type KernelMap, type KernelMapSpec } from "../../vm/node/kernel/engine.js";
import { kernelAvailability, kernelErrno } from "../kernel/available.js";
import { makeMaps, readU32, u32 } from "./fixture.js";

const status = kernelAvailability();
const ARRAY_8x4: InnerMapSpec = { type: 2, keySize: 4, valueSize: 8, maxEntries: 4 };

describe("map of maps: creation", () => {
  test("needs an inner template, of one level, not a prog array; value_size 4", () => {
    const { maps } = makeMaps();
    expect(() => maps.create({ name: "a", type: "array_of_maps", keySize: 4, valueSize: 4, maxEntries: 2 })).toThrow(/map 'a' \(array_of_maps\): a map of maps needs an inner map template/);
    expect(() => maps.create({ name: "b", type: 13, keySize: 4, valueSize: 4, maxEntries: 2, inner: { type: 12, keySize: 4, valueSize: 4, maxEntries: 1 } })).toThrow(/only one level of map-in-map/);
    expect(() => maps.create({ name: "c", type: 12, keySize: 4, valueSize: 4, maxEntries: 2, inner: { type: 3, keySize: 4, valueSize: 4, maxEntries: 1 } })).toThrow(/prog_array cannot be an inner map.*-ENOTSUPP/);
    expect(() => maps.create({ name: "d", type: 12, keySize: 4, valueSize: 8, maxEntries: 2, inner: ARRAY_8x4 })).toThrow(/value_size must be 4/);
    expect(() => maps.create({ name: "e", type: 13, keySize: 4, valueSize: 8, maxEntries: 2, inner: ARRAY_8x4 })).toThrow(/value_size must be 4/);
    expect(() => maps.create({ name: "f", type: 12, keySize: 4, valueSize: 4, maxEntries: 2, inner: { ...ARRAY_8x4, valueSize: 0 } })).toThrow(/map 'f.inner' \(array\): value_size must not be 0/);
    expect(() => maps.create({ name: "g", type: "hash", keySize: 4, valueSize: 4, maxEntries: 2, inner: ARRAY_8x4 })).toThrow(/only for ARRAY_OF_MAPS/);
    expect(maps.create({ name: "ok", type: "hash_of_maps", keySize: 8, valueSize: 4, maxEntries: 2, inner: { type: "lru_hash", keySize: 4, valueSize: 4, maxEntries: 9 } }).typeName).toBe("hash_of_maps");
  });
});

/** The errno name our refusal names ("EINVAL"), or 0 when accepted. */
const ourRefusal = (spec: MapSpec): string | 0 => {
  try {
    checkSpec(spec);
    return 0;
  } catch (err) {
    return (err as Error).message.match(/-(E[A-Z0-9]+)\)/)?.[1] ?? (err as Error).message;
  }
};

describe.skipIf(!status.ok)("map of maps: BPF_MAP_CREATE against the kernel", () => {
  test("outer sizes and flags, and inner templates of every type implemented here", () => {
    const bridge = kernelBridge();
    const specs: MapSpec[] = [];
    for (const type of [12, 13]) {
      for (const flags of [0, 1, 2, 4, 8, 16, 64, 128, 256, 1024, 2048, 4096, 1 | 128]) {
        for (const [keySize, valueSize, maxEntries] of [[4, 4, 2], [8, 4, 2], [4, 8, 2], [4, 4, 0], [2, 4, 3], [0, 4, 1]] as const) {
          specs.push({ name: "o", type, keySize, valueSize, maxEntries, flags, inner: ARRAY_8x4 });
        }
      }
      const inners: InnerMapSpec[] = [
        { type: 1, keySize: 4, valueSize: 8, maxEntries: 4 }, { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 },
        { type: 4, keySize: 4, valueSize: 4, maxEntries: 2 }, { type: 5, keySize: 4, valueSize: 8, maxEntries: 4 },
        { type: 6, keySize: 4, valueSize: 8, maxEntries: 4 }, { type: 9, keySize: 4, valueSize: 8, maxEntries: 4 },
        { type: 11, keySize: 8, valueSize: 8, maxEntries: 4, flags: 1 }, { type: 14, keySize: 4, valueSize: 4, maxEntries: 4 },
        { type: 22, keySize: 0, valueSize: 4, maxEntries: 4 }, { type: 25, keySize: 4, valueSize: 4, maxEntries: 4 },
        { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 }, { ...ARRAY_8x4, flags: abi.BPF_F_INNER_MAP },
      ];
      for (const inner of inners) specs.push({ name: "o", type, keySize: 4, valueSize: 4, maxEntries: 2, inner });
    }
    const differ = specs.flatMap((spec) => {
      let kernel: string | 0 = 0;
      try {
        bridge.createMap(spec as KernelMapSpec).close();
      } catch (err) {
        kernel = err instanceof KernelError ? errnoName(err.errno) : String(err);
      }
      const ours = ourRefusal(spec);
      return String(ours) === String(kernel) ? [] : [`${JSON.stringify(spec)}: ours ${ours}, kernel ${kernel}`];
    });
    expect(differ).toEqual([]);
  });
});

/** One user-space operation, run on ours and on the kernel's maps (fds by name). */
type Op =
  | { readonly op: "update"; readonly map: string; readonly key: number; readonly inner: string | number; readonly flags?: number }
  | { readonly op: "delete"; readonly map: string; readonly key: number };

const SPECS: readonly MapSpec[] = [
  { name: "a4", type: 2, keySize: 4, valueSize: 8, maxEntries: 4 },
  { name: "a8", type: 2, keySize: 4, valueSize: 8, maxEntries: 8 },
  { name: "v4", type: 2, keySize: 4, valueSize: 4, maxEntries: 4 },
  { name: "h", type: 1, keySize: 4, valueSize: 8, maxEntries: 4 },
  { name: "mm", type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: abi.BPF_F_MMAPABLE },
  { name: "i8", type: 2, keySize: 4, valueSize: 8, maxEntries: 8, flags: abi.BPF_F_INNER_MAP },
  { name: "h100", type: 1, keySize: 4, valueSize: 8, maxEntries: 100 },
  { name: "aom", type: 12, keySize: 4, valueSize: 4, maxEntries: 2, inner: ARRAY_8x4 },
  { name: "aomi", type: 12, keySize: 4, valueSize: 4, maxEntries: 2, inner: { ...ARRAY_8x4, flags: abi.BPF_F_INNER_MAP } },
  { name: "hom", type: 13, keySize: 4, valueSize: 4, maxEntries: 2, inner: { type: 1, keySize: 4, valueSize: 8, maxEntries: 4 } },
  { name: "pa8", type: 6, keySize: 4, valueSize: 8, maxEntries: 8 },
  { name: "aomp", type: 12, keySize: 4, valueSize: 4, maxEntries: 2, inner: { type: 6, keySize: 4, valueSize: 8, maxEntries: 4 } },
];

const SCRIPT: readonly Op[] = [
  { op: "update", map: "aom", key: 0, inner: "a4" },
  { op: "update", map: "aom", key: 0, inner: "a4", flags: abi.BPF_NOEXIST }, // fd arrays: only BPF_ANY
  { op: "update", map: "aom", key: 1, inner: "a8" }, // max_entries differs (array_map_meta_equal)
  { op: "update", map: "aom", key: 1, inner: "v4" }, // value_size
  { op: "update", map: "aom", key: 1, inner: "h" }, // type
  { op: "update", map: "aom", key: 1, inner: "mm" }, // map_flags
  { op: "update", map: "aom", key: 2, inner: "a4" }, // past max_entries: before the fd
  { op: "update", map: "aom", key: 1, inner: 999 }, // no such fd
  { op: "update", map: "aom", key: 1, inner: 999, flags: abi.BPF_EXIST }, // flags first
  { op: "update", map: "aom", key: 1, inner: "aom" }, // a map of maps is never an inner map
  { op: "delete", map: "aom", key: 1 },
  { op: "delete", map: "aom", key: 0 },
  { op: "delete", map: "aom", key: 0 },
  { op: "delete", map: "aom", key: 5 },
  { op: "update", map: "aomi", key: 0, inner: "i8" }, // BPF_F_INNER_MAP: any max_entries
  { op: "update", map: "aomi", key: 1, inner: "a4" }, // but the flags must match
  { op: "update", map: "hom", key: 7, inner: "h100", flags: abi.BPF_EXIST },
  { op: "update", map: "hom", key: 7, inner: "h100", flags: abi.BPF_NOEXIST }, // hash: max_entries free
  { op: "update", map: "hom", key: 7, inner: "h", flags: abi.BPF_NOEXIST },
  { op: "update", map: "hom", key: 8, inner: "h" },
  { op: "update", map: "hom", key: 9, inner: "h" }, // full
  { op: "update", map: "hom", key: 9, inner: 999, flags: abi.BPF_EXIST }, // the fd before the flags
  { op: "update", map: "hom", key: 7, inner: "a4" },
  { op: "delete", map: "hom", key: 8 },
  { op: "delete", map: "hom", key: 8 },
  // A PERCPU_ARRAY's map_meta_equal is bpf_map_meta_equal: any max_entries (refused here before).
  { op: "update", map: "aomp", key: 0, inner: "pa8" },
  { op: "update", map: "aomp", key: 1, inner: "a4" }, // the type still counts
];

function runOurs(): { maps: MapSet; errnos: number[] } {
  const { maps } = makeMaps();
  for (const s of SPECS) maps.create(s);
  const errnos = SCRIPT.map((o) => {
    const outer = maps.mapOfMaps(o.map);
    if (o.op === "delete") {
      const ret = outer.tryDelete(u32(o.key));
      return ret;
    }
    const inner = typeof o.inner === "number" ? o.inner : maps.get(o.inner)!.fd;
    return outer.tryUpdate(u32(o.key), inner, o.flags ?? 0);
  });
  return { maps, errnos };
}

describe("map of maps: the program side of the runtime", () => {
  test("a lookup gives the inner map pointer (its header address); programs cannot change slots", () => {
    const { maps, memory } = makeMaps();
    const inner = maps.create({ name: "in", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 });
    const aom = maps.create({ name: "aom", type: "array_of_maps", keySize: 4, valueSize: 4, maxEntries: 2, inner: { type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 } });
    const hom = maps.create({ name: "hom", type: "hash_of_maps", keySize: 4, valueSize: 4, maxEntries: 2, inner: { type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 } });
    maps.mapOfMaps("aom").update(u32(1), inner);
    maps.mapOfMaps("hom").update(u32(5), inner);
    const rt = maps.runtime.exports;
    const dv = new DataView(memory.buffer);
    // Keys and values in the outer map's staging area (any memory past the null guard would do).
    const key = aom.descriptor.staging;
    const value = key + 8;
    const lookup = (map: number, k: number): number => {
      dv.setUint32(key, k, true);
      return rt.map_lookup(map, key, 0);
    };
    expect([lookup(aom.address, 0), lookup(aom.address, 1), lookup(aom.address, 2)]).toEqual([0, inner.address, 0]);
    expect([lookup(hom.address, 5), lookup(hom.address, 6)]).toEqual([inner.address, 0]);
    dv.setUint32(value, inner.address, true);
    expect(rt.map_update(aom.address, key, value, 0n, 0)).toBe(-BigInt(abi.EINVAL));
    expect(rt.map_update(hom.address, key, value, 0n, 0)).toBe(-BigInt(abi.EINVAL));
    dv.setUint32(key, 5, true);
    expect(rt.map_delete(hom.address, key)).toBe(-BigInt(abi.EINVAL));
    expect(lookup(hom.address, 5)).toBe(inner.address);
  });
});

describe("map of maps: slots from user space", () => {
  test("errnos of bpf_fd_array_map_update_elem / bpf_fd_htab_map_update_elem, and what is left", () => {
    const { maps, errnos } = runOurs();
    const E = (e: number) => -e;
    expect(errnos).toEqual([
      0, E(abi.EINVAL), E(abi.EINVAL), E(abi.EINVAL), E(abi.EINVAL), E(abi.EINVAL), E(abi.E2BIG), E(abi.EBADF), E(abi.EINVAL),
      E(abi.EINVAL), E(abi.ENOENT), 0, E(abi.ENOENT), E(abi.E2BIG), 0, E(abi.EINVAL), E(abi.ENOENT), 0, E(abi.EEXIST), 0,
      E(abi.E2BIG), E(abi.EBADF), E(abi.EINVAL), 0, E(abi.ENOENT), 0, E(abi.EINVAL),
    ]);
    const hom = maps.mapOfMaps("hom");
    // A lookup answers the inner map's id (fd + 1); innerMap() the map itself.
    expect(readU32(hom.lookup(u32(7)))).toBe(maps.get("h100")!.id);
    expect(hom.innerMap(u32(7))).toBe(maps.get("h100"));
    expect(hom.lookup(u32(8))).toBeUndefined();
    expect([...hom.keys()].map(readU32)).toEqual([7]);
    expect(hom.size).toBe(1);
    const aomi = maps.mapOfMaps("aomi");
    expect(aomi.innerMap(u32(0))).toBe(maps.get("i8"));
    expect([...aomi.keys()].map(readU32)).toEqual([0, 1]);
    expect(maps.mapOfMaps("aom").lookup(u32(0))).toBeUndefined();
  });

  test("an incompatible map is refused with a message naming both maps and the difference", () => {
    const { maps } = makeMaps();
    for (const s of SPECS) maps.create(s);
    expect(() => maps.mapOfMaps("aom").update(u32(1), maps.get("a8")!)).toThrow(
      "map 'aom': update (map 'a8' cannot be an inner map of 'aom': its max_entries is 8, the inner map template's is 4 (an array's must match unless the template has BPF_F_INNER_MAP)) failed with -EINVAL",
    );
    expect(() => maps.keyed("aom")).toThrow(/mapOfMaps\(\)/);
  });

  test("a PERCPU_ARRAY inner map: larger than the template taken (as the kernel does), smaller refused (a verified constant-key lookup would get NULL)", () => {
    const { maps } = makeMaps();
    maps.create({ name: "aomp", type: "array_of_maps", keySize: 4, valueSize: 4, maxEntries: 2, inner: { type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 4 } });
    const big = maps.create({ name: "big", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 8 });
    const small = maps.create({ name: "small", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 2 });
    expect(maps.mapOfMaps("aomp").tryUpdate(u32(0), big)).toBe(0);
    expect(() => maps.mapOfMaps("aomp").update(u32(1), small)).toThrow(
      "map 'aomp': update (map 'small' cannot be an inner map of 'aomp': its max_entries is 2, below the inner map template's 4 (the kernel takes it, but a constant-key lookup the template proves in range has no NULL check and would get NULL)) failed with -EINVAL",
    );
    expect(maps.mapOfMaps("aomp").innerMap(u32(0))).toBe(big);
  });

  test("an fd naming no map is refused naming the fd; a refusal on the flags does not blame the map", () => {
    const { maps } = makeMaps();
    for (const s of SPECS) maps.create(s);
    expect(() => maps.mapOfMaps("aom").update(u32(1), 999)).toThrow("map 'aom': update (fd 999 names no map of this set) failed with -EBADF (the fd names no program or map)");
    expect(() => maps.mapOfMaps("hom").update(u32(1), Uint8Array.of(1, 2))).toThrow("map 'hom': update (the value is not a map fd (4 bytes)) failed with -EBADF");
    // bpf_fd_array_map_update_elem checks the flags before the fd: -EINVAL, about the flags.
    expect(() => maps.mapOfMaps("aom").update(u32(1), 999, abi.BPF_NOEXIST)).toThrow(/^map 'aom': update failed with -EINVAL/);
  });

  test.skipIf(!status.ok)("the kernel answers the same script with the same errnos", () => {
    const bridge = kernelBridge();
    const kmaps = new Map<string, KernelMap>();
    try {
      for (const s of SPECS) kmaps.set(s.name, bridge.createMap(s as KernelMapSpec));
      const errnos = SCRIPT.map((o) => {
        const outer = kmaps.get(o.map)!;
        if (o.op === "delete") return kernelErrno(() => { if (!outer.delete(u32(o.key))) throw new KernelError("ENOENT", abi.ENOENT); });
        const fd = typeof o.inner === "number" ? o.inner : kmaps.get(o.inner)!.fd;
        return kernelErrno(() => outer.update(u32(o.key), u32(fd), BigInt(o.flags ?? 0)));
      });
      expect(errnos).toEqual(runOurs().errnos);
    } finally {
      for (const m of kmaps.values()) m.close();
    }
  });
});
