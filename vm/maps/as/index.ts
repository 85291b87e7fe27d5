// The maps runtime's exports. Two callers, two families, as the kernel separates a program's
// helper calls from the bpf() syscall:
//
// - program side (the JIT imports these wasm-to-wasm; the interpreter's helpers call them):
//   map_lookup, map_update, map_delete, map_push, map_pop, map_peek, ringbuf_*, prog_array_get.
//   Results are i64 (r0): an address, 0, or a negative errno. `cpu` is the running CPU, which
//   selects per-CPU values. LRU lookups set the reference bit.
// - user space (../map.ts): sys_* with i32 results (no BigInt on the JS side). Per-CPU values
//   travel as ncpus × round_up(value_size, 8) bytes, as the syscall's buffers do.
//
// `map` is always the map's header address (../abi.ts); keys and values are addresses in the
// one memory. Nothing here allocates: all storage was laid out by ../plan.ts.

import {
  ALL_CPUS, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_CGROUP_ARRAY,
  BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_STACK, EINVAL, ENOTSUPP, H_COUNT,
  BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS,
  BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP, BPF_MAP_TYPE_CGROUP_STORAGE,
  BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, BPF_MAP_TYPE_BLOOM_FILTER, EOPNOTSUPP,
} from "../abi";
import {
  arrayOfMapsDelete, arrayOfMapsLookup, arrayOfMapsLookupSys, arrayOfMapsUpdate, hashOfMapsLookup, hashOfMapsUpdate,
} from "./mapofmaps";
import { devmapDelete, devmapHashUpdate, devmapLookup, devmapUpdate } from "./devmap";
import { cpumapDelete, cpumapLookup, cpumapUpdate } from "./cpumap";
import { xskmapDelete, xskmapLookup, xskmapUpdate } from "./xskmap";
import { perfArrayDelete, perfArrayLookupSys, perfArraySlot, perfArrayUpdate } from "./perf";
import {
  arrayGetNextKey, arrayLookup, arrayReadAll, arrayUpdate, fdArrayDelete, fdArrayUpdate, progArrayGet, progArrayLookupSys,
} from "./array";
import { mapType, ncpus } from "./header";
import {
  htabDelete, htabGetNextKey, htabInit, htabLookupHash, htabLookupLru, htabLookupPerCpu, htabReadAll, htabUpdate,
} from "./htab";
import { lpmDelete, lpmGetNextKey, lpmInit, lpmLookup, lpmUpdate } from "./lpm";
import { queuePush, queueTake } from "./queue";
import { bloomPeek, bloomPush } from "./bloom";
import { cgroupStorageGetNextKey, cgroupStorageUpdate } from "./cgroup-storage";
import { ringbufCommit, ringbufOutput, ringbufQuery, ringbufReserve } from "./ringbuf";

const ALL = <u32>ALL_CPUS;

@inline function isHash(t: u32): bool {
  return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_HASH
    || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

@inline function isArray(t: u32): bool {
  return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

@inline function isMapOfMaps(t: u32): bool {
  return t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS;
}

@inline function isQueue(t: u32): bool {
  return t == BPF_MAP_TYPE_QUEUE || t == BPF_MAP_TYPE_STACK;
}

/** Slots holding ids that stand for the kernel's fds (./array.ts). */
@inline function isFdArray(t: u32): bool {
  return t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_CGROUP_ARRAY;
}

@inline function isCgroupStorage(t: u32): bool {
  return t == BPF_MAP_TYPE_CGROUP_STORAGE || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/** Build the empty structure of a map whose header ../plan.ts wrote (zeroed region). */
export function map_init(map: u32): void {
  const t = mapType(map);
  if (isHash(t) || t == BPF_MAP_TYPE_DEVMAP_HASH || t == BPF_MAP_TYPE_HASH_OF_MAPS) htabInit(map);
  else if (t == BPF_MAP_TYPE_LPM_TRIE) lpmInit(map);
}

// ---- program side -----------------------------------------------------------------------------

// One switch on the type (a jump table), then code with the type's choices made. `prog`: a
// program's call (LRU reference bits, a key just written: ./htab.ts), else user space's.
@inline function lookup(map: usize, key: usize, cpu: u32, prog: bool): usize {
  switch (mapType(map)) {
    case BPF_MAP_TYPE_HASH: return htabLookupHash(map, key, prog);
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY: return arrayLookup(map, key, cpu);
    case BPF_MAP_TYPE_LRU_HASH: return htabLookupLru(map, key, prog);
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH: return htabLookupPerCpu(map, key, cpu, prog);
    case BPF_MAP_TYPE_LPM_TRIE: return lpmLookup(map, key);
    case BPF_MAP_TYPE_DEVMAP: return devmapLookup(map, key);
    case BPF_MAP_TYPE_DEVMAP_HASH: return htabLookupHash(map, key, prog);
    // XSKMAP: the socket's struct bpf_xdp_sock (user space is refused: sys_lookup). CPUMAP: only
    // redirect_map and user space look (the verifier refuses a program's lookup).
    case BPF_MAP_TYPE_XSKMAP: return xskmapLookup(map, key);
    case BPF_MAP_TYPE_CPUMAP: return cpumapLookup(map, key);
    // A program gets the inner map's pointer (user space reads the slot: sys_lookup).
    case BPF_MAP_TYPE_ARRAY_OF_MAPS: return arrayOfMapsLookup(map, key);
    case BPF_MAP_TYPE_HASH_OF_MAPS: return hashOfMapsLookup(map, key);
  }
  return 0; // prog arrays, queues, stacks, ring buffers: no values to point at
}

/** bpf_map_lookup_elem: the value's address (this CPU's copy for per-CPU maps), or 0. */
export function map_lookup(map: u32, key: u32, cpu: u32): u32 {
  return <u32>lookup(map, key, cpu, true);
}

/**
 * bpf_map_lookup_percpu_elem (PERCPU_ARRAY, PERCPU_HASH, LRU_PERCPU_HASH): CPU `cpu`'s copy, or
 * 0 for a missing key or a cpu that is not one of the map's (the kernel's `cpu >= nr_cpu_ids`;
 * ALL_CPUS, which map_lookup reads as "user space", included).
 */
export function map_lookup_percpu_elem(map: u32, key: u32, cpu: u32): u32 {
  if (cpu >= ncpus(map)) return 0;
  return <u32>lookup(map, key, cpu, true);
}

// bpf_map_lookup_elem of a map whose type the caller knows (JIT code, for a map pointer known
// at compile time, as the kernel's verifier calls the type's map_lookup_elem directly): no
// type dispatch. `map` must be of the type the name says.

/** BPF_MAP_TYPE_HASH */
export function hash_lookup(map: u32, key: u32): u32 {
  return <u32>htabLookupHash(map, key, true);
}

/** BPF_MAP_TYPE_LRU_HASH (sets the element's reference bit) */
export function lru_hash_lookup(map: u32, key: u32): u32 {
  return <u32>htabLookupLru(map, key, true);
}

/** BPF_MAP_TYPE_PERCPU_HASH and BPF_MAP_TYPE_LRU_PERCPU_HASH: CPU `cpu`'s value */
export function percpu_hash_lookup(map: u32, key: u32, cpu: u32): u32 {
  return <u32>htabLookupPerCpu(map, key, cpu, true);
}

function update(map: usize, key: usize, value: usize, flags: u64, cpu: u32): i32 {
  const t = mapType(map);
  if (isArray(t)) return arrayUpdate(map, key, value, flags, cpu);
  if (isHash(t)) return htabUpdate(map, key, value, flags, cpu);
  if (t == BPF_MAP_TYPE_LPM_TRIE) return lpmUpdate(map, key, value, flags);
  if (isFdArray(t)) return fdArrayUpdate(map, key, value, flags);
  if (t == BPF_MAP_TYPE_DEVMAP) return devmapUpdate(map, key, value, flags);
  if (t == BPF_MAP_TYPE_DEVMAP_HASH) return devmapHashUpdate(map, key, value, flags, cpu);
  if (t == BPF_MAP_TYPE_CPUMAP) return cpumapUpdate(map, key, value, flags);
  if (t == BPF_MAP_TYPE_XSKMAP) return xskmapUpdate(map, key, value, flags);
  if (t == BPF_MAP_TYPE_PERF_EVENT_ARRAY) return perfArrayUpdate(map, key, value, flags);
  if (t == BPF_MAP_TYPE_ARRAY_OF_MAPS) return arrayOfMapsUpdate(map, key, value, flags);
  if (t == BPF_MAP_TYPE_HASH_OF_MAPS) return hashOfMapsUpdate(map, key, value, flags, cpu);
  if (isQueue(t)) return queuePush(map, value, flags); // the syscall's update = push
  if (isCgroupStorage(t)) return cgroupStorageUpdate(flags);
  return -EINVAL;
}

/**
 * bpf_map_update_elem: 0 or -errno. Per-CPU maps: writes this CPU's value. A map of maps is
 * refused (-EINVAL): the verifier lets no program change one, and a slot must never hold an
 * address a program chose.
 */
export function map_update(map: u32, key: u32, value: u32, flags: u64, cpu: u32): i64 {
  if (isMapOfMaps(mapType(map))) return -EINVAL;
  return update(map, key, value, flags, cpu);
}

function remove(map: usize, key: usize): i32 {
  const t = mapType(map);
  if (isHash(t)) return htabDelete(map, key, 0, 0);
  if (t == BPF_MAP_TYPE_LPM_TRIE) return lpmDelete(map, key, 0);
  if (isFdArray(t)) return fdArrayDelete(map, key);
  if (t == BPF_MAP_TYPE_DEVMAP) return devmapDelete(map, key);
  if (t == BPF_MAP_TYPE_DEVMAP_HASH) return htabDelete(map, key, 0, 0);
  if (t == BPF_MAP_TYPE_CPUMAP) return cpumapDelete(map, key);
  if (t == BPF_MAP_TYPE_XSKMAP) return xskmapDelete(map, key);
  if (t == BPF_MAP_TYPE_PERF_EVENT_ARRAY) return perfArrayDelete(map, key);
  if (t == BPF_MAP_TYPE_ARRAY_OF_MAPS) return arrayOfMapsDelete(map, key);
  if (t == BPF_MAP_TYPE_HASH_OF_MAPS) return htabDelete(map, key, 0, 0);
  if (t == BPF_MAP_TYPE_BLOOM_FILTER) return -EOPNOTSUPP; // bloom_map_delete_elem
  return -EINVAL; // arrays cannot delete (array_map_delete_elem), nor queues by key
}

/** bpf_map_delete_elem: 0 or -errno (a map of maps: -EINVAL, as map_update). */
export function map_delete(map: u32, key: u32): i64 {
  if (isMapOfMaps(mapType(map))) return -EINVAL;
  return remove(map, key);
}

// Push, pop and peek: queues and stacks (a value in, a value out) and bloom filters (push and
// peek a value; no pop: bloom_map_pop_elem). Programs and user space (the syscall's update with
// no key, lookup_and_delete, lookup) share them.
@inline function push(map: usize, value: usize, flags: u64): i32 {
  const t = mapType(map);
  if (isQueue(t)) return queuePush(map, value, flags);
  return t == BPF_MAP_TYPE_BLOOM_FILTER ? bloomPush(map, value, flags) : -EINVAL;
}

@inline function pop(map: usize, value: usize): i32 {
  const t = mapType(map);
  if (isQueue(t)) return queueTake(map, value, true);
  return t == BPF_MAP_TYPE_BLOOM_FILTER ? -EOPNOTSUPP : -EINVAL;
}

@inline function peek(map: usize, value: usize): i32 {
  const t = mapType(map);
  if (isQueue(t)) return queueTake(map, value, false);
  return t == BPF_MAP_TYPE_BLOOM_FILTER ? bloomPeek(map, value) : -EINVAL;
}

/** bpf_map_push_elem */
export function map_push(map: u32, value: u32, flags: u64): i64 {
  return push(map, value, flags);
}

/** bpf_map_pop_elem */
export function map_pop(map: u32, value: u32): i64 {
  return pop(map, value);
}

/** bpf_map_peek_elem (a bloom filter reads the value; a queue or stack writes it) */
export function map_peek(map: u32, value: u32): i64 {
  return peek(map, value);
}

/** bpf_ringbuf_reserve: the sample's address or 0 (also for any nonzero flags). */
export function ringbuf_reserve(map: u32, size: u64, flags: u64): u32 {
  if (flags != 0 || mapType(map) != BPF_MAP_TYPE_RINGBUF) return 0;
  return <u32>ringbufReserve(map, size);
}

/** bpf_ringbuf_submit (flags only choose wakeups, which have no meaning here). */
export function ringbuf_submit(sample: u32, flags: u64): void {
  ringbufCommit(sample, false);
}

/** bpf_ringbuf_discard */
export function ringbuf_discard(sample: u32, flags: u64): void {
  ringbufCommit(sample, true);
}

/** bpf_ringbuf_output: 0, -EAGAIN when full, -EINVAL for bad flags. */
export function ringbuf_output(map: u32, data: u32, size: u64, flags: u64): i64 {
  if (mapType(map) != BPF_MAP_TYPE_RINGBUF) return -EINVAL;
  return ringbufOutput(map, data, size, flags);
}

/** bpf_ringbuf_query */
export function ringbuf_query(map: u32, flags: u64): u64 {
  if (mapType(map) != BPF_MAP_TYPE_RINGBUF) return 0;
  return ringbufQuery(map, flags);
}

/** The program id a tail call through slot `index` jumps to, or 0. */
export function prog_array_get(map: u32, index: u32): u32 {
  if (mapType(map) != BPF_MAP_TYPE_PROG_ARRAY) return 0;
  return progArrayGet(map, index);
}

/**
 * bpf_perf_event_output's slot: the CPU the event in slot `index` is open on, -E2BIG past
 * max_entries, -ENOENT for an empty slot, -EINVAL for a map of another type.
 */
export function perf_event_slot(map: u32, index: u32): i64 {
  if (mapType(map) != BPF_MAP_TYPE_PERF_EVENT_ARRAY) return -EINVAL;
  return perfArraySlot(map, index);
}

// ---- user space (the bpf() syscall's view) --------------------------------------------------

/**
 * BPF_MAP_LOOKUP_ELEM as an address: the value (CPU 0's copy for per-CPU maps: CPU c's is
 * cpu_stride further), or 0 when absent. No LRU reference bit. Prog arrays give the slot
 * holding the program id.
 */
export function sys_lookup(map: u32, key: u32): u32 {
  const t = mapType(map);
  if (t == BPF_MAP_TYPE_PROG_ARRAY) return <u32>progArrayLookupSys(map, key);
  // A CGROUP_ARRAY has no sys lookup (-ENOTSUPP), which ../cgroup-array.ts answers before asking.
  if (t == BPF_MAP_TYPE_CGROUP_ARRAY) return 0;
  if (t == BPF_MAP_TYPE_PERF_EVENT_ARRAY) return <u32>perfArrayLookupSys(map, key);
  if (t == BPF_MAP_TYPE_ARRAY_OF_MAPS) return <u32>arrayOfMapsLookupSys(map, key);
  if (t == BPF_MAP_TYPE_HASH_OF_MAPS) return <u32>htabLookupHash(map, key, false);
  // xsk_map_lookup_elem_sys_only: -EOPNOTSUPP, which ../xsk-map.ts answers before asking.
  if (t == BPF_MAP_TYPE_XSKMAP) return 0;
  return <u32>lookup(map, key, ALL, false);
}

/** Copy every CPU's value of a per-CPU map element to `out`: 0 or -ENOENT. */
export function sys_lookup_percpu(map: u32, key: u32, out: u32): i32 {
  const t = mapType(map);
  if (t == BPF_MAP_TYPE_PERCPU_ARRAY) return arrayReadAll(map, key, out);
  if (t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH) return htabReadAll(map, key, out);
  return -EINVAL;
}

/** BPF_MAP_UPDATE_ELEM: per-CPU maps take every CPU's value. */
export function sys_update(map: u32, key: u32, value: u32, flags: u64): i32 {
  return update(map, key, value, flags, ALL);
}

/** BPF_MAP_DELETE_ELEM */
export function sys_delete(map: u32, key: u32): i32 {
  return remove(map, key);
}

/**
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM: hash maps (every CPU's value for per-CPU ones) and
 * queue/stack pops (key ignored). Other types: -ENOTSUPP, as map_lookup_and_delete_elem says.
 */
export function sys_lookup_and_delete(map: u32, key: u32, out: u32): i32 {
  const t = mapType(map);
  if (isHash(t)) return htabDelete(map, key, out, ALL);
  if (isQueue(t)) return queueTake(map, out, true);
  return -ENOTSUPP;
}

/** BPF_MAP_GET_NEXT_KEY: `key` 0 asks for the first key. */
export function sys_get_next_key(map: u32, key: u32, next: u32): i32 {
  const t = mapType(map);
  if (isArray(t) || isFdArray(t) || t == BPF_MAP_TYPE_DEVMAP || t == BPF_MAP_TYPE_PERF_EVENT_ARRAY
    || t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_CPUMAP || t == BPF_MAP_TYPE_XSKMAP) {
    return arrayGetNextKey(map, key, next);
  }
  if (isHash(t) || t == BPF_MAP_TYPE_DEVMAP_HASH || t == BPF_MAP_TYPE_HASH_OF_MAPS) return htabGetNextKey(map, key, next);
  if (t == BPF_MAP_TYPE_LPM_TRIE) return lpmGetNextKey(map, key, next);
  if (isCgroupStorage(t)) return cgroupStorageGetNextKey();
  return -EINVAL;
}

/** Queue, stack, bloom filter from user space: push (update with NULL key), pop, peek (lookup). */
export function sys_push(map: u32, value: u32, flags: u64): i32 {
  return push(map, value, flags);
}

export function sys_pop(map: u32, out: u32): i32 {
  return pop(map, out);
}

export function sys_peek(map: u32, out: u32): i32 {
  return peek(map, out);
}

/** Entries in a hash map (of any kind) or LPM trie (what the kernel's map iterator would count). */
export function sys_count(map: u32): u32 {
  return atomic.load<u32>(map + H_COUNT);
}
