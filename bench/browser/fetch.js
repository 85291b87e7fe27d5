// What the browser pages (this benchmark's and test/browser's) fetch from the static server
// (server.ts): the shared maps runtime, compiled once per page, and corpus program objects.

import { compileMapsModule } from "/dist/index.js";

let mapsModule;
/** The shared-memory build of the maps runtime (build/maps.wasm), compiled once. */
export const sharedMapsModule = () => (mapsModule ??= compileMapsModule(fetch("/build/maps.wasm")));

/** corpus/programs/NAME.o as bytes. */
export async function objectBytes(name) {
  const response = await fetch(`/corpus/programs/${name}.o`);
  if (!response.ok) throw new Error(`GET ${name}.o: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
