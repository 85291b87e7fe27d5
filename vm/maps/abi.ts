// The binary interface between the TypeScript side of the maps (sizing, user-space API) and the
// AssemblyScript runtime that does every map operation (vm/maps/as/). This one file is compiled
// by both tsc and asc (vm/maps/as/*.ts import "../abi"), so the two sides cannot disagree on a
// number. It must therefore stay plain `export const NAME = <integer literal or expression>;`.
//
// Numbers with a kernel meaning are Linux UAPI (include/uapi/linux/bpf.h, asm-generic/errno*.h).

// ---- enum bpf_map_type ------------------------------------------------------------------
export const BPF_MAP_TYPE_HASH = 1;
export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PROG_ARRAY = 3;
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
export const BPF_MAP_TYPE_PERCPU_HASH = 5;
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
export const BPF_MAP_TYPE_CGROUP_ARRAY = 8;
export const BPF_MAP_TYPE_LRU_HASH = 9;
export const BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;
export const BPF_MAP_TYPE_LPM_TRIE = 11;
export const BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
export const BPF_MAP_TYPE_HASH_OF_MAPS = 13;
export const BPF_MAP_TYPE_DEVMAP = 14;
export const BPF_MAP_TYPE_CPUMAP = 16;
export const BPF_MAP_TYPE_XSKMAP = 17;
export const BPF_MAP_TYPE_CGROUP_STORAGE = 19;
export const BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21;
export const BPF_MAP_TYPE_QUEUE = 22;
export const BPF_MAP_TYPE_STACK = 23;
export const BPF_MAP_TYPE_DEVMAP_HASH = 25;
export const BPF_MAP_TYPE_RINGBUF = 27;
export const BPF_MAP_TYPE_BLOOM_FILTER = 30;

// ---- map_update_elem flags ----------------------------------------------------------------
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
// ---- map-of-maps slot values written by user space (vm/maps/map-of-maps.ts): the inner map's
// header address, or one of these (no map is ever at address 0 or 1), which the runtime answers
// as bpf_map_fd_get_ptr would: an fd naming no map, a map unlike the inner template.
export const INNER_BAD_FD = 0;
export const INNER_INCOMPATIBLE = 1;
/** Lookup / update under the value's struct bpf_spin_lock; -EINVAL for a value without one (vm/maps/map.ts). */
export const BPF_F_LOCK = 4;

// ---- map_create flags (the ones some map type accepts, and BPF_F_TOKEN_FD, refused) -------
export const BPF_F_NO_PREALLOC = 1;
export const BPF_F_NO_COMMON_LRU = 2;
export const BPF_F_NUMA_NODE = 4;
/** User space (the syscall side) may only read / only write the map. */
export const BPF_F_RDONLY = 8;
export const BPF_F_WRONLY = 16;
export const BPF_F_ZERO_SEED = 64;
/** Programs may only read / only write the map's values (the verifier enforces it). */
export const BPF_F_RDONLY_PROG = 128;
export const BPF_F_WRONLY_PROG = 256;
export const BPF_F_MMAPABLE = 1024;
export const BPF_F_PRESERVE_ELEMS = 2048;
export const BPF_F_INNER_MAP = 4096;
export const BPF_F_TOKEN_FD = 65536;

// ---- errno (returned negated, as the kernel's helpers and syscalls do) -------------------
export const EPERM = 1;
export const ENOENT = 2;
export const E2BIG = 7;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EEXIST = 17;
/** CPUMAP: a key that is not a possible CPU. */
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
/** CPUMAP: a queue size past the kernel's sanity limit. */
export const EOVERFLOW = 75;
export const EOPNOTSUPP = 95;
/** A struct bpf_spin_lock in a value: a misaligned lock (btf_parse_fields), *_PROG access flags (map_check_btf). */
export const EFAULT = 14;
export const EACCES = 13;
/** The kernel-internal ENOTSUPP that BPF_MAP_LOOKUP_AND_DELETE_ELEM returns for other types. */
export const ENOTSUPP = 524;

// ---- ring buffer (kernel/bpf/ringbuf.c, uapi struct bpf_ringbuf_hdr) ----------------------
export const BPF_RINGBUF_BUSY_BIT = 1 << 31;
export const BPF_RINGBUF_DISCARD_BIT = 1 << 30;
export const BPF_RINGBUF_HDR_SZ = 8;
export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;
/** The kernel's PAGE_SIZE as the ring buffer uses it (record pg_off, size alignment). */
export const RINGBUF_PAGE = 4096;

/** `cpu` argument meaning "user space: the value buffer holds every CPU's value". */
export const ALL_CPUS = -1;

// ---- map header: every map starts with one, at a 64-byte aligned address -------------------
// The map pointer a program holds (lddw BPF_PSEUDO_MAP_FD) is the header's address. Words
// 0..127 are written once at creation by the TS side (vm/maps/plan.ts): the first cache line
// holds everything a lookup reads, the second what only updates, LRU eviction and setup read.
// 128.. are the mutable state, on lines of their own so that updates on one CPU do not evict the
// read-only lines from the caches of CPUs that only look up.
export const H_TYPE = 0;
export const H_KEY_SIZE = 4;
export const H_VALUE_SIZE = 8;
export const H_MAX_ENTRIES = 12;
export const H_FLAGS = 16;
/** round_up(value_size, 8): the kernel's value alignment. */
export const H_VALUE_STRIDE = 20;
export const H_NCPUS = 24;
/** Bytes between CPU c's and CPU c+1's copy of a per-CPU value (0 when not per-CPU). */
export const H_CPU_STRIDE = 28;
/** Array values / per-CPU value planes / queue slots / ring buffer data / bloom filter bits. */
export const H_VALUES = 32;
/** Hash bucket heads (a u32 each: first element or the chain's nulls marker). */
export const H_BUCKETS = 36;
export const H_BUCKET_MASK = 40;
/**
 * Hash maps: the u64 seed of the key hash (the kernel's htab->hashrnd), 0 with BPF_F_ZERO_SEED.
 * Bloom filters: the u32 hash_seed in its low word.
 */
export const H_SEED = 48;
/** round_up(key_size, 8) for hash maps; data size (key_size - 4) for LPM tries. */
export const H_KEY_STRIDE = 56;
/** Offset of the value inside an element or node (non-per-CPU maps). */
export const H_VALUE_OFF = 60;
// second read-only line: not on any lookup's path
/** Element (hash) or node (LPM) pool. */
export const H_ELEMS = 64;
export const H_ELEM_SIZE = 68;
export const H_N_ELEMS = 72;
/** Hash bucket locks (a u32 spin lock per bucket, apart from the heads lookups read). */
export const H_LOCKS = 76;
/**
 * The value's struct bpf_spin_lock offset + 1 (MapSpec.spinLock), 0 when it has none: a value
 * copy skips that word, and BPF_F_LOCK copies under it (vm/maps/as/value.ts).
 */
export const H_SPIN_LOCK = 80;
/**
 * The value's struct bpf_timer offset + 1 (MapSpec.timer), 0 when it has none: a value copy
 * leaves it alone (BPF_F_LOCK) or resets it, cancelling the timer (vm/maps/as/value.ts).
 */
export const H_TIMER = 84;
/** Bloom filters: nr_hash_funcs (map_extra's low 4 bits, 5 when 0) and the bit array's bitset_mask. */
export const H_BLOOM_HASHES = 88;
export const H_BLOOM_MASK = 92;
// mutable state
export const H_LOCK = 128;
export const H_SEQ = 132;
export const H_COUNT = 136;
export const H_HAND = 140;
/** u64 free-list head: low word element address (0 = empty), high word an ABA tag. */
export const H_FREE = 144;
export const H_ROOT = 152;
export const H_HEAD = 152;
export const H_TAIL = 156;
/** 160..191: scratch words of the runtime (LPM descent results), used under the map's lock. */
export const H_SCRATCH = 160;
/** Ring buffer positions (u64, as the kernel's unsigned long on 64-bit). */
export const H_CONSUMER_POS = 192;
export const H_PRODUCER_POS = 256;
export const H_PENDING_POS = 264;
export const HEADER_SIZE = 320;

// ---- hash element: [next | hash | free link | state | per-CPU value base | pad | key | value]
export const E_NEXT = 0;
export const E_HASH = 4;
export const E_FLINK = 8;
export const E_STATE = 12;
/** Per-CPU maps: address of CPU 0's value for this element. */
export const E_PCPU = 16;
export const E_KEY = 24;
/** E_STATE bits: linked into a bucket; referenced since the LRU clock hand last passed. */
export const ELEM_LINKED = 1;
export const ELEM_REF = 2;

// ---- LPM trie node: [child0 | child1 | prefixlen | flags | data | value] ------------------
export const N_CHILD0 = 0;
export const N_CHILD1 = 4;
export const N_PREFIXLEN = 8;
export const N_FLAGS = 12;
export const N_DATA = 16;
/** N_FLAGS: an intermediate node (no value), the kernel's LPM_TREE_NODE_FLAG_IM. */
export const NODE_INTERMEDIATE = 1;

// ---- ring buffer region: header page, then data (size bytes), then the wrap shadow ---------
export const RB_DATA = 4096;
