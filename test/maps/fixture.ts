// A machine-sized memory with a MapSet on it, for the map tests.

import { Layout } from "../../vm/memory/layout.js";
import { createMapSet } from "../../vm/maps/load.node.js";
import type { MapSet } from "../../vm/maps/mapset.js";

export interface MapsFixture {
  layout: Layout;
  memory: WebAssembly.Memory;
  maps: MapSet;
}

export function makeMaps(options: { cpus?: number; mapsSize?: number; shared?: boolean } = {}): MapsFixture {
  const layout = new Layout({ cpus: options.cpus ?? 2, packetMax: 2048, mapsSize: options.mapsSize ?? 1 << 20 });
  const memory = layout.createMemory(options.shared ?? false);
  return { layout, memory, maps: createMapSet(memory, layout) };
}

export const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
export const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([n]).buffer);
export const readU32 = (b: Uint8Array | undefined): number | undefined =>
  b === undefined ? undefined : new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
export const readU64 = (b: Uint8Array | undefined): bigint | undefined =>
  b === undefined ? undefined : new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);
