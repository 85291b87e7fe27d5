// The pieces a browser uses instead of ebpf-wasm/node, checked in Node: compileMapsModule from
// each kind of source and its errors, the shared/unshared choice without a SharedArrayBuffer
// global, and the error when a host refuses shared memory (the browser test cannot provoke it:
// Chromium always creates shared memories).

import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BpfError, compileMapsModule, createMachine, isSharedMemory, Layout } from "../../index.js";

const wasm = (name: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(new URL(`../../build/${name}`, import.meta.url)));

// (module (memory (export "memory") 1)): valid wasm, not the maps runtime.
const NOT_MAPS = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 2, 0]);

describe("compileMapsModule", () => {
  it("compiles the runtime from bytes, an ArrayBuffer, a Response and a promise of one", async () => {
    const bytes = wasm("maps.unshared.wasm");
    const sources = [bytes, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), new Response(bytes), Promise.resolve(new Response(bytes))];
    for (const source of sources) {
      const mapsModule = await compileMapsModule(source as never);
      const machine = createMachine({ type: "xdp", mapsModule, maps: [{ type: "hash", keySize: 4, valueSize: 8, maxEntries: 8, name: "h" }] });
      machine.maps.keyed("h").update(new Uint8Array([1, 0, 0, 0]), new Uint8Array(8).fill(7));
      expect(machine.maps.keyed("h").size).toBe(1);
    }
  });

  it("accepts a compiled module and checks it", async () => {
    const module = await WebAssembly.compile(wasm("maps.wasm"));
    await expect(compileMapsModule(module)).resolves.toBe(module);
    await expect(compileMapsModule(await WebAssembly.compile(NOT_MAPS))).rejects.toThrow(/not the ebpf-wasm maps runtime: it does not export map_init/);
  });

  it("names what is wrong with bad input", async () => {
    await expect(compileMapsModule(new Uint8Array([1, 2, 3]))).rejects.toThrow(BpfError);
    await expect(compileMapsModule(new Uint8Array([1, 2, 3]))).rejects.toThrow(/not a valid WebAssembly module \(3 bytes\)/);
    await expect(compileMapsModule(NOT_MAPS)).rejects.toThrow(/not the ebpf-wasm maps runtime/);
    await expect(compileMapsModule(new Response("missing", { status: 404, statusText: "Not Found" }))).rejects.toThrow("cannot load the maps runtime from a Response: HTTP 404 Not Found");
    await expect(compileMapsModule(Promise.resolve(42) as never)).rejects.toThrow(/must be given as bytes, a Response or a URL, not \[object Number\]/);
  });

  it("refuses the build that does not match the memory, naming the right one", async () => {
    const mapsModule = await compileMapsModule(wasm("maps.wasm"));
    expect(() => createMachine({ type: "xdp", mapsModule })).toThrow(/needs build\/maps.unshared.wasm/);
  });
});

describe("shared memory without the SharedArrayBuffer global (a page that is not cross-origin isolated)", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("still tells a shared memory from an unshared one", () => {
    const shared = new Layout().createMemory(true);
    const unshared = new Layout().createMemory(false);
    vi.stubGlobal("SharedArrayBuffer", undefined);
    expect(isSharedMemory(shared)).toBe(true);
    expect(isSharedMemory(unshared)).toBe(false);
  });

  it("says why when the host refuses a shared memory", () => {
    const Memory = WebAssembly.Memory;
    const refusing = function (descriptor: WebAssembly.MemoryDescriptor) {
      if (descriptor.shared) throw new TypeError("WebAssembly.Memory(): shared memory is not allowed here");
      return new Memory(descriptor);
    };
    vi.stubGlobal("WebAssembly", { ...WebAssembly, Memory: refusing });
    expect(() => new Layout().createMemory(true)).toThrow(BpfError);
    expect(() => new Layout().createMemory(true)).toThrow(/cannot create a shared memory .*shared memory is not allowed here.*cross-origin isolation.*shared: false/);
    expect(new Layout().createMemory(false).buffer.byteLength).toBeGreaterThan(0);
  });
});
