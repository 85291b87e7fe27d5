// Our map creation rules (vm/maps/spec.ts) on the fixed list of definitions whose kernel answers
// spec-table.ts records: no kernel needed. spec-kernel.test.ts checks the list itself against
// bpf() where it is available.

import { describe, expect, test } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { errnoName } from "../../vm/maps/errors.js";
import { checkSpec } from "../../vm/maps/spec.js";
import { mapTypeName } from "../../vm/maps/types.js";
import { SPEC_CASES, type SpecCase } from "./spec-table.js";

const label = (s: SpecCase): string =>
  `${mapTypeName(s.type)} key ${s.keySize} value ${s.valueSize} max ${s.maxEntries} flags 0x${s.flags.toString(16)} → ${s.errno ? `-${errnoName(s.errno)}` : "created"}`;

describe("map definitions are accepted and refused as BPF_MAP_CREATE does", () => {
  for (const s of SPEC_CASES) {
    test(label(s), () => {
      const spec = { name: "m", type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, flags: s.flags, mapExtra: s.mapExtra };
      if (s.errno === 0) {
        expect(checkSpec(spec).type).toBe(s.type);
        return;
      }
      expect(() => checkSpec(spec)).toThrow(BpfError);
      // The message names the map and type, the field and rule, and the kernel's errno.
      const name = mapTypeName(s.type).replace(/[()]/g, "\\$&");
      expect(() => checkSpec(spec)).toThrow(new RegExp(`^map 'm' \\(${name}\\): .*\\(the kernel refuses it with -${errnoName(s.errno)}\\)$`));
      if (s.says) expect(() => checkSpec(spec)).toThrow(s.says);
    });
  }

  test("map_extra is for bloom filters and arenas only; numa_node 0 is the one node", () => {
    const base = { name: "m", type: "hash", keySize: 4, valueSize: 4, maxEntries: 4 };
    expect(() => checkSpec({ ...base, mapExtra: 1 })).toThrow(/map_extra must be 0 for this map type, got 1.*-EINVAL/);
    expect(checkSpec({ ...base, flags: 4, numaNode: 0 }).flags).toBe(4);
    expect(() => checkSpec({ ...base, flags: 4, numaNode: 1 })).toThrow(/numa_node 1 is not an online NUMA node/);
    // Without BPF_F_NUMA_NODE the kernel does not read numa_node.
    expect(checkSpec({ ...base, numaNode: 3 }).flags).toBe(0);
  });
});
