// Map types and the spec a map is created from (the fields of the kernel's union bpf_attr for
// BPF_MAP_CREATE that matter here). Type numbers are Linux UAPI enum bpf_map_type.

import * as abi from "./abi.js";

export const MapType = {
  Hash: abi.BPF_MAP_TYPE_HASH,
  Array: abi.BPF_MAP_TYPE_ARRAY,
  ProgArray: abi.BPF_MAP_TYPE_PROG_ARRAY,
  PerCpuHash: abi.BPF_MAP_TYPE_PERCPU_HASH,
  PerCpuArray: abi.BPF_MAP_TYPE_PERCPU_ARRAY,
  LruHash: abi.BPF_MAP_TYPE_LRU_HASH,
  LruPerCpuHash: abi.BPF_MAP_TYPE_LRU_PERCPU_HASH,
  LpmTrie: abi.BPF_MAP_TYPE_LPM_TRIE,
  Queue: abi.BPF_MAP_TYPE_QUEUE,
  Stack: abi.BPF_MAP_TYPE_STACK,
  RingBuf: abi.BPF_MAP_TYPE_RINGBUF,
  PerfEventArray: abi.BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  DevMap: abi.BPF_MAP_TYPE_DEVMAP,
  DevMapHash: abi.BPF_MAP_TYPE_DEVMAP_HASH,
} as const;
export type MapType = (typeof MapType)[keyof typeof MapType];

/** Names as libbpf and bpftool print them (BPF_MAP_TYPE_ without the prefix, lower case). */
const NAMES: ReadonlyMap<MapType, string> = new Map<MapType, string>([
  [MapType.Hash, "hash"],
  [MapType.Array, "array"],
  [MapType.ProgArray, "prog_array"],
  [MapType.PerCpuHash, "percpu_hash"],
  [MapType.PerCpuArray, "percpu_array"],
  [MapType.LruHash, "lru_hash"],
  [MapType.LruPerCpuHash, "lru_percpu_hash"],
  [MapType.LpmTrie, "lpm_trie"],
  [MapType.Queue, "queue"],
  [MapType.Stack, "stack"],
  [MapType.RingBuf, "ringbuf"],
  [MapType.PerfEventArray, "perf_event_array"],
  [MapType.DevMap, "devmap"],
  [MapType.DevMapHash, "devmap_hash"],
]);
const BY_NAME = new Map([...NAMES].map(([type, name]) => [name, type]));

export type MapTypeName =
  | "hash" | "array" | "prog_array" | "percpu_hash" | "percpu_array" | "lru_hash" | "lru_percpu_hash"
  | "lpm_trie" | "queue" | "stack" | "ringbuf" | "perf_event_array" | "devmap" | "devmap_hash";

export function mapTypeName(type: number): string {
  return NAMES.get(type as MapType) ?? `unknown (${type})`;
}

/** The type for a UAPI number or a name ("hash", "BPF_MAP_TYPE_HASH"), or undefined. */
export function parseMapType(type: number | string): MapType | undefined {
  if (typeof type === "number") return NAMES.has(type as MapType) ? (type as MapType) : undefined;
  return BY_NAME.get(type.toLowerCase().replace(/^bpf_map_type_/, ""));
}

export const isPerCpu = (t: MapType): boolean =>
  t === MapType.PerCpuArray || t === MapType.PerCpuHash || t === MapType.LruPerCpuHash;
export const isHash = (t: MapType): boolean =>
  t === MapType.Hash || t === MapType.PerCpuHash || t === MapType.LruHash || t === MapType.LruPerCpuHash;
export const isArrayLike = (t: MapType): boolean =>
  t === MapType.Array || t === MapType.PerCpuArray || t === MapType.ProgArray;
export const isQueueLike = (t: MapType): boolean => t === MapType.Queue || t === MapType.Stack;

/** What a map is created from. */
export interface MapSpec {
  /** Used in every message about the map, and to find it in a MapSet. */
  readonly name: string;
  readonly type: MapType | MapTypeName | number | string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** map_flags (BPF_F_NO_PREALLOC, BPF_F_NO_COMMON_LRU, ...). Default 0. */
  readonly flags?: number;
  /** numa_node (read with BPF_F_NUMA_NODE): this runtime's one memory is node 0. */
  readonly numaNode?: number;
  /** map_extra: BLOOM_FILTER / ARENA only, so it must be 0 (or absent) here. */
  readonly mapExtra?: number;
}
