// The maps runtime for any JavaScript host (browsers, bundlers, Deno, Node): compile it from its
// bytes, a fetch() Response or a URL. No file system here — load.node.ts reads build/maps*.wasm
// from disk for Node; a page serves the same two files and hands them to compileMapsModule:
//
//   const mapsModule = await compileMapsModule(fetch("/assets/maps.unshared.wasm"));   // wherever it is served
//   const machine = createMachine({ type: "xdp", mapsModule, maps: [...] });
//
// Which file: build/maps.unshared.wasm for the default unshared memory, build/maps.wasm for
// `shared: true` (runtime.ts explains why there are two builds).

import { BpfError } from "../errors.js";
import { MAPS_EXPORTS } from "./runtime.js";

/** Where the maps runtime's bytes come from: the bytes, a Response (or a promise of one), or a URL to fetch. */
export type MapsWasmBytes = ArrayBuffer | ArrayBufferView | Response | PromiseLike<Response> | URL | string;

/** A maps runtime source, or an already compiled module (only checked). */
export type MapsWasmSource = MapsWasmBytes | WebAssembly.Module;

/**
 * Compile the maps runtime and check it is one: it must import exactly `env.memory` and export
 * every function of MAPS_EXPORTS. Asynchronous (WebAssembly.compile): fetching is anyway, and
 * browsers may limit synchronous compiles on their main thread.
 */
export async function compileMapsModule(source: MapsWasmSource): Promise<WebAssembly.Module> {
  const module = source instanceof WebAssembly.Module ? source : await compileBytes(await mapsBytes(source as MapsWasmBytes));
  checkMapsModule(module);
  return module;
}

async function mapsBytes(source: MapsWasmBytes): Promise<ArrayBuffer | ArrayBufferView> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
  if (typeof source === "string" || source instanceof URL) {
    const response = await fetchOrExplain(source);
    return responseBytes(response, response.url || String(source));
  }
  const response: unknown = await source;
  if (typeof Response === "undefined" || !(response instanceof Response)) {
    throw new BpfError(`the maps runtime must be given as bytes, a Response or a URL, not ${Object.prototype.toString.call(response)}`);
  }
  return responseBytes(response, response.url || "a Response");
}

async function fetchOrExplain(url: string | URL): Promise<Response> {
  try {
    return await fetch(url);
  } catch (err) {
    throw new BpfError(`cannot fetch the maps runtime from ${String(url)}: ${(err as Error).message}`);
  }
}

async function responseBytes(response: Response, what: string): Promise<ArrayBuffer> {
  if (!response.ok) {
    throw new BpfError(`cannot load the maps runtime from ${what}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  return response.arrayBuffer();
}

async function compileBytes(bytes: ArrayBuffer | ArrayBufferView): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as BufferSource);
  } catch (err) {
    throw new BpfError(`the maps runtime is not a valid WebAssembly module (${bytes.byteLength} bytes): ${(err as Error).message}`);
  }
}

/** A clear error for a module that is not the maps runtime (a wrong file served at its URL). */
function checkMapsModule(module: WebAssembly.Module): void {
  const exported = new Set(WebAssembly.Module.exports(module).filter((e) => e.kind === "function").map((e) => e.name));
  const missing = MAPS_EXPORTS.filter((name) => !exported.has(name));
  if (missing.length > 0) {
    throw new BpfError(`this WebAssembly module is not the ebpf-wasm maps runtime: it does not export ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", ..." : ""}`);
  }
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name} (${i.kind})`);
  if (imports.length !== 1 || imports[0] !== "env.memory (memory)") {
    throw new BpfError(`this WebAssembly module is not the ebpf-wasm maps runtime: it imports ${imports.join(", ") || "nothing"}, not just env.memory`);
  }
}
