// The maps runtime build: what asconfig.json promises (imported memory only, no data segments
// outside the runtime's area, no memory growth) and that it links against every Layout.

import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { Layout, CPU_BASE, RUNTIME_DATA_BASE } from "../../vm/memory/layout.js";
import { loadMapsModule, mapsWasmPath } from "../../vm/maps/load.node.js";
import { MAPS_EXPORTS, MapsRuntime } from "../../vm/maps/runtime.js";

/** Active data segments of a wasm binary as [offset, length] (section 11). */
function dataSegments(bytes: Uint8Array): Array<[number, number]> {
  let p = 8;
  const leb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++]!;
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) return result;
    }
  };
  const segments: Array<[number, number]> = [];
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 11) {
      const count = leb();
      for (let i = 0; i < count; i++) {
        const kind = leb();
        if (kind === 1) {
          const len = leb();
          p += len; // passive: no offset
          continue;
        }
        if (kind === 2) leb(); // memory index
        expect(bytes[p++]).toBe(0x41); // i32.const
        const offset = leb();
        expect(bytes[p++]).toBe(0x0b); // end
        const len = leb();
        segments.push([offset, len]);
        p += len;
      }
    }
    p = end;
  }
  return segments;
}

describe("maps runtime build", () => {
  for (const shared of [true, false]) {
    const name = shared ? "shared" : "unshared";

    test(`${name}: imports only env.memory and exports every map operation`, () => {
      const module = loadMapsModule(shared);
      expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
      const exported = WebAssembly.Module.exports(module).map((e) => e.name).sort();
      expect(exported).toEqual([...MAPS_EXPORTS].sort());
    });

    test(`${name}: static data stays inside the runtime's area`, () => {
      for (const [offset, len] of dataSegments(readFileSync(mapsWasmPath(shared)))) {
        expect(offset).toBeGreaterThanOrEqual(RUNTIME_DATA_BASE);
        expect(offset + len).toBeLessThanOrEqual(CPU_BASE);
      }
    });

    test(`${name}: links against the memory of small and large layouts`, () => {
      const module = loadMapsModule(shared);
      for (const layout of [new Layout({ cpus: 1, packetMax: 64, mapsSize: 4096 }), new Layout({ cpus: 8, mapsSize: 64 << 20 })]) {
        const memory = layout.createMemory(shared);
        expect(() => MapsRuntime.instantiate(module, memory)).not.toThrow();
      }
    });
  }

  test("the shared build refuses an unshared memory (sharedness must match)", () => {
    const memory = new Layout({ cpus: 1 }).createMemory(false);
    expect(() => MapsRuntime.instantiate(loadMapsModule(true), memory)).toThrow();
  });

  test("the code never grows or allocates memory", () => {
    const wat = readFileSync(mapsWasmPath(true).replace(/\.wasm$/, ".wat"), "utf8");
    expect(wat).toMatch(/\(import "env" "memory" \(memory \$0 1 65536 shared\)\)/);
    expect(wat).not.toMatch(/memory\.grow/);
    expect(wat).not.toMatch(/__new|__alloc/);
  });
});
