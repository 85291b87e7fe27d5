// QUEUE and STACK against kernel/bpf/queue_stack_maps.c.

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { makeMaps, readU32 } from "./fixture.js";

const make = (type: "queue" | "stack", maxEntries = 3) => {
  const f = makeMaps();
  f.maps.create({ name: "q", type, keySize: 0, valueSize: 4, maxEntries });
  return { ...f, q: f.maps.queue("q") };
};

describe("BPF_MAP_TYPE_QUEUE", () => {
  test("first in, first out; empty pops are undefined (-ENOENT)", () => {
    const { q } = make("queue");
    expect(q.pop()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(readU32(q.peek())).toBe(1);
    expect([q.pop(), q.pop(), q.pop()].map(readU32)).toEqual([1, 2, 3]);
    expect(q.pop()).toBeUndefined();
  });

  test("full: -E2BIG, unless BPF_EXIST, which drops the oldest", () => {
    const { q } = make("queue");
    for (const v of [1, 2, 3]) q.push(v);
    expect(q.tryPush(4)).toBe(-abi.E2BIG);
    expect(q.tryPush(4, abi.BPF_EXIST)).toBe(0);
    expect([q.pop(), q.pop(), q.pop(), q.pop()].map(readU32)).toEqual([2, 3, 4, undefined]);
  });

  test("BPF_NOEXIST and unknown flags are -EINVAL", () => {
    const { q } = make("queue");
    expect(q.tryPush(1, abi.BPF_NOEXIST)).toBe(-abi.EINVAL);
    expect(q.tryPush(1, 4)).toBe(-abi.EINVAL);
    expect(() => q.push(1, abi.BPF_NOEXIST)).toThrow(/map 'q': push failed with -EINVAL/);
  });

  test("wraps around its slots many times", () => {
    const { q } = make("queue", 5);
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 1 + (round % 5); i++) q.push(next++);
      for (let i = 0; i < 1 + (round % 5); i++) expect(readU32(q.pop())).toBe(expected++);
    }
  });

  test("wrong value size names the map", () => {
    const { q } = make("queue");
    expect(() => q.push(new Uint8Array(3))).toThrow(/map 'q': value must be 4 bytes, got a Uint8Array of 3 bytes/);
  });

  test("program side: map_push / map_pop / map_peek", () => {
    const { q, maps, memory, layout } = make("queue");
    const rt = maps.runtime.exports;
    const dv = new DataView(memory.buffer);
    const v = layout.cpu(0).scratch;
    dv.setUint32(v, 5, true);
    expect(rt.map_push(q.address, v, 0n)).toBe(0n);
    dv.setUint32(v, 6, true);
    expect(rt.map_push(q.address, v, 0n)).toBe(0n);
    expect(rt.map_peek(q.address, v)).toBe(0n);
    expect(dv.getUint32(v, true)).toBe(5);
    expect(rt.map_pop(q.address, v)).toBe(0n);
    expect(dv.getUint32(v, true)).toBe(5);
    expect(readU32(q.pop())).toBe(6);
    expect(rt.map_pop(q.address, v)).toBe(BigInt(-abi.ENOENT));
    expect(rt.map_lookup(q.address, v, 0)).toBe(0);
  });
});

describe("BPF_MAP_TYPE_STACK", () => {
  test("last in, first out", () => {
    const { q } = make("stack");
    for (const v of [1, 2, 3]) q.push(v);
    expect(readU32(q.peek())).toBe(3);
    expect([q.pop(), q.pop(), q.pop(), q.pop()].map(readU32)).toEqual([3, 2, 1, undefined]);
  });

  test("full with BPF_EXIST overwrites the oldest element, as the kernel's stack does", () => {
    const { q } = make("stack");
    for (const v of [1, 2, 3]) q.push(v);
    expect(q.tryPush(4)).toBe(-abi.E2BIG);
    expect(q.tryPush(4, abi.BPF_EXIST)).toBe(0);
    expect([q.pop(), q.pop(), q.pop(), q.pop()].map(readU32)).toEqual([4, 3, 2, undefined]);
  });
});
