// DEVMAP, DEVMAP_HASH (kernel/bpf/devmap.c) and PERF_EVENT_ARRAY (kernel/bpf/arraymap.c) from
// user space: creation checks, update/lookup/delete/get_next_key and their errnos, with the
// DEVMAP errnos compared against the kernel's own map (skipped with the reason without bpf()).

import { describe, expect, test } from "vitest";
import { BpfError } from "../../vm/errors.js";
import * as abi from "../../vm/maps/abi.js";
import { kernelBridge, KernelError } from "../../vm/node/kernel/engine.js";
import { kernelAvailability, kernelErrno } from "../kernel/available.js";
import { makeMaps, readU32, u32 } from "./fixture.js";

const devmap = (type: "devmap" | "devmap_hash", valueSize = 4, maxEntries = 4) => {
  const { maps } = makeMaps();
  maps.create({ name: "tx", type, keySize: 4, valueSize, maxEntries });
  return maps.keyed("tx");
};
const val8 = (ifindex: number, fd: number): Uint8Array => new Uint8Array(new Uint32Array([ifindex, fd]).buffer);

describe("BPF_MAP_TYPE_DEVMAP", () => {
  test("creation: u32 keys, 4- or 8-byte values", () => {
    const { maps } = makeMaps();
    expect(() => maps.create({ name: "a", type: "devmap", keySize: 8, valueSize: 4, maxEntries: 4 })).toThrow(/\(devmap\): key_size must be 4/);
    expect(() => maps.create({ name: "b", type: "devmap", keySize: 4, valueSize: 12, maxEntries: 4 })).toThrow(BpfError);
    expect(() => maps.create({ name: "c", type: 14, keySize: 4, valueSize: 8, maxEntries: 4 })).not.toThrow();
  });

  test("slots start empty; update, lookup, delete like the kernel", () => {
    const m = devmap("devmap");
    expect(m.lookup(0)).toBeUndefined();
    expect(m.tryUpdate(1, u32(3))).toBe(0);
    expect(readU32(m.lookup(1))).toBe(3);
    expect(m.tryUpdate(1, u32(4), abi.BPF_EXIST)).toBe(0);
    expect(m.tryUpdate(2, u32(4), abi.BPF_NOEXIST)).toBe(-abi.EEXIST); // every slot "exists"
    expect(m.tryUpdate(4, u32(4))).toBe(-abi.E2BIG);
    expect(m.tryUpdate(0, u32(4), 3)).toBe(-abi.EINVAL);
    expect(m.tryUpdate(2, u32(5))).toBe(0);
    expect(m.tryUpdate(2, u32(0))).toBe(0); // ifindex 0 stores no device: the slot empties
    expect(m.lookup(2)).toBeUndefined();
    expect(m.tryDelete(1)).toBe(0);
    expect(m.lookup(1)).toBeUndefined();
    expect(m.tryDelete(1)).toBe(0); // an empty slot deletes fine
    expect(m.tryDelete(4)).toBe(-abi.EINVAL);
    expect([...m.keys()].map(readU32)).toEqual([0, 1, 2, 3]); // array-like get_next_key
    expect(m.nextKey(u32(9))).toEqual(u32(0));
  });

  test("struct bpf_devmap_val: the program fd must be <= 0 here; the stored id is 0", () => {
    const m = devmap("devmap", 8);
    expect(m.tryUpdate(0, val8(2, 0))).toBe(0);
    expect(m.tryUpdate(1, val8(2, -1 >>> 0))).toBe(0);
    expect([...m.lookup(1)!]).toEqual([...val8(2, 0)]);
    expect(m.tryUpdate(2, val8(2, 5))).toBe(-abi.EINVAL); // attaching a program: not here
    expect(m.tryUpdate(2, val8(0, 5))).toBe(-abi.EINVAL); // "can not specify fd if ifindex is 0"
  });
});

describe("BPF_MAP_TYPE_DEVMAP_HASH", () => {
  test("keys are any u32; flags as __dev_map_hash_update_elem checks them", () => {
    const m = devmap("devmap_hash", 4, 2);
    expect(m.tryUpdate(1000, u32(1))).toBe(0);
    expect(m.tryUpdate(1000, u32(2), abi.BPF_NOEXIST)).toBe(-abi.EEXIST);
    expect(m.tryUpdate(7, u32(2), abi.BPF_EXIST)).toBe(0); // BPF_EXIST is not checked: inserted
    expect(m.tryUpdate(8, u32(2))).toBe(-abi.E2BIG); // full
    expect(m.tryUpdate(7, u32(0))).toBe(-abi.EINVAL);
    expect(m.tryUpdate(7, u32(1), 4)).toBe(-abi.EINVAL);
    expect(readU32(m.lookup(1000))).toBe(1);
    expect(m.size).toBe(2);
    expect(m.delete(1000)).toBe(true);
    expect(m.tryDelete(1000)).toBe(-abi.ENOENT);
    expect([...m.keys()].map(readU32)).toEqual([7]);
  });
});

describe("BPF_MAP_TYPE_PERF_EVENT_ARRAY", () => {
  const perf = (maxEntries = 2) => {
    const { maps } = makeMaps({ cpus: 2 });
    maps.create({ name: "events", type: "perf_event_array", keySize: 4, valueSize: 4, maxEntries });
    return maps.perfEventArray("events");
  };

  test("creation: 4-byte keys and values", () => {
    const { maps } = makeMaps();
    expect(() => maps.create({ name: "e", type: 4, keySize: 4, valueSize: 8, maxEntries: 2 })).toThrow(/value_size must be 4/);
    expect(() => maps.create({ name: "e", type: 4, keySize: 4, valueSize: 4, maxEntries: 0 })).toThrow(/max_entries must not be 0/);
    maps.create({ name: "h", type: "hash", keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(() => maps.perfEventArray("h")).toThrow(/not a perf event array/);
  });

  test("slots open on a CPU, close, and refuse what fd arrays refuse", () => {
    const p = perf(3);
    expect(p.cpuOf(0)).toBeUndefined();
    p.open(0);
    p.open(2, 1);
    expect([p.cpuOf(0), p.cpuOf(1), p.cpuOf(2)]).toEqual([0, undefined, 1]);
    expect(p.tryUpdate(1, u32(0), abi.BPF_NOEXIST)).toBe(-abi.EINVAL); // only BPF_ANY
    expect(p.tryUpdate(3, u32(0))).toBe(-abi.E2BIG);
    expect(p.tryUpdate(1, u32(2))).toBe(-abi.EINVAL); // CPU 2 of a 2-CPU machine
    expect(p.close(0)).toBe(true);
    expect(p.close(0)).toBe(false);
    expect(p.tryDelete(3)).toBe(-abi.E2BIG);
    p.openAll();
    expect([p.cpuOf(0), p.cpuOf(1), p.cpuOf(2)]).toEqual([0, 1, 1]);
  });
});

describe("DEVMAP user-space errnos against the kernel", () => {
  const kernel = kernelAvailability();
  test.skipIf(!kernel.ok)("update / delete / lookup give the kernel's answers (ifindex 1 = lo)", () => {
    const bridge = kernelBridge();
    for (const type of ["devmap", "devmap_hash"] as const) {
      const ours = devmap(type, 4, 4);
      const theirs = bridge.createMap({ name: "tx", type: type === "devmap" ? 14 : 25, keySize: 4, valueSize: 4, maxEntries: 4 });
      try {
        const steps: Array<[string, () => number, () => number]> = [
          ["update 1", () => ours.tryUpdate(1, u32(1)), () => kernelErrno(() => theirs.update(u32(1), u32(1)))],
          ["update 1 NOEXIST", () => ours.tryUpdate(1, u32(1), 1), () => kernelErrno(() => theirs.update(u32(1), u32(1), 1n))],
          ["update 2 EXIST", () => ours.tryUpdate(2, u32(1), 2), () => kernelErrno(() => theirs.update(u32(2), u32(1), 2n))],
          ["update flags 4", () => ours.tryUpdate(3, u32(1), 4), () => kernelErrno(() => theirs.update(u32(3), u32(1), 4n))],
          ["update ifindex 0", () => ours.tryUpdate(3, u32(0)), () => kernelErrno(() => theirs.update(u32(3), u32(0)))],
          ["delete 1", () => ours.tryDelete(1), () => kernelErrno(() => theirs.delete(u32(1)))],
          ["delete 1 again", () => ours.tryDelete(1), () => kernelErrno(() => theirs.delete(u32(1)) ? 0 : (() => { throw new KernelError("", 2); })())],
        ];
        if (type === "devmap") {
          steps.push(["update 4 (past the end)", () => ours.tryUpdate(4, u32(1)), () => kernelErrno(() => theirs.update(u32(4), u32(1)))]);
          steps.push(["delete 4", () => ours.tryDelete(4), () => kernelErrno(() => theirs.delete(u32(4)))]);
        }
        for (const [what, o, k] of steps) expect(o(), `${type}: ${what}`).toBe(k());
        for (const key of [0, 1, 2, 3]) expect(ours.lookup(key) !== undefined, `${type}: lookup ${key}`).toBe(theirs.lookup(u32(key)) !== undefined);
      } finally {
        theirs.close();
      }
    }
  });
});
