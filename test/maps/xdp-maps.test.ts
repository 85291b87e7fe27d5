// CPUMAP (kernel/bpf/cpumap.c) and XSKMAP (net/xdp/xskmap.c) from user space: update, lookup,
// delete and get_next_key with their errnos, ours step by step against the machine's kernel
// (skipped with the reason without bpf()). The kernel's CPUMAP entries are real (a kthread each,
// freed with the map); its XSKMAP can hold no socket here (we create no AF_XDP socket), so a
// populated XSKMAP slot is checked on our side only, and the kernel's answer to a socket id is
// its answer to an fd naming nothing (-EBADF).

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { MapError } from "../../vm/maps/errors.js";
import { kernelBridge, type KernelMap } from "../../vm/node/kernel/engine.js";
import { kernelAvailability, kernelErrno } from "../kernel/available.js";
import { makeMaps, u32 } from "./fixture.js";

const u32x2 = (a: number, b: number): Uint8Array => new Uint8Array(new Uint32Array([a, b]).buffer);

/** A CPUMAP on a 2-CPU machine (the kernel here has 2 possible CPUs). */
function cpumap(valueSize: 4 | 8, maxEntries = 4) {
  const { maps } = makeMaps({ cpus: 2 });
  maps.create({ name: "cpu_map", type: "cpumap", keySize: 4, valueSize, maxEntries });
  return maps.keyed("cpu_map");
}

function xskmap(maxEntries = 4) {
  const { maps } = makeMaps({ cpus: 2 });
  maps.create({ name: "xsks_map", type: "xskmap", keySize: 4, valueSize: 4, maxEntries });
  return maps.xskMap("xsks_map");
}

const hexOf = (b: Uint8Array | undefined): string | undefined => (b ? Buffer.from(b).toString("hex") : undefined);

describe("BPF_MAP_TYPE_CPUMAP", () => {
  test("update, lookup, delete and their errnos, in the kernel's order", () => {
    const m = cpumap(8);
    expect(m.lookup(u32(0))).toBeUndefined();
    expect(m.tryUpdate(u32(0), u32x2(64, 0))).toBe(0);
    expect(m.lookup(u32(0))).toEqual(u32x2(64, 0)); // qsize, prog id 0
    expect(m.tryUpdate(u32(1), u32x2(64, 0), abi.BPF_NOEXIST)).toBe(-abi.EEXIST); // every slot "exists"
    expect(m.tryUpdate(u32(1), u32x2(64, 0), abi.BPF_EXIST)).toBe(0); // an empty one too
    expect(m.tryUpdate(u32(1), u32x2(64, 0), 3)).toBe(-abi.EINVAL);
    expect(m.tryUpdate(u32(4), u32x2(64, 0))).toBe(-abi.E2BIG);
    expect(m.tryUpdate(u32(1), u32x2(16385, 0))).toBe(-abi.EOVERFLOW);
    expect(m.tryUpdate(u32(2), u32x2(64, 0))).toBe(-abi.ENODEV); // CPU 2 of 2
    expect(m.tryUpdate(u32(2), u32x2(0, 0))).toBe(-abi.ENODEV); // checked before qsize 0
    expect(m.tryUpdate(u32(1), u32x2(8, 5))).toBe(-abi.ENOMEM); // a program on the entry: none here
    expect(m.tryUpdate(u32(1), u32x2(8, -1 >>> 0))).toBe(0); // fd <= 0: no program
    expect(m.tryUpdate(u32(1), u32x2(0, 5))).toBe(0); // qsize 0 deletes, fd unread
    expect(m.lookup(u32(1))).toBeUndefined();
    expect(m.tryDelete(u32(0))).toBe(0);
    expect(m.tryDelete(u32(0))).toBe(0); // an empty slot deletes fine
    expect(m.tryDelete(u32(4))).toBe(-abi.EINVAL);
    expect([...m.keys()].map((k) => k[0])).toEqual([0, 1, 2, 3]); // array-like get_next_key
  });

  test("value_size 4: the qsize alone (a program fd is never read)", () => {
    const m = cpumap(4, 2);
    expect(m.tryUpdate(u32(1), u32(192))).toBe(0);
    expect(m.lookup(u32(1))).toEqual(u32(192));
  });

  const kernel = kernelAvailability();
  test.skipIf(!kernel.ok)("every step gives the kernel's answer (value_size 4 and 8)", () => {
    const bridge = kernelBridge();
    expect(bridge.available().possibleCpus, "this comparison assumes 2 possible CPUs, as our map's machine").toBe(2);
    for (const valueSize of [4, 8] as const) {
      const ours = cpumap(valueSize);
      const theirs = bridge.createMap({ name: "cpu_map", type: abi.BPF_MAP_TYPE_CPUMAP, keySize: 4, valueSize, maxEntries: 4 });
      const v = (qsize: number, fd = 0): Uint8Array => (valueSize === 8 ? u32x2(qsize, fd) : u32(qsize));
      try {
        const steps: Array<[string, number, Uint8Array, number]> = [
          ["update 0", 0, v(16), 0], ["update 1 NOEXIST", 1, v(16), 1], ["update 1 EXIST", 1, v(16), 2],
          ["update flags 3", 1, v(16), 3], ["update flags BPF_F_LOCK", 1, v(16), 4], ["update past the end", 4, v(16), 0],
          ["update CPU 2", 2, v(16), 0], ["update CPU 3 qsize 0", 3, v(0), 0], ["update qsize 16385", 1, v(16385), 0],
          ["update qsize 16384", 1, v(16384), 0], ["update qsize 0", 1, v(0), 0], ["update qsize 1", 1, v(1), 0],
          ["update prog fd 4000", 1, v(8, 4000), 0], ["update prog fd -1", 1, v(8, -1 >>> 0), 0], ["update qsize 0 fd 4000", 0, v(0, 4000), 0],
        ];
        for (const [what, key, value, flags] of steps) {
          expect(ours.tryUpdate(u32(key), value, flags), `value_size ${valueSize}: ${what}`).toBe(kernelErrno(() => theirs.update(u32(key), value, BigInt(flags))));
          for (const k of [0, 1, 2, 3]) expect(hexOf(ours.lookup(u32(k))), `value_size ${valueSize}: after ${what}, lookup ${k}`).toBe(hexOf(theirs.lookup(u32(k))));
        }
        for (const key of [3, 1, 1, 4]) {
          expect(ours.tryDelete(u32(key)), `delete ${key}`).toBe(kernelErrno(() => theirs.delete(u32(key))));
        }
        for (const key of [undefined, 0, 3, 9]) {
          const k = key === undefined ? undefined : u32(key);
          expect(hexOf(ours.nextKey(k)), `next key of ${key}`).toBe(hexOf(theirs.nextKey(k)));
        }
      } finally {
        theirs.close();
      }
    }
  });
});

describe("BPF_MAP_TYPE_XSKMAP", () => {
  test("slots take socket ids; user space cannot look them up (-EOPNOTSUPP)", () => {
    const m = xskmap();
    expect(() => m.lookup(u32(0))).toThrow(MapError);
    expect(() => m.lookup(u32(0))).toThrow(/lookup failed with -EOPNOTSUPP/);
    expect(m.tryUpdate(u32(0), u32(0))).toBe(-abi.EBADF); // 0 names no socket
    expect(m.tryUpdate(u32(0), u32(7), abi.BPF_EXIST)).toBe(-abi.ENOENT); // an empty slot
    expect(m.tryUpdate(u32(0), u32(7), abi.BPF_NOEXIST)).toBe(0);
    expect(m.socketOf(0)).toBe(7);
    expect(m.tryUpdate(u32(0), u32(7), abi.BPF_NOEXIST)).toBe(0); // the same socket again
    expect(m.tryUpdate(u32(0), u32(8), abi.BPF_NOEXIST)).toBe(-abi.EEXIST);
    expect(m.tryUpdate(u32(0), u32(8), abi.BPF_EXIST)).toBe(0);
    expect(m.socketOf(0)).toBe(8);
    expect(m.tryUpdate(u32(4), u32(8))).toBe(-abi.E2BIG);
    expect(m.tryUpdate(u32(1), u32(8), 3)).toBe(-abi.EINVAL);
    m.bind(3, 9);
    expect([m.socketOf(1), m.socketOf(3), m.socketOf(4)]).toEqual([undefined, 9, undefined]);
    expect(m.tryDelete(u32(3))).toBe(0);
    expect(m.tryDelete(u32(3))).toBe(0);
    expect(m.socketOf(3)).toBeUndefined();
    expect(m.tryDelete(u32(4))).toBe(-abi.EINVAL);
    expect([...m.keys()].map((k) => k[0])).toEqual([0, 1, 2, 3]);
    expect(() => [...m.entries()]).toThrow(/EOPNOTSUPP/); // as a map dump in the kernel
  });

  const kernel = kernelAvailability();
  test.skipIf(!kernel.ok)("the errnos the kernel can give without a socket: ours with socket id 0 / ids, theirs with a bad fd", () => {
    const ours = xskmap();
    const theirs: KernelMap = kernelBridge().createMap({ name: "xsks_map", type: abi.BPF_MAP_TYPE_XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
    const BAD_FD = 4000; // no such descriptor in the kernel bridge
    try {
      const steps: Array<[string, number, number, number]> = [
        ["no socket", 0, 0, 0], ["flags 3", 0, 7, 3], ["past the end", 4, 7, 0], ["past the end, flags 3", 9, 0, 3],
        ["no socket, NOEXIST", 1, 0, 1], ["no socket, EXIST", 1, 0, 2],
      ];
      for (const [what, key, socket, flags] of steps) {
        const want = kernelErrno(() => theirs.update(u32(key), u32(socket === 0 ? BAD_FD : socket), BigInt(flags)));
        expect(ours.tryUpdate(u32(key), u32(socket), flags), what).toBe(want);
      }
      expect(kernelErrno(() => theirs.lookup(u32(0)))).toBe(-abi.EOPNOTSUPP);
      for (const key of [0, 3, 4]) expect(ours.tryDelete(u32(key)), `delete ${key}`).toBe(kernelErrno(() => theirs.delete(u32(key))));
      for (const key of [undefined, 0, 3, 9]) {
        const k = key === undefined ? undefined : u32(key);
        expect(hexOf(ours.nextKey(k)), `next key of ${key}`).toBe(hexOf(theirs.nextKey(k)));
      }
    } finally {
      theirs.close();
    }
  });
});

describe("an XSKMAP as the inner map of a map of maps", () => {
  test("xsk_map_meta_equal: a slot takes an XSKMAP of the template's max_entries only, as the kernel", () => {
    const { maps } = makeMaps({ cpus: 2 });
    const inner = { type: "xskmap", keySize: 4, valueSize: 4, maxEntries: 4 } as const;
    maps.create({ name: "outer", type: "array_of_maps", keySize: 4, valueSize: 4, maxEntries: 2, inner });
    const same = maps.create({ name: "same", ...inner });
    const bigger = maps.create({ name: "bigger", ...inner, maxEntries: 8 });
    const outer = maps.mapOfMaps("outer");
    expect(outer.tryUpdate(u32(0), same)).toBe(0);
    expect(outer.tryUpdate(u32(1), bigger)).toBe(-abi.EINVAL);
    if (!kernelAvailability().ok) return;
    const bridge = kernelBridge();
    const spec = { type: abi.BPF_MAP_TYPE_XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 };
    const theirs = bridge.createMap({ name: "outer", type: abi.BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, inner: { ...spec, name: "t" } });
    const k = [bridge.createMap({ ...spec, name: "same" }), bridge.createMap({ ...spec, name: "bigger", maxEntries: 8 })];
    try {
      expect(kernelErrno(() => theirs.update(u32(0), u32(k[0]!.fd)))).toBe(0);
      expect(kernelErrno(() => theirs.update(u32(1), u32(k[1]!.fd)))).toBe(-abi.EINVAL);
    } finally {
      for (const m of [theirs, ...k]) m.close();
    }
  });
});
