// How one map's storage is laid out in its region of the arena: the sizes the runtime's
// header fields describe (./abi.ts). The AssemblyScript code never computes sizes; it reads
// them from the header this plan fills in.
//
//   header (256 bytes) | type storage (below) | user-space staging (keys, values)
//
//   ARRAY           values: max_entries × stride
//   PERCPU_ARRAY    ncpus planes of max_entries × stride, each plane cache-line aligned
//   PROG_ARRAY      max_entries × 8 (u32 program id a slot)
//   CGROUP_ARRAY    max_entries × 8 (u32 cgroup id a slot, 0 = empty)
//   PERF_EVENT_ARRAY max_entries × 8 (u32 CPU + 1 of the slot's event, 0 = empty)
//   DEVMAP          max_entries × stride (struct bpf_devmap_val; ifindex 0 = empty)
//   DEVMAP_HASH     as HASH (u32 keys)
//   CPUMAP          max_entries × 8 (struct bpf_cpumap_val; qsize 0 = empty)
//   XSKMAP          max_entries × 8 (u32 queue_id = the slot's struct bpf_xdp_sock | u32 socket id, 0 = empty)
//   ARRAY_OF_MAPS   max_entries × 8 (u32 inner map header address a slot, 0 = empty)
//   HASH_OF_MAPS    as HASH, the u32 value the inner map's header address
//   *HASH           bucket heads (next pow2 ≥ max_entries, 4 bytes each) | bucket locks (as many,
//                   4 bytes each, on lines of their own) | element pool
//                   [| ncpus planes of pool-size × stride for per-CPU values]
//                   pool = max_entries + ncpus + 1 for HASH (replacements need a spare element
//                   per concurrent writer, user space included), max_entries otherwise
//   LPM_TRIE        node pool of 2 × max_entries + 1 (every real node, at most one intermediate
//                   node per branching, one spare for a replacement)
//   QUEUE / STACK   (max_entries + 1) × stride slots
//   RINGBUF         page-aligned: header page | data (max_entries bytes) | wrap shadow (same)
//   *CGROUP_STORAGE ncpus planes of one value: the storage of the run on each CPU (a test run's
//                   storage is its own, so even the shared type has one per running CPU)
//   BLOOM_FILTER    the bit array: bitset_mask + 1 bits (bloomBits)

import * as abi from "./abi.js";
import type { CheckedSpec } from "./spec.js";
import { hasPerCpuValues, isCgroupStorage, isHash, isPerCpu, MapType } from "./types.js";

const align = (n: number, a: number): number => Math.ceil(n / a) * a;
const LINE = 64;

/** Header words written at creation, by offset. */
export type HeaderWords = ReadonlyArray<readonly [offset: number, value: number]>;

export interface MapPlan {
  /** Alignment of the region start (4096 for ring buffers, whose records find it by page). */
  readonly align: number;
  readonly size: number;
  /** Offsets inside the region. */
  readonly values: number;
  readonly staging: number;
  readonly stagingSize: number;
  readonly valueStride: number;
  readonly cpuStride: number;
  /** Header words relative to the region start for addresses: call `headerWords(base)`. */
  headerWords(base: number): HeaderWords;
}

interface Storage {
  values: number;
  buckets: number;
  locks: number;
  bucketCount: number;
  elems: number;
  elemSize: number;
  nElems: number;
  keyStride: number;
  valueOff: number;
  cpuStride: number;
  end: number;
}

function hashStorage(spec: CheckedSpec, ncpus: number, stride: number): Storage {
  const percpu = isPerCpu(spec.type);
  const lru = spec.type === MapType.LruHash || spec.type === MapType.LruPerCpuHash;
  const bucketCount = 2 ** Math.ceil(Math.log2(spec.maxEntries));
  const keyStride = align(spec.keySize, 8);
  const nElems = spec.maxEntries + (percpu || lru ? 0 : ncpus + 1);
  const elemSize = abi.E_KEY + keyStride + (percpu ? 0 : stride);
  const buckets = abi.HEADER_SIZE;
  const locks = align(buckets + bucketCount * 4, LINE);
  const elems = align(locks + bucketCount * 4, LINE);
  const cpuStride = percpu ? align(nElems * stride, LINE) : 0;
  const values = align(elems + nElems * elemSize, LINE);
  const end = values + ncpus * cpuStride;
  return { values, buckets, locks, bucketCount, elems, elemSize, nElems, keyStride, valueOff: abi.E_KEY + keyStride, cpuStride, end };
}

function lpmStorage(spec: CheckedSpec, stride: number): Storage {
  const dataSize = spec.keySize - 4;
  const valueOff = abi.N_DATA + align(dataSize, 8);
  const elemSize = valueOff + stride;
  const nElems = 2 * spec.maxEntries + 1;
  const elems = abi.HEADER_SIZE;
  return {
    values: 0, buckets: 0, locks: 0, bucketCount: 0, elems, elemSize, nElems, keyStride: dataSize, valueOff, cpuStride: 0,
    end: elems + nElems * elemSize,
  };
}

/**
 * bloom_map_alloc's bit array: max_entries × nr_hash_funcs × 7 / 5 bits (7/5 approximating
 * 1 / ln 2, the size that minimises false positives), at least 64, rounded up to a power of 2
 * so that a hash is masked into it; 2^32 bits when that overflows a u32 or passes 2^31.
 */
export function bloomBits(maxEntries: number, hashFuncs: number): number {
  const n = maxEntries * hashFuncs;
  if (n > 0xffffffff) return 2 ** 32;
  const bits = Math.floor(n / 5) * 7;
  if (bits > 2 ** 31) return 2 ** 32;
  return bits <= 64 ? 64 : 2 ** Math.ceil(Math.log2(bits));
}

function flatStorage(spec: CheckedSpec, ncpus: number, stride: number): Storage {
  const none = { buckets: 0, locks: 0, bucketCount: 0, elems: 0, elemSize: 0, nElems: 0, keyStride: 0, valueOff: 0 };
  if (spec.type === MapType.RingBuf) {
    return { ...none, values: abi.RB_DATA, cpuStride: 0, end: abi.RB_DATA + 2 * spec.maxEntries };
  }
  if (spec.type === MapType.BloomFilter) {
    return { ...none, values: abi.HEADER_SIZE, cpuStride: 0, end: abi.HEADER_SIZE + bloomBits(spec.maxEntries, spec.hashFuncs!) / 8 };
  }
  const storage = isCgroupStorage(spec.type);
  const slots = spec.type === MapType.Queue || spec.type === MapType.Stack ? spec.maxEntries + 1 : storage ? 1 : spec.maxEntries;
  const values = abi.HEADER_SIZE;
  const cpuStride = isPerCpu(spec.type) || storage ? align(slots * stride, LINE) : 0;
  const end = values + (cpuStride ? ncpus * cpuStride : slots * stride);
  return { ...none, values, cpuStride, end };
}

/**
 * Random bits drawn once per process (per thread: workers only attach to maps, reading their
 * seeds from the headers). A map's seed mixes them with the map's address.
 */
const SECRET = globalThis.crypto.getRandomValues(new Uint32Array(2));

/**
 * The seed of a hash map's key hash, as the kernel's htab->hashrnd: random, so that keys that
 * collide in one bucket cannot be chosen without reading the map's memory; 0 with
 * BPF_F_ZERO_SEED, which the kernel offers for a reproducible bucket order. The kernel draws
 * each map's seed; here it is the process's random bits mixed with the map's address, so that
 * maps differ while two machines of one process with the same layout lay their maps out
 * byte for byte alike (tests compare an engine's maps arena with another's).
 */
function hashSeed(flags: number, base: number): [number, number] {
  if (flags & abi.BPF_F_ZERO_SEED) return [0, 0];
  return [Math.imul(SECRET[0]! ^ base, 0x9e3779b1) >>> 0, Math.imul(SECRET[1]! ^ base, 0x85ebca77) >>> 0];
}

export function planMap(spec: CheckedSpec, ncpus: number): MapPlan {
  const ring = spec.type === MapType.RingBuf;
  const stride = spec.type === MapType.ProgArray || spec.type === MapType.CgroupArray ? 8 : align(spec.valueSize, 8);
  const hashed = isHash(spec.type) || spec.type === MapType.DevMapHash || spec.type === MapType.HashOfMaps;
  const s = hashed
    ? hashStorage(spec, ncpus, stride)
    : spec.type === MapType.LpmTrie
      ? lpmStorage(spec, stride)
      : flatStorage(spec, ncpus, stride);
  // Staging: two keys (key, next key) and one value buffer (every CPU's for per-CPU maps).
  const keyArea = align(Math.max(spec.keySize, 8), 8);
  const stagingSize = ring ? 0 : 2 * keyArea + stride * (hasPerCpuValues(spec.type) ? ncpus : 1);
  const staging = align(s.end, 8);
  const size = align(staging + stagingSize, LINE);
  const at = (base: number, offset: number): number => (offset ? base + offset : 0);
  return {
    align: ring ? abi.RINGBUF_PAGE : LINE,
    size,
    values: s.values,
    staging,
    stagingSize,
    valueStride: ring ? 0 : stride,
    cpuStride: s.cpuStride,
    headerWords: (base) => {
      const bloom = spec.type === MapType.BloomFilter;
      const seed = hashed || bloom ? hashSeed(spec.flags, base) : [0, 0];
      return [
        [abi.H_TYPE, spec.type],
        [abi.H_KEY_SIZE, spec.keySize],
        [abi.H_VALUE_SIZE, spec.valueSize],
        [abi.H_MAX_ENTRIES, spec.maxEntries],
        [abi.H_FLAGS, spec.flags],
        [abi.H_VALUE_STRIDE, ring ? 0 : stride],
        [abi.H_NCPUS, ncpus],
        [abi.H_CPU_STRIDE, s.cpuStride],
        [abi.H_VALUES, at(base, s.values)],
        [abi.H_BUCKETS, at(base, s.buckets)],
        [abi.H_BUCKET_MASK, s.bucketCount ? s.bucketCount - 1 : 0],
        [abi.H_LOCKS, at(base, s.locks)],
        [abi.H_SEED, seed[0]!],
        [abi.H_SEED + 4, seed[1]!],
        [abi.H_ELEMS, at(base, s.elems)],
        [abi.H_ELEM_SIZE, s.elemSize],
        [abi.H_N_ELEMS, s.nElems],
        [abi.H_KEY_STRIDE, s.keyStride],
        [abi.H_VALUE_OFF, s.valueOff],
        [abi.H_SPIN_LOCK, spec.spinLock === undefined ? 0 : spec.spinLock + 1],
        [abi.H_TIMER, spec.timer === undefined ? 0 : spec.timer + 1],
        [abi.H_BLOOM_HASHES, spec.hashFuncs ?? 0],
        [abi.H_BLOOM_MASK, bloom ? bloomBits(spec.maxEntries, spec.hashFuncs!) - 1 : 0],
      ];
    },
  };
}
