// Checks a MapSpec as BPF_MAP_CREATE does and refuses what the kernel refuses, with a BpfError
// naming the map, the field and the rule: first map_create's own checks (kernel/bpf/syscall.c:
// map_extra, bpf_get_file_flag, the NUMA node), then the map type's map_alloc_check /
// map_alloc (arraymap.c, hashtab.c, lpm_trie.c, queue_stack_maps.c, ringbuf.c, devmap.c,
// cpumap.c, xskmap.c, bloom_filter.c), one table row per type. Every path that makes a map from a definition goes through here: MapSet
// creation, machine sizing, and `verify` of an object (vm/elf/load/verify.ts), so an object
// whose map the kernel would refuse is refused before any program is verified or run.
//
// Sizes that only an allocation can refuse (the kernel's -ENOMEM) are not rules: the maps arena
// refuses those when the map is created here. The tables were compared with Linux 6.18's
// BPF_MAP_CREATE over a sweep of types, sizes and flags (test/maps/spec-kernel.test.ts).

import { BpfError } from "../errors.js";
import * as abi from "./abi.js";
import { errnoName } from "./errors.js";
import { anyMapTypeName } from "./kernel-map-types.js";
import { isMapOfMaps, isPerCpu, MapType, mapTypeName, parseMapType, type MapSpec } from "./types.js";

/** A checked spec: the type resolved to its number, flags defaulted. */
export interface CheckedSpec {
  readonly name: string;
  readonly type: MapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** ARRAY_OF_MAPS / HASH_OF_MAPS: the checked inner map template. */
  readonly inner?: CheckedInner;
  /** Offset of the value's struct bpf_spin_lock (MapSpec.spinLock), checked as map_check_btf does. */
  readonly spinLock?: number;
  /** Offset of the value's struct bpf_timer (MapSpec.timer), checked as map_check_btf does. */
  readonly timer?: number;
  /** BLOOM_FILTER: its number of hash functions, 1..15 (map_extra, 0 meaning 5). */
  readonly hashFuncs?: number;
}

/** An inner map template, checked as the map BPF_MAP_CREATE made of it. */
export type CheckedInner = Omit<CheckedSpec, "name" | "inner">;

/** KMALLOC_MAX_SIZE on x86-64 / arm64 with 4 KiB pages (PAGE_SIZE << MAX_PAGE_ORDER). */
const KMALLOC_MAX_SIZE = 4 << 20;
/** sizeof(struct htab_elem) on 64-bit kernels (hashtab.c), part of its key + value limit. */
const HTAB_ELEM_SIZE = 48;
/** sizeof(struct lpm_trie_node) on 64-bit kernels, part of LPM_VAL_SIZE_MAX. */
const LPM_NODE_SIZE = 24;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value (rounded up to 8) the kernel allocates. */
const PCPU_MIN_UNIT_SIZE = 32768;
/** LPM keys: struct bpf_lpm_trie_key_u8 (u32 prefixlen) with 1..256 data bytes. */
const LPM_KEY_MIN = 4 + 1;
const LPM_KEY_MAX = 4 + 256;
/** htab_map_alloc: n_buckets = roundup_pow_of_two(max_entries) must not overflow
 * U32_MAX / sizeof(struct bucket) (16 bytes): at most 2^27 entries, else -E2BIG. */
const HTAB_MAX_ENTRIES = 1 << 27;
/** dev_map_init_map: a DEVMAP_HASH's buckets, roundup_pow_of_two(max_entries), up to 2^31. */
const DEVMAP_HASH_MAX_ENTRIES = 2 ** 31;
/**
 * cpu_map_alloc refuses max_entries > NR_CPUS, a kernel build option (CONFIG_NR_CPUS): 256 on
 * the Linux 6.18 this runtime is compared with (distribution kernels often build 8192). The
 * slots a program can fill are fewer still: an update needs a possible CPU (-ENODEV).
 */
const CPUMAP_NR_CPUS = 256;
const INT_MAX = 0x7fffffff;
const U32_MAX = 0xffffffff;

// map_flags bits (include/uapi/linux/bpf.h). BPF_F_ACCESS_MASK: who may read / write the map,
// from user space (RDONLY / WRONLY: the fd's mode) and from programs (*_PROG: the verifier).
const F = {
  NO_PREALLOC: abi.BPF_F_NO_PREALLOC, NO_COMMON_LRU: abi.BPF_F_NO_COMMON_LRU, NUMA_NODE: abi.BPF_F_NUMA_NODE,
  RDONLY: abi.BPF_F_RDONLY, WRONLY: abi.BPF_F_WRONLY, ZERO_SEED: abi.BPF_F_ZERO_SEED,
  RDONLY_PROG: abi.BPF_F_RDONLY_PROG, WRONLY_PROG: abi.BPF_F_WRONLY_PROG, MMAPABLE: abi.BPF_F_MMAPABLE,
  PRESERVE_ELEMS: abi.BPF_F_PRESERVE_ELEMS, INNER_MAP: abi.BPF_F_INNER_MAP, TOKEN_FD: abi.BPF_F_TOKEN_FD,
} as const;
const ACCESS = F.RDONLY | F.RDONLY_PROG | F.WRONLY | F.WRONLY_PROG;

const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = Object.entries(F).map(([name, bit]) => [bit, `BPF_F_${name}`]);

/** "BPF_F_MMAPABLE|0x80000" for the bits of `flags`. */
function flagNames(flags: number): string {
  const known = FLAG_NAMES.filter(([bit]) => flags & bit);
  const rest = known.reduce((left, [bit]) => left & ~bit, flags) >>> 0;
  return [...known.map(([, name]) => name), ...(rest ? [`0x${rest.toString(16)}`] : [])].join("|");
}

class SpecChecker {
  constructor(
    readonly spec: MapSpec,
    readonly typeName: string,
    readonly flags: number,
  ) {}

  fail(what: string, errno = abi.EINVAL): never {
    throw new BpfError(`map '${this.spec.name}' (${this.typeName}): ${what} (the kernel refuses it with -${errnoName(errno)})`);
  }

  integer(field: string, value: unknown): void {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > U32_MAX) {
      this.fail(`${field} must be an integer from 0 to ${U32_MAX}, got ${String(value)}`);
    }
  }

  range(field: string, value: number, min: number, max: number, tooBig = abi.EINVAL): void {
    if (value < min) this.fail(`${field} ${value} is too small: must be ${min}..${max}`);
    if (value > max) this.fail(`${field} ${value} is too large: must be ${min}..${max}`, tooBig);
  }

  exactly(field: string, value: number, want: number): void {
    if (value !== want) this.fail(`${field} must be ${want}, got ${value}`);
  }

  /** `flags` outside `mask` (the type's *_CREATE_FLAG_MASK). */
  flagMask(mask: number): void {
    const extra = (this.flags & ~mask) >>> 0;
    if (extra) this.fail(`map_flags ${flagNames(extra)} not accepted for this map type`);
  }

  has(bit: number): boolean {
    return (this.flags & bit) !== 0;
  }

  /** bpf_map_flags_access_ok: a program cannot be limited to reading and to writing at once. */
  accessOk(): void {
    if (this.has(F.RDONLY_PROG) && this.has(F.WRONLY_PROG)) this.fail("map_flags BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together");
  }

  /** Per-CPU values live in every CPU's per-CPU area, not on one NUMA node. */
  noNumaNode(why: string): void {
    if (this.has(F.NUMA_NODE)) this.fail(`map_flags BPF_F_NUMA_NODE on ${why}`);
  }

  /** round_up(value_size, 8) of a per-CPU value must fit PCPU_MIN_UNIT_SIZE. */
  perCpuValue(): void {
    const size = this.spec.valueSize;
    if (Math.ceil(size / 8) * 8 > PCPU_MIN_UNIT_SIZE) {
      this.fail(`value_size ${size} is too large: a per-CPU value is at most ${PCPU_MIN_UNIT_SIZE} bytes`, abi.E2BIG);
    }
  }

  maxEntriesNotZero(): void {
    if (this.spec.maxEntries === 0) this.fail("max_entries must not be 0");
  }
}

/** What one map type takes: its *_CREATE_FLAG_MASK and the rest of its alloc_check. */
interface TypeRule {
  readonly flags: number;
  readonly check: (c: SpecChecker, s: MapSpec) => void;
}

const ARRAY_FLAGS = F.NUMA_NODE | F.MMAPABLE | ACCESS | F.PRESERVE_ELEMS | F.INNER_MAP;

/** array_map_alloc_check (ARRAY, PERCPU_ARRAY; PROG_ARRAY, PERF_EVENT_ARRAY and CGROUP_ARRAY after fdArray). */
function arrayCheck(c: SpecChecker, s: MapSpec, type: MapType): void {
  c.maxEntriesNotZero();
  c.exactly("key_size", s.keySize, 4);
  if (s.valueSize === 0) c.fail("value_size must not be 0");
  c.accessOk();
  if (type === MapType.PerCpuArray) c.noNumaNode("a per-CPU array");
  if (type !== MapType.Array && c.has(F.MMAPABLE | F.INNER_MAP)) {
    c.fail(`map_flags ${flagNames(c.flags & (F.MMAPABLE | F.INNER_MAP))}: only a plain ARRAY takes them`);
  }
  if (type !== MapType.PerfEventArray && c.has(F.PRESERVE_ELEMS)) c.fail("map_flags BPF_F_PRESERVE_ELEMS: only a PERF_EVENT_ARRAY takes it");
  // "avoid overflow on round_up(map->value_size)"
  if (s.valueSize > INT_MAX) c.fail(`value_size ${s.valueSize} is too large: at most ${INT_MAX}`, abi.E2BIG);
  if (type === MapType.PerCpuArray) c.perCpuValue();
}

/** fd_array_map_alloc_check: slots hold a u32 fd, and programs get no read/write-only limits. */
function fdArrayCheck(c: SpecChecker, s: MapSpec, type: MapType): void {
  c.exactly("value_size", s.valueSize, 4);
  if (c.has(F.RDONLY_PROG | F.WRONLY_PROG)) {
    c.fail(`map_flags ${flagNames(c.flags & (F.RDONLY_PROG | F.WRONLY_PROG))}: not supported for maps of fds`);
  }
  arrayCheck(c, s, type);
}

/** htab_map_alloc_check, then htab_map_alloc's bucket count. */
function hashCheck(c: SpecChecker, s: MapSpec, type: MapType): void {
  const percpu = isPerCpu(type);
  const lru = type === MapType.LruHash || type === MapType.LruPerCpuHash;
  const percpuLru = c.has(F.NO_COMMON_LRU);
  c.accessOk();
  if (!lru && percpuLru) c.fail("map_flags BPF_F_NO_COMMON_LRU: only LRU hash maps take it");
  // LRU maps evict from a preallocated pool: no BPF_F_NO_PREALLOC (the kernel's -ENOTSUPP, 524).
  if (lru && c.has(F.NO_PREALLOC)) c.fail("map_flags BPF_F_NO_PREALLOC: an LRU map is always preallocated", abi.ENOTSUPP);
  if (percpu || percpuLru) c.noNumaNode(percpu ? "a per-CPU map" : "an LRU map with per-CPU lists (BPF_F_NO_COMMON_LRU)");
  c.maxEntriesNotZero();
  if (s.keySize === 0) c.fail("key_size must not be 0");
  if (s.valueSize === 0) c.fail("value_size must not be 0");
  // "if key_size + value_size is bigger, the user space won't be able to access the elements"
  if (s.keySize + s.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) {
    c.fail(`key_size + value_size (${s.keySize} + ${s.valueSize}) is too large: must be below ${KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE}`, abi.E2BIG);
  }
  if (percpu) c.perCpuValue();
  if (s.maxEntries > HTAB_MAX_ENTRIES) c.fail(`max_entries ${s.maxEntries} is too large: a hash map has at most ${HTAB_MAX_ENTRIES}`, abi.E2BIG);
}

/** trie_alloc: every violation is -EINVAL. */
function lpmCheck(c: SpecChecker, s: MapSpec): void {
  c.maxEntriesNotZero();
  if (!c.has(F.NO_PREALLOC)) c.fail("an LPM trie needs map_flags BPF_F_NO_PREALLOC");
  c.accessOk();
  c.range("key_size", s.keySize, LPM_KEY_MIN, LPM_KEY_MAX);
  c.range("value_size", s.valueSize, 1, KMALLOC_MAX_SIZE - (LPM_KEY_MAX - 4) - LPM_NODE_SIZE);
}

/** queue_stack_map_alloc_check. */
function queueCheck(c: SpecChecker, s: MapSpec): void {
  c.maxEntriesNotZero();
  c.exactly("key_size", s.keySize, 0);
  if (s.valueSize === 0) c.fail("value_size must not be 0");
  c.accessOk();
  if (s.valueSize > KMALLOC_MAX_SIZE) c.fail(`value_size ${s.valueSize} is too large: at most ${KMALLOC_MAX_SIZE}`, abi.E2BIG);
}

/** bloom_map_alloc_check, then bloom_map_alloc's checks (all -EINVAL). */
function bloomCheck(c: SpecChecker, s: MapSpec): void {
  if (s.valueSize > KMALLOC_MAX_SIZE) c.fail(`value_size ${s.valueSize} is too large: at most ${KMALLOC_MAX_SIZE}`, abi.E2BIG);
  c.exactly("key_size", s.keySize, 0);
  if (s.valueSize === 0) c.fail("value_size must not be 0");
  c.maxEntriesNotZero();
  c.accessOk();
  // "The lower 4 bits of map_extra (0xF) specify the number of hash functions"
  if ((s.mapExtra ?? 0) > BLOOM_MAX_HASH_FUNCS) c.fail(`map_extra ${s.mapExtra} is too large: a bloom filter's number of hash functions is 0 (meaning 5) to ${BLOOM_MAX_HASH_FUNCS}`);
}

/** map_extra's low 4 bits; 0 asks for the default. */
const BLOOM_MAX_HASH_FUNCS = 0xf;
const BLOOM_DEFAULT_HASH_FUNCS = 5;

/** ringbuf_map_alloc: the size (max_entries) is a power-of-2 number of pages. */
function ringbufCheck(c: SpecChecker, s: MapSpec): void {
  c.exactly("key_size", s.keySize, 0);
  c.exactly("value_size", s.valueSize, 0);
  const n = s.maxEntries;
  if (n === 0 || (n & (n - 1)) !== 0 || n % abi.RINGBUF_PAGE !== 0) {
    c.fail(`max_entries ${n} must be a power of 2 and a multiple of ${abi.RINGBUF_PAGE} (the ring's size in bytes)`);
  }
}

/** dev_map_alloc_check: a u32 key, a u32 ifindex or a struct bpf_devmap_val (8 bytes). */
function devmapCheck(c: SpecChecker, s: MapSpec, type: MapType): void {
  c.maxEntriesNotZero();
  c.exactly("key_size", s.keySize, 4);
  if (s.valueSize !== 4 && s.valueSize !== 8) c.fail(`value_size must be 4 (ifindex) or 8 (struct bpf_devmap_val), got ${s.valueSize}`);
  if (type === MapType.DevMapHash && s.maxEntries > DEVMAP_HASH_MAX_ENTRIES) {
    c.fail(`max_entries ${s.maxEntries} is too large: a DEVMAP_HASH has at most ${DEVMAP_HASH_MAX_ENTRIES}`);
  }
}

/**
 * cpu_map_alloc: a u32 key (the CPU), a u32 qsize or a struct bpf_cpumap_val (qsize, bpf_prog fd;
 * 8 bytes), every violation -EINVAL; then "pre-limit array size based on NR_CPUS" (-E2BIG).
 */
function cpumapCheck(c: SpecChecker, s: MapSpec): void {
  c.maxEntriesNotZero();
  c.exactly("key_size", s.keySize, 4);
  if (s.valueSize !== 4 && s.valueSize !== 8) c.fail(`value_size must be 4 (qsize) or 8 (struct bpf_cpumap_val), got ${s.valueSize}`);
  if (s.maxEntries > CPUMAP_NR_CPUS) c.fail(`max_entries ${s.maxEntries} is too large: a CPUMAP has at most NR_CPUS (${CPUMAP_NR_CPUS}) slots`, abi.E2BIG);
}

/** xsk_map_alloc: a u32 key, a u32 AF_XDP socket fd; every violation -EINVAL. */
function xskmapCheck(c: SpecChecker, s: MapSpec): void {
  c.maxEntriesNotZero();
  c.exactly("key_size", s.keySize, 4);
  c.exactly("value_size", s.valueSize, 4);
}

/**
 * BPF_LOCAL_STORAGE_MAX_VALUE_SIZE on 6.18 x86-64: U16_MAX less sizeof(struct
 * bpf_local_storage_elem) (128: its data is cache-line aligned), the smaller of its two bounds.
 */
const LOCAL_STORAGE_MAX_VALUE_SIZE = 0xffff - 128;

/**
 * cgroup_storage_map_alloc: the key a struct bpf_cgroup_storage_key (16 bytes) or a u64 cgroup
 * id, a value of 1 byte up to the local storages' limit (a per-CPU one also up to
 * PCPU_MIN_UNIT_SIZE), and max_entries 0 ("not used and enforced to be 0"), in that order.
 */
function cgroupStorageCheck(c: SpecChecker, s: MapSpec, type: MapType): void {
  if (s.keySize !== 16 && s.keySize !== 8) c.fail(`key_size must be 16 (struct bpf_cgroup_storage_key) or 8 (a u64 cgroup id), got ${s.keySize}`);
  if (s.valueSize === 0) c.fail("value_size must not be 0");
  const max = type === MapType.PerCpuCgroupStorage ? PCPU_MIN_UNIT_SIZE : LOCAL_STORAGE_MAX_VALUE_SIZE;
  if (s.valueSize > max) c.fail(`value_size ${s.valueSize} is too large: at most ${max}`, abi.E2BIG);
  c.accessOk();
  if (s.maxEntries !== 0) c.fail(`max_entries must be 0 (a cgroup storage has no entries of its own), got ${s.maxEntries}`);
}

/** fd_htab_map_alloc_check: a HASH_OF_MAPS value is a u32 map fd, then the hash rules. */
function fdHashCheck(c: SpecChecker, s: MapSpec, type: MapType): void {
  c.exactly("value_size", s.valueSize, 4);
  hashCheck(c, s, type);
}

const HASH_FLAGS = F.NO_PREALLOC | F.NO_COMMON_LRU | F.NUMA_NODE | ACCESS | F.ZERO_SEED;
const hashRule = (type: MapType): TypeRule => ({ flags: HASH_FLAGS, check: (c, s) => hashCheck(c, s, type) });
const arrayRule = (type: MapType): TypeRule => ({ flags: ARRAY_FLAGS, check: (c, s) => arrayCheck(c, s, type) });
const fdArrayRule = (type: MapType): TypeRule => ({ flags: ARRAY_FLAGS, check: (c, s) => fdArrayCheck(c, s, type) });
const devmapRule = (type: MapType): TypeRule => ({ flags: F.NUMA_NODE | F.RDONLY | F.WRONLY, check: (c, s) => devmapCheck(c, s, type) });

/** Each type's *_CREATE_FLAG_MASK and alloc_check. */
const RULES: ReadonlyMap<MapType, TypeRule> = new Map<MapType, TypeRule>([
  [MapType.Array, arrayRule(MapType.Array)],
  [MapType.PerCpuArray, arrayRule(MapType.PerCpuArray)],
  [MapType.ProgArray, fdArrayRule(MapType.ProgArray)],
  [MapType.PerfEventArray, fdArrayRule(MapType.PerfEventArray)],
  [MapType.CgroupArray, fdArrayRule(MapType.CgroupArray)],
  [MapType.Hash, hashRule(MapType.Hash)],
  [MapType.PerCpuHash, hashRule(MapType.PerCpuHash)],
  [MapType.LruHash, hashRule(MapType.LruHash)],
  [MapType.LruPerCpuHash, hashRule(MapType.LruPerCpuHash)],
  [MapType.LpmTrie, { flags: F.NO_PREALLOC | F.NUMA_NODE | ACCESS, check: lpmCheck }],
  [MapType.Queue, { flags: F.NUMA_NODE | ACCESS, check: queueCheck }],
  [MapType.Stack, { flags: F.NUMA_NODE | ACCESS, check: queueCheck }],
  [MapType.RingBuf, { flags: F.NUMA_NODE, check: ringbufCheck }],
  [MapType.DevMap, devmapRule(MapType.DevMap)],
  [MapType.DevMapHash, devmapRule(MapType.DevMapHash)],
  [MapType.CpuMap, { flags: F.NUMA_NODE, check: cpumapCheck }],
  [MapType.XskMap, { flags: F.NUMA_NODE | F.RDONLY | F.WRONLY, check: xskmapCheck }],
  [MapType.ArrayOfMaps, fdArrayRule(MapType.ArrayOfMaps)],
  [MapType.HashOfMaps, { flags: HASH_FLAGS, check: (c, s) => fdHashCheck(c, s, MapType.HashOfMaps) }],
  // LOCAL_STORAGE_CREATE_FLAG_MASK: BPF_F_NUMA_NODE and the access flags.
  [MapType.CgroupStorage, { flags: F.NUMA_NODE | ACCESS, check: (c, s) => cgroupStorageCheck(c, s, MapType.CgroupStorage) }],
  [MapType.PerCpuCgroupStorage, { flags: F.NUMA_NODE | ACCESS, check: (c, s) => cgroupStorageCheck(c, s, MapType.PerCpuCgroupStorage) }],
  // BLOOM_CREATE_FLAG_MASK
  [MapType.BloomFilter, { flags: F.NUMA_NODE | F.ZERO_SEED | ACCESS, check: bloomCheck }],
]);

/**
 * map_create's checks before the type's: map_extra is for BLOOM_FILTER (and ARENA, not built);
 * bpf_get_file_flag refuses an fd both read-only and write-only; a BPF token (BPF_F_TOKEN_FD)
 * needs a token fd, which nothing here has; BPF_F_NUMA_NODE names an online node, and this
 * runtime's one memory is node 0.
 */
function createCheck(c: SpecChecker, s: MapSpec, type: MapType): void {
  if (type !== MapType.BloomFilter && s.mapExtra !== undefined && s.mapExtra !== 0) c.fail(`map_extra must be 0 for this map type, got ${s.mapExtra}`);
  if (c.has(F.RDONLY) && c.has(F.WRONLY)) c.fail("map_flags BPF_F_RDONLY and BPF_F_WRONLY together");
  if (c.has(F.TOKEN_FD)) c.fail("map_flags BPF_F_TOKEN_FD: there is no BPF token here");
  if (c.has(F.NUMA_NODE) && (s.numaNode ?? 0) !== 0) c.fail(`numa_node ${s.numaNode} is not an online NUMA node (only node 0 exists here)`);
}

export function checkSpec(spec: MapSpec): CheckedSpec {
  if (typeof spec.name !== "string" || spec.name.length === 0) {
    throw new BpfError(`a map needs a name (got ${JSON.stringify(spec.name)})`);
  }
  const type = parseMapType(spec.type);
  if (type === undefined) {
    const known = typeof spec.type === "number" && anyMapTypeName(spec.type) !== `type ${spec.type}`;
    throw new BpfError(
      known
        ? `map '${spec.name}': map type ${anyMapTypeName(spec.type as number)} (${spec.type}) is not supported here`
        : `map '${spec.name}': unknown or unsupported map type ${JSON.stringify(spec.type)}`,
    );
  }
  const flags = spec.flags ?? 0;
  const c = new SpecChecker(spec, mapTypeName(type), flags);
  c.integer("keySize", spec.keySize);
  c.integer("valueSize", spec.valueSize);
  c.integer("maxEntries", spec.maxEntries);
  c.integer("flags", flags);
  if (spec.numaNode !== undefined) c.integer("numaNode", spec.numaNode);
  if (spec.mapExtra !== undefined && (typeof spec.mapExtra !== "number" || !Number.isSafeInteger(spec.mapExtra) || spec.mapExtra < 0)) {
    c.fail(`mapExtra must be a non-negative integer, got ${String(spec.mapExtra)}`);
  }
  createCheck(c, spec, type);
  const rule = RULES.get(type)!;
  c.flagMask(rule.flags);
  rule.check(c, spec);
  const inner = isMapOfMaps(type) ? checkInner(c, spec) : undefined;
  if (!inner && spec.inner !== undefined) c.fail("an inner map template is only for ARRAY_OF_MAPS / HASH_OF_MAPS");
  if (spec.spinLock !== undefined) spinLockCheck(c, spec, type);
  if (spec.timer !== undefined) timerCheck(c, spec, type);
  return {
    name: spec.name, type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags,
    ...(inner ? { inner } : {}), ...(spec.spinLock !== undefined ? { spinLock: spec.spinLock } : {}),
    ...(spec.timer !== undefined ? { timer: spec.timer } : {}),
    ...(type === MapType.BloomFilter ? { hashFuncs: spec.mapExtra || BLOOM_DEFAULT_HASH_FUNCS } : {}),
  };
}

/**
 * map_check_btf for a value with a struct bpf_spin_lock (after the type's own checks, as the
 * kernel checks the BTF once the map is allocated): the lock lies inside the value, 4-byte
 * aligned (btf_parse_fields: -EFAULT); programs may neither only read nor only write the map
 * (-EACCES); and only HASH and ARRAY among the types built here take a lock (-EOPNOTSUPP: not
 * the per-CPU, LRU, LPM, queue or device maps). Compared with Linux 6.18's BPF_MAP_CREATE
 * (test/maps/spin-lock.test.ts).
 */
function spinLockCheck(c: SpecChecker, spec: MapSpec, type: MapType): void {
  const off = spec.spinLock!;
  if (typeof off !== "number" || !Number.isSafeInteger(off) || off < 0 || off + 4 > spec.valueSize) {
    c.fail(`spinLock: the struct bpf_spin_lock at ${String(off)} does not lie within the ${spec.valueSize}-byte value`);
  }
  if (off % 4 !== 0) c.fail(`spinLock: the struct bpf_spin_lock at ${off} is not 4-byte aligned`, abi.EFAULT);
  if (c.has(F.RDONLY_PROG) || c.has(F.WRONLY_PROG)) c.fail("a value with a struct bpf_spin_lock cannot be BPF_F_RDONLY_PROG or BPF_F_WRONLY_PROG", abi.EACCES);
  if (type !== MapType.Hash && type !== MapType.Array) c.fail("only HASH and ARRAY values may hold a struct bpf_spin_lock", abi.EOPNOTSUPP);
}

/**
 * map_check_btf for a value with a struct bpf_timer: inside the value and clear of its lock;
 * not BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG (-EACCES, as for every special field); only HASH,
 * LRU_HASH and ARRAY values hold one (-EOPNOTSUPP). Compared with Linux 6.18's BPF_MAP_CREATE
 * (test/kernel/timer.test.ts), which takes a timer at any offset: C puts it 8-aligned, and this
 * runtime needs 4 (its state words are taken with Atomics, vm/runtime/timers.ts), a refusal of
 * its own.
 */
function timerCheck(c: SpecChecker, spec: MapSpec, type: MapType): void {
  const off = spec.timer!;
  if (typeof off !== "number" || !Number.isSafeInteger(off) || off < 0 || off + TIMER_SIZE > spec.valueSize) {
    c.fail(`timer: the struct bpf_timer at ${String(off)} does not lie within the ${spec.valueSize}-byte value`);
  }
  if (spec.spinLock !== undefined && off < spec.spinLock + 4 && spec.spinLock < off + TIMER_SIZE) c.fail(`timer: the struct bpf_timer at ${off} overlaps the struct bpf_spin_lock at ${spec.spinLock}`);
  if (c.has(F.RDONLY_PROG) || c.has(F.WRONLY_PROG)) c.fail("a value with a struct bpf_timer cannot be BPF_F_RDONLY_PROG or BPF_F_WRONLY_PROG", abi.EACCES);
  if (type !== MapType.Hash && type !== MapType.LruHash && type !== MapType.Array) c.fail("only HASH, LRU_HASH and ARRAY values may hold a struct bpf_timer", abi.EOPNOTSUPP);
  if (off % 4 !== 0) {
    throw new BpfError(`map '${spec.name}' (${c.typeName}): timer: the struct bpf_timer at ${off} is not 4-byte aligned; the kernel takes it, this runtime needs its words 4-byte aligned (C aligns it to 8)`);
  }
}

/** sizeof(struct bpf_timer). */
const TIMER_SIZE = 16;

/**
 * The outer map's map_alloc: bpf_map_meta_alloc(attr->inner_map_fd). The template is a map of
 * its own (libbpf creates it, then closes it once the outer map exists), so it is checked as
 * one first; then the kernel refuses a map of maps (one level only, -EINVAL) and types without
 * map_meta_equal, of which PROG_ARRAY is the one implemented here (-ENOTSUPP; both compared with
 * Linux 6.18).
 */
function checkInner(c: SpecChecker, spec: MapSpec): CheckedInner {
  if (spec.inner === undefined || spec.inner === null) {
    return c.fail("a map of maps needs an inner map template (BPF_MAP_CREATE's inner_map_fd; in C: __array(values, struct inner_map))");
  }
  if (typeof spec.inner.type === "number" && isMapOfMaps(spec.inner.type)) c.fail("the inner map is itself a map of maps (only one level of map-in-map is allowed)");
  const { name: _name, inner: _inner, ...checked } = checkSpec({ ...spec.inner, name: `${spec.name}.inner` });
  if (isMapOfMaps(checked.type)) c.fail("the inner map is itself a map of maps (only one level of map-in-map is allowed)");
  if (checked.type === MapType.ProgArray) c.fail("a prog_array cannot be an inner map (it has no map_meta_equal)", abi.ENOTSUPP);
  return checked;
}

/**
 * bpf_map_fd_get_ptr's test (map->ops->map_meta_equal): why `map` cannot go in a slot of a map
 * whose inner template is `inner`, or undefined when it can. bpf_map_meta_equal compares type,
 * key_size, value_size and map_flags; array_map_meta_equal (a plain ARRAY's only) also
 * max_entries, unless the template has BPF_F_INNER_MAP. A map of maps is never an inner map.
 *
 * A PERCPU_ARRAY has bpf_map_meta_equal: the kernel takes one of any max_entries (checked
 * against Linux 6.18). Here one smaller than the template is refused all the same: the verifier
 * drops the NULL check of a constant-key lookup the template proves in range
 * (can_elide_value_nullness, which only BPF_F_INNER_MAP stops, and a PERCPU_ARRAY cannot have
 * it), so the program would dereference the NULL the smaller map answers — a kernel oops there,
 * and here an interpreter fault the JIT does not raise.
 */
export function innerMapMismatch(inner: CheckedInner, map: Omit<CheckedInner, "inner"> & { readonly inner?: unknown }): string | undefined {
  if (map.inner !== undefined) return "it is a map of maps itself";
  const fields = [
    ["type", mapTypeName(inner.type), mapTypeName(map.type)],
    ["key_size", inner.keySize, map.keySize],
    ["value_size", inner.valueSize, map.valueSize],
    ["map_flags", inner.flags, map.flags],
  ] as const;
  for (const [field, want, got] of fields) if (want !== got) return `its ${field} is ${got}, the inner map template's is ${want}`;
  if (inner.type === MapType.Array && !(inner.flags & F.INNER_MAP) && inner.maxEntries !== map.maxEntries) {
    return `its max_entries is ${map.maxEntries}, the inner map template's is ${inner.maxEntries} (an array's must match unless the template has BPF_F_INNER_MAP)`;
  }
  // xsk_map_meta_equal: an XSKMAP's max_entries must match too.
  if (inner.type === MapType.XskMap && inner.maxEntries !== map.maxEntries) {
    return `its max_entries is ${map.maxEntries}, the inner map template's is ${inner.maxEntries} (an XSKMAP's must match)`;
  }
  if (inner.type === MapType.PerCpuArray && map.maxEntries < inner.maxEntries) {
    return `its max_entries is ${map.maxEntries}, below the inner map template's ${inner.maxEntries} (the kernel takes it, but a constant-key lookup the template proves in range has no NULL check and would get NULL)`;
  }
  return undefined;
}
