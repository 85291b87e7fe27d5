// Bad arguments to the user-space map API: each is a BpfError naming the map and the argument,
// and the map is left exactly as it was ("loses no state"). Found by a sweep that passed every
// map type wrong-sized keys and values, out-of-range numbers, and non-numbers as counts and flags.

import { describe, expect, test } from "vitest";
import type { BpfMap } from "../../vm/maps/map.js";
import { makeMaps } from "./fixture.js";
import { refusal } from "../refusal.js";

function maps() {
  const f = makeMaps();
  f.maps.create({ name: "h", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 });
  f.maps.create({ name: "a", type: "array", keySize: 4, valueSize: 8, maxEntries: 4 });
  f.maps.create({ name: "q", type: "queue", keySize: 0, valueSize: 8, maxEntries: 4 });
  const h = f.maps.keyed("h");
  h.update(1, 10n);
  h.update(2, 20n);
  return { h, a: f.maps.keyed("a"), q: f.maps.queue("q") };
}

const dump = (m: BpfMap): string[] => [...m.entries()].map(([k, v]) => `${Buffer.from(k).toString("hex")}=${Buffer.from(v).toString("hex")}`);

describe("lookupBatch count", () => {
  // NaN, 0 or a string used to end the page at once with no entries and no cursor, which reads
  // as "the map is empty".
  test.each([[Number.NaN], [0], [-1], [1.5], [Infinity], ["10"], [undefined]])("%s is refused", (count) => {
    const { h } = maps();
    const e = refusal(() => h.lookupBatch(count as number));
    expect(e.message).toMatch(/^map 'h': lookup_batch count must be a positive integer, got /);
  });

  test("a positive count pages through every entry", () => {
    const { h } = maps();
    const first = h.lookupBatch(1);
    expect(first.entries.length).toBe(1);
    expect(first.cursor).toBeDefined();
    expect(h.lookupBatch(5, first.cursor).entries.length).toBe(1);
  });
});

describe("flags that are not numbers", () => {
  // A one-element array or typed array used to pass as flags 0 (BPF_ANY): it indexed the table of
  // common flag values after coercion to the string "0".
  test.each([[[0]], [new Uint8Array(1)], ["0"], [null]])("%s is refused and the map is unchanged", (flags) => {
    const { h, q } = maps();
    const before = dump(h);
    expect(refusal(() => h.update(3, 30n, flags as unknown as number)).message).toMatch(/^map 'h': update: flags must be a non-negative integer, got (object|string)$/);
    expect(dump(h)).toEqual(before);
    expect(refusal(() => q.push(5n, flags as unknown as number)).message).toMatch(/flags must be a non-negative integer/);
    expect(q.pop()).toBeUndefined();
  });
});

describe("wrong-sized keys and values leave the map unchanged", () => {
  test.each([
    ["key of 3 bytes", (m: BpfMap) => m.update(new Uint8Array(3), 1n), /map 'h': key must be 4 bytes, got a Uint8Array of 3 bytes/],
    ["value of 9 bytes", (m: BpfMap) => m.update(1, new Uint8Array(9)), /map 'h': value must be 8 bytes, got a Uint8Array of 9 bytes/],
    ["key number too big", (m: BpfMap) => m.update(2 ** 32, 1n), /map 'h': key is 4 bytes: the number 4294967296 does not fit/],
    ["value bigint too big", (m: BpfMap) => m.update(1, 1n << 64n), /map 'h': value is 8 bytes: the bigint .* does not fit/],
    ["delete with a short key", (m: BpfMap) => m.delete(new Uint8Array(2)), /map 'h': key must be 4 bytes/],
  ])("%s", (_what, f, message) => {
    const { h } = maps();
    const before = dump(h);
    expect(refusal(() => f(h)).message).toMatch(message);
    expect(dump(h)).toEqual(before);
    expect(before).toHaveLength(2);
  });
});
