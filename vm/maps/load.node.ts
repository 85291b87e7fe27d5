// Node-only: read and compile the built maps runtime (npm run build:as → build/maps*.wasm).
// Browsers fetch the same files and call WebAssembly.compile themselves.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BpfError } from "../errors.js";
import { packageRoot } from "../node/package-root.js";
import type { Layout } from "../memory/layout.js";
import { MapSet } from "./mapset.js";
import { isSharedMemory, MapsRuntime } from "./runtime.js";

const cache = new Map<boolean, WebAssembly.Module>();

/** The package's build/ directory (vm/node/package-root.ts finds the root). */
const buildDir = (): string => join(packageRoot(), "build");

/** Path of the maps runtime build for shared or unshared memories. */
export function mapsWasmPath(shared: boolean): string {
  return join(buildDir(), shared ? "maps.wasm" : "maps.unshared.wasm");
}

/** The compiled maps runtime (cached per process). */
export function loadMapsModule(shared: boolean): WebAssembly.Module {
  let module = cache.get(shared);
  if (!module) {
    const path = mapsWasmPath(shared);
    if (!existsSync(path)) throw new BpfError(`the maps runtime is not built: ${path} is missing (run npm run build:as)`);
    module = new WebAssembly.Module(readFileSync(path));
    cache.set(shared, module);
  }
  return module;
}

/** Instantiate the right build of the maps runtime on `memory`. */
export function loadMapsRuntime(memory: WebAssembly.Memory): MapsRuntime {
  return MapsRuntime.instantiate(loadMapsModule(isSharedMemory(memory)), memory);
}

/** A MapSet on `memory` with the maps arena of `layout`, using the right runtime build. */
export function createMapSet(memory: WebAssembly.Memory, layout: Layout): MapSet {
  return MapSet.create(loadMapsRuntime(memory), layout);
}
