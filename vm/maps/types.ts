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
  CgroupArray: abi.BPF_MAP_TYPE_CGROUP_ARRAY,
  DevMap: abi.BPF_MAP_TYPE_DEVMAP,
  DevMapHash: abi.BPF_MAP_TYPE_DEVMAP_HASH,
  CpuMap: abi.BPF_MAP_TYPE_CPUMAP,
  XskMap: abi.BPF_MAP_TYPE_XSKMAP,
  ArrayOfMaps: abi.BPF_MAP_TYPE_ARRAY_OF_MAPS,
  HashOfMaps: abi.BPF_MAP_TYPE_HASH_OF_MAPS,
  CgroupStorage: abi.BPF_MAP_TYPE_CGROUP_STORAGE,
  PerCpuCgroupStorage: abi.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE,
  BloomFilter: abi.BPF_MAP_TYPE_BLOOM_FILTER,
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
  [MapType.CgroupArray, "cgroup_array"],
  [MapType.DevMap, "devmap"],
  [MapType.DevMapHash, "devmap_hash"],
  [MapType.CpuMap, "cpumap"],
  [MapType.XskMap, "xskmap"],
  [MapType.ArrayOfMaps, "array_of_maps"],
  [MapType.HashOfMaps, "hash_of_maps"],
  [MapType.CgroupStorage, "cgroup_storage"],
  [MapType.PerCpuCgroupStorage, "percpu_cgroup_storage"],
  [MapType.BloomFilter, "bloom_filter"],
]);
const BY_NAME = new Map([...NAMES].map(([type, name]) => [name, type]));

export type MapTypeName =
  | "hash" | "array" | "prog_array" | "percpu_hash" | "percpu_array" | "lru_hash" | "lru_percpu_hash"
  | "lpm_trie" | "queue" | "stack" | "ringbuf" | "perf_event_array" | "cgroup_array" | "devmap" | "devmap_hash" | "array_of_maps"
  | "hash_of_maps" | "cpumap" | "xskmap" | "cgroup_storage" | "percpu_cgroup_storage" | "bloom_filter";

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
/**
 * CGROUP_STORAGE / PERCPU_CGROUP_STORAGE (kernel/bpf/local_storage.c): no entries of their own
 * (max_entries 0); a program reaches the storage of its run through bpf_get_local_storage
 * (vm/helpers/cgroup-storage.ts).
 */
export const isCgroupStorage = (t: number): boolean => t === MapType.CgroupStorage || t === MapType.PerCpuCgroupStorage;
/** Types whose values user space reads and writes one per CPU (the kernel's bpf_map_value_size). */
export const hasPerCpuValues = (t: number): boolean => isPerCpu(t as MapType) || t === MapType.PerCpuCgroupStorage;
/** ARRAY_OF_MAPS / HASH_OF_MAPS: values are inner maps (kernel/bpf/map_in_map.c). */
export const isMapOfMaps = (t: number): boolean => t === MapType.ArrayOfMaps || t === MapType.HashOfMaps;

/**
 * The inner map template of a map of maps: what BPF_MAP_CREATE's inner_map_fd names. The kernel
 * keeps a copy of that map's attributes (bpf_map_meta_alloc) and every map later put in a slot
 * must match it (bpf_map_meta_equal: type, key_size, value_size, map_flags; arrays also
 * max_entries unless the template has BPF_F_INNER_MAP). The verifier checks the program's use of
 * an inner map against it.
 */
export interface InnerMapSpec {
  readonly type: MapType | MapTypeName | number | string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
}

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
  /**
   * map_extra: BLOOM_FILTER only (the kernel's ARENA is not built): the number of hash functions
   * in its low 4 bits, 0 meaning 5. Every other type needs 0 (or absent).
   */
  readonly mapExtra?: number;
  /** ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map template (the kernel's inner_map_fd). */
  readonly inner?: InnerMapSpec;
  /**
   * Byte offset of a `struct bpf_spin_lock` in the value (the kernel finds it in the map's BTF;
   * the ELF loader does too): programs lock it with bpf_spin_lock, user space with BPF_F_LOCK.
   */
  readonly spinLock?: number;
  /**
   * Byte offset of a `struct bpf_timer` (16 bytes, 8-aligned) in the value, found in the map's
   * BTF as the lock is: bpf_timer_init and friends take it (vm/runtime/timers.ts); updates never
   * copy it, and an update or delete of its element cancels the timer (vm/maps/as/value.ts).
   */
  readonly timer?: number;
}
