// Maps too big for one wasm32 memory: max_entries comes from the user's object, so a map the
// 4 GiB memory cannot hold is a BpfError naming the map (what) and its sizes (why), not the
// Layout's RangeError about pages. Found by corrupting max_entries in corpus objects.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import type { MapSpec } from "../../vm/maps/types.js";
import { refusal } from "../refusal.js";

describe("maps larger than a wasm32 memory", () => {
  const small: MapSpec = { name: "small", type: "array", keySize: 4, valueSize: 8, maxEntries: 16 };
  const cases: Array<[string, MapSpec, RegExp]> = [
    // 2^27: the most entries the kernel gives a hash map (htab_map_alloc's bucket count, -E2BIG above).
    ["hash of 2^27", { name: "flows", type: "hash", keySize: 4, valueSize: 4, maxEntries: 1 << 27 }, /map 'flows' \(hash, max_entries 134217728, key 4 and value 4 bytes\) alone needs \d+\.\d GiB/],
    ["array of 2^32 - 1", { name: "big", type: "array", keySize: 4, valueSize: 8, maxEntries: 0xffffffff }, /map 'big' \(array, max_entries 4294967295/],
    ["array just over 4 GiB", { name: "wide", type: "array", keySize: 4, valueSize: 65536, maxEntries: 65535 }, /map 'wide' \(array, max_entries 65535, key 4 and value 65536 bytes\)/],
  ];
  for (const [what, spec, message] of cases) {
    it(`${what}: a BpfError naming the map`, () => {
      const e = refusal(() => createNodeMachine({ type: "xdp", maps: [small, spec] }));
      expect(e.message).toMatch(/^the maps need \d+\.\d GiB of memory, more than fits in one wasm32 memory \(4 GiB\)/);
      expect(e.message).toMatch(message);
      expect(e.message).toContain("lower its max_entries");
    });
  }

  it("names the CPUs when per-CPU storage is what overflows", () => {
    const spec: MapSpec = { name: "pc", type: "percpu_array", keySize: 4, valueSize: 64, maxEntries: 1 << 24 };
    expect(refusal(() => createNodeMachine({ type: "xdp", cpus: 8, maps: [spec] })).message).toMatch(/map 'pc' \(percpu_array, .*, 8 CPUs\)/);
  });

  it("an object whose map is too big fails to instantiate with the BpfError, and the object stays usable", () => {
    const obj = loadObject(new Uint8Array(readFileSync(new URL("../../corpus/programs/xdp_firewall.o", import.meta.url))));
    const huge = { ...obj, maps: obj.maps.map((m) => ({ ...m, spec: { ...m.spec, maxEntries: 1 << 27 } })) };
    expect(refusal(() => instantiateObjectNode(huge, undefined, { verify: false })).message).toMatch(/map 'allow' \(hash, max_entries 134217728/);
    // The failure left nothing behind: the original object still instantiates.
    const loaded = instantiateObjectNode(obj, undefined, { verify: false });
    expect(loaded.machine.maps.get("allow")!.maxEntries).toBe(65536);
  });

  it("a layout too big without any maps is still the caller's RangeError", () => {
    expect(() => createNodeMachine({ type: "xdp", packetMax: 2 ** 32, maps: [small] })).toThrow(RangeError);
  });
});
