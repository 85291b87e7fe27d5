// What the JIT (and a worker re-attaching to the maps) needs to know about a map: where it is
// and how its values are laid out. A plain, structured-clonable object.
//
// Inlining contract for array maps (the JIT emits these instead of calling map_lookup):
//   ARRAY:         value(i)      = values + i * valueStride                 (i < maxEntries)
//   PERCPU_ARRAY:  value(i, cpu) = values + cpu * cpuStride + i * valueStride
// Out-of-range indices give NULL, as array_map_lookup_elem does. Values are 8-byte aligned
// (valueStride = round_up(valueSize, 8)), so 64-bit atomics on them are aligned in wasm too.
// Every other lookup goes through the runtime: map_lookup(address, key, cpu), or for a hash map
// whose type the caller knows, that type's export (hash_lookup, lru_hash_lookup,
// percpu_hash_lookup), which skips the dispatch on the type.

import type { CheckedInner } from "./spec.js";
import type { MapType } from "./types.js";

export interface MapDescriptor {
  readonly name: string;
  readonly type: MapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** The map pointer: the header address that lddw BPF_PSEUDO_MAP_FD/IDX loads into a register. */
  readonly address: number;
  /** Array values / per-CPU planes / queue slots / ring buffer data. */
  readonly values: number;
  /** round_up(valueSize, 8) (0 for ring buffers). */
  readonly valueStride: number;
  /** Distance between two CPUs' copies of a per-CPU value; 0 for shared maps. */
  readonly cpuStride: number;
  /** CPUs the per-CPU values were laid out for (the Layout's cpus). */
  readonly ncpus: number;
  /** User-space scratch for keys and values of this map: [staging, staging + stagingSize). */
  readonly staging: number;
  readonly stagingSize: number;
  /** The whole region the map occupies in the arena (header included). */
  readonly regionSize: number;
  /** ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map template (slots hold inner maps' addresses). */
  readonly inner?: CheckedInner;
  /** Offset of the value's struct bpf_spin_lock (vm/maps/spin-lock.ts), when it has one. */
  readonly spinLock?: number;
  /** Offset of the value's struct bpf_timer (vm/runtime/timers.ts), when it has one. */
  readonly timer?: number;
}
