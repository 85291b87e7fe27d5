// What user space may do with a map (the kernel's map_get_sys_perms): BPF_F_RDONLY maps refuse
// updates, deletes, pops and freezing; BPF_F_WRONLY maps refuse lookups, iteration, peeks and
// pops; a frozen map refuses every write, a second freeze included. Each answer is compared
// with the kernel's for the same sequence of operations where bpf() is available (it is the
// list below either way: the kernel run only confirms it).

import { afterAll, describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { MapError } from "../../vm/maps/errors.js";
import type { BpfMap } from "../../vm/maps/map.js";
import type { QueueMap } from "../../vm/maps/queue.js";
import { KernelError, type KernelMap } from "../../vm/node/kernel/bridge.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "../kernel/available.js";
import { makeMaps, u32, u64 } from "./fixture.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const EPERM = -abi.EPERM;
/** 0, or the negative errno of a refusal (MapError / KernelError). */
const errnoOf = (f: () => unknown): number => {
  try {
    f();
    return 0;
  } catch (err) {
    if (err instanceof MapError) return err.errno;
    if (err instanceof KernelError) return -err.errno;
    throw err;
  }
};

type Keyed = Pick<BpfMap, "update" | "lookup" | "delete" | "nextKey" | "freeze">;
const KEYED_OPS: ReadonlyArray<readonly [string, (m: Keyed) => unknown]> = [
  ["update", (m) => m.update(u32(1), u64(5n))],
  ["lookup", (m) => m.lookup(u32(1))],
  ["next_key", (m) => m.nextKey()],
  ["delete", (m) => m.delete(u32(1))],
  ["freeze", (m) => m.freeze()],
  ["update after freeze", (m) => m.update(u32(1), u64(5n))],
  ["lookup after freeze", (m) => m.lookup(u32(1))],
  ["freeze again", (m) => m.freeze()],
];
type Queue = Pick<QueueMap, "push" | "pop" | "peek" | "freeze">;
const QUEUE_OPS: ReadonlyArray<readonly [string, (m: Queue) => unknown]> = [
  ["push", (m) => m.push(u32(7))],
  ["peek", (m) => m.peek()],
  ["pop", (m) => m.pop()],
  ["freeze", (m) => m.freeze()],
  ["push after freeze", (m) => m.push(u32(7))],
  ["pop after freeze", (m) => m.pop()],
  ["peek after freeze", (m) => m.peek()],
];

/** The kernel's answers (Linux 6.18), errno per operation in the order above. */
const KEYED_WANT: Record<string, number[]> = {
  none: [0, 0, 0, 0, 0, EPERM, 0, EPERM],
  rdonly: [EPERM, 0, 0, EPERM, EPERM, EPERM, 0, EPERM],
  wronly: [0, EPERM, EPERM, 0, 0, EPERM, EPERM, EPERM],
};
const QUEUE_WANT: Record<string, number[]> = {
  none: [0, 0, 0, 0, EPERM, EPERM, 0],
  rdonly: [EPERM, 0, EPERM, EPERM, EPERM, EPERM, 0],
  wronly: [0, EPERM, EPERM, 0, EPERM, EPERM, EPERM],
};
const FLAGS: Record<string, number> = { none: 0, rdonly: abi.BPF_F_RDONLY, wronly: abi.BPF_F_WRONLY };

describe("user-space access to a map follows its BPF_F_RDONLY / BPF_F_WRONLY / frozen state", () => {
  for (const [mode, flags] of Object.entries(FLAGS)) {
    test(`hash, ${mode}`, () => {
      const m = makeMaps().maps.create({ name: "h", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4, flags }) as BpfMap;
      expect(KEYED_OPS.map(([, op]) => errnoOf(() => op(m)))).toEqual(KEYED_WANT[mode]);
    });
    test(`queue, ${mode}`, () => {
      const q = makeMaps().maps.create({ name: "q", type: "queue", keySize: 0, valueSize: 4, maxEntries: 4, flags }) as QueueMap;
      expect(QUEUE_OPS.map(([, op]) => errnoOf(() => op(q)))).toEqual(QUEUE_WANT[mode]);
    });
  }

  test("the refusal says why", () => {
    const { maps } = makeMaps();
    const r = maps.create({ name: "r", type: "array", keySize: 4, valueSize: 8, maxEntries: 4, flags: abi.BPF_F_RDONLY }) as BpfMap;
    const w = maps.create({ name: "w", type: "array", keySize: 4, valueSize: 8, maxEntries: 4, flags: abi.BPF_F_WRONLY }) as BpfMap;
    expect(() => r.update(u32(0), u64(1n))).toThrow("map 'r': update of a BPF_F_RDONLY map (user space may only read it) failed with -EPERM");
    expect(r.tryUpdate(u32(0), u64(1n))).toBe(EPERM);
    expect(() => w.lookup(u32(0))).toThrow("map 'w': lookup of a BPF_F_WRONLY map (user space may only write it) failed with -EPERM");
    expect(() => [...w.keys()]).toThrow(/get_next_key of a BPF_F_WRONLY map/);
    w.freeze();
    expect(() => w.freeze()).toThrow("map 'w': freeze of a frozen map failed with -EPERM");
  });
});

describe.skipIf(!status.ok)("the kernel gives the same answers", () => {
  for (const [mode, flags] of Object.entries(FLAGS)) {
    test(`hash and queue, ${mode}`, () => {
      const h: KernelMap = kernelBridge().createMap({ type: abi.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 4, flags });
      const q: KernelMap = kernelBridge().createMap({ type: abi.BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4, maxEntries: 4, flags });
      try {
        // KernelMap.nextKey/lookup/delete/pop answer like ours (undefined / false when absent).
        expect(KEYED_OPS.map(([, op]) => errnoOf(() => op(h as unknown as Keyed)))).toEqual(KEYED_WANT[mode]);
        expect(QUEUE_OPS.map(([, op]) => errnoOf(() => op(q as unknown as Queue)))).toEqual(QUEUE_WANT[mode]);
      } finally {
        h.close();
        q.close();
      }
    });
  }
});
