// Map definitions and what BPF_MAP_CREATE answers (Linux 6.18, x86-64, as root): 0 = created,
// else the errno. Shared by spec-rules.test.ts (our rules, no kernel needed) and
// spec-kernel.test.ts (the same list against bpf() where it is available), so a rule that
// drifts from the kernel fails one of the two. Found with a sweep of 8,708 fixed and 56,000
// random definitions (types × sizes × max_entries × flags).

import * as abi from "../../vm/maps/abi.js";

export interface SpecCase {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** BPF_MAP_CREATE's map_extra (a BLOOM_FILTER's number of hash functions), when not 0. */
  readonly mapExtra?: number;
  /** 0: the kernel creates it; else its errno. */
  readonly errno: number;
  /** What our refusal names (field and rule). */
  readonly says?: RegExp;
}

const { EINVAL, E2BIG, ENOTSUPP } = abi;
const F = {
  NO_PREALLOC: abi.BPF_F_NO_PREALLOC, NO_COMMON_LRU: abi.BPF_F_NO_COMMON_LRU, NUMA: abi.BPF_F_NUMA_NODE,
  RDONLY: abi.BPF_F_RDONLY, WRONLY: abi.BPF_F_WRONLY, ZERO_SEED: abi.BPF_F_ZERO_SEED, RDONLY_PROG: abi.BPF_F_RDONLY_PROG,
  WRONLY_PROG: abi.BPF_F_WRONLY_PROG, MMAPABLE: abi.BPF_F_MMAPABLE, PRESERVE_ELEMS: abi.BPF_F_PRESERVE_ELEMS,
  INNER_MAP: abi.BPF_F_INNER_MAP, STACK_BUILD_ID: 1 << 5, CLONE: 1 << 9, TOKEN_FD: abi.BPF_F_TOKEN_FD,
};
const HASH = abi.BPF_MAP_TYPE_HASH, ARRAY = abi.BPF_MAP_TYPE_ARRAY, PROG_ARRAY = abi.BPF_MAP_TYPE_PROG_ARRAY;
const CG_ARRAY = abi.BPF_MAP_TYPE_CGROUP_ARRAY;
const PERF = abi.BPF_MAP_TYPE_PERF_EVENT_ARRAY, PCPU_HASH = abi.BPF_MAP_TYPE_PERCPU_HASH, PCPU_ARRAY = abi.BPF_MAP_TYPE_PERCPU_ARRAY;
const LRU = abi.BPF_MAP_TYPE_LRU_HASH, LRU_PCPU = abi.BPF_MAP_TYPE_LRU_PERCPU_HASH, LPM = abi.BPF_MAP_TYPE_LPM_TRIE;
const DEVMAP = abi.BPF_MAP_TYPE_DEVMAP, QUEUE = abi.BPF_MAP_TYPE_QUEUE, STACK = abi.BPF_MAP_TYPE_STACK;
const DEVMAP_HASH = abi.BPF_MAP_TYPE_DEVMAP_HASH, RINGBUF = abi.BPF_MAP_TYPE_RINGBUF;
const CPUMAP = abi.BPF_MAP_TYPE_CPUMAP, XSKMAP = abi.BPF_MAP_TYPE_XSKMAP;
const CG_STORAGE = abi.BPF_MAP_TYPE_CGROUP_STORAGE, PCPU_CG_STORAGE = abi.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
const BLOOM = abi.BPF_MAP_TYPE_BLOOM_FILTER;

const c = (type: number, keySize: number, valueSize: number, maxEntries: number, flags: number, errno: number, says?: RegExp): SpecCase =>
  ({ type, keySize, valueSize, maxEntries, flags, errno, ...(says ? { says } : {}) });

export const SPEC_CASES: readonly SpecCase[] = [
  // ARRAY: u32 keys, values 1..INT_MAX, max_entries > 0, the access flags, MMAPABLE, INNER_MAP.
  c(ARRAY, 4, 8, 4, 0, 0),
  c(ARRAY, 4, 8, 0, 0, EINVAL, /max_entries must not be 0/),
  c(ARRAY, 8, 8, 4, 0, EINVAL, /key_size must be 4, got 8/),
  c(ARRAY, 4, 0, 4, 0, EINVAL, /value_size must not be 0/),
  c(ARRAY, 4, 8, 4, F.RDONLY_PROG, 0),
  c(ARRAY, 4, 8, 4, F.WRONLY_PROG, 0),
  c(ARRAY, 4, 8, 4, F.RDONLY, 0),
  c(ARRAY, 4, 8, 4, F.WRONLY, 0),
  c(ARRAY, 4, 8, 4, F.RDONLY | F.RDONLY_PROG, 0),
  c(ARRAY, 4, 8, 4, F.MMAPABLE, 0),
  c(ARRAY, 4, 8, 4, F.INNER_MAP, 0),
  c(ARRAY, 4, 8, 4, F.NUMA, 0),
  c(ARRAY, 4, 8, 4, F.MMAPABLE | F.RDONLY_PROG, 0),
  c(ARRAY, 4, 8, 4, F.RDONLY_PROG | F.WRONLY_PROG, EINVAL, /BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together/),
  c(ARRAY, 4, 8, 4, F.RDONLY | F.WRONLY, EINVAL, /BPF_F_RDONLY and BPF_F_WRONLY together/),
  c(ARRAY, 4, 8, 4, F.NO_PREALLOC, EINVAL, /map_flags BPF_F_NO_PREALLOC not accepted/),
  c(ARRAY, 4, 8, 4, F.ZERO_SEED, EINVAL, /BPF_F_ZERO_SEED not accepted/),
  c(ARRAY, 4, 8, 4, F.PRESERVE_ELEMS, EINVAL, /only a PERF_EVENT_ARRAY takes it/),
  c(ARRAY, 4, 8, 4, F.TOKEN_FD, EINVAL, /BPF_F_TOKEN_FD/),
  c(ARRAY, 4, 8, 4, 1 << 19, EINVAL, /map_flags 0x80000 not accepted/),
  // PERCPU_ARRAY: no NUMA node, no MMAPABLE / INNER_MAP, values up to 32 KiB.
  c(PCPU_ARRAY, 4, 8, 4, F.RDONLY_PROG, 0),
  c(PCPU_ARRAY, 4, 32768, 4, 0, 0),
  c(PCPU_ARRAY, 4, 32761, 4, 0, 0),
  c(PCPU_ARRAY, 4, 32769, 4, 0, E2BIG, /a per-CPU value is at most 32768 bytes/),
  c(PCPU_ARRAY, 4, 8, 4, F.NUMA, EINVAL, /BPF_F_NUMA_NODE on a per-CPU array/),
  c(PCPU_ARRAY, 4, 8, 4, F.MMAPABLE, EINVAL, /only a plain ARRAY takes them/),
  // PROG_ARRAY / PERF_EVENT_ARRAY: u32 fds, and programs get no read/write-only limits.
  c(PROG_ARRAY, 4, 4, 4, F.RDONLY | F.NUMA, 0),
  c(PROG_ARRAY, 4, 8, 4, 0, EINVAL, /value_size must be 4/),
  c(PROG_ARRAY, 4, 4, 4, F.RDONLY_PROG, EINVAL, /not supported for maps of fds/),
  c(PROG_ARRAY, 4, 4, 4, F.PRESERVE_ELEMS, EINVAL, /only a PERF_EVENT_ARRAY/),
  c(PERF, 4, 4, 4, F.PRESERVE_ELEMS | F.WRONLY, 0),
  c(PERF, 4, 4, 4, F.WRONLY_PROG, EINVAL, /not supported for maps of fds/),
  c(PERF, 4, 4, 4, F.MMAPABLE, EINVAL, /only a plain ARRAY/),
  // CGROUP_ARRAY: an fd array too (cgroup fds).
  c(CG_ARRAY, 4, 4, 1, 0, 0),
  c(CG_ARRAY, 4, 4, 4, F.RDONLY | F.NUMA, 0),
  c(CG_ARRAY, 4, 4, 4, F.WRONLY, 0),
  c(CG_ARRAY, 4, 8, 4, 0, EINVAL, /value_size must be 4/),
  c(CG_ARRAY, 8, 4, 4, 0, EINVAL, /key_size must be 4/),
  c(CG_ARRAY, 4, 4, 0, 0, EINVAL, /max_entries/),
  c(CG_ARRAY, 4, 4, 4, F.RDONLY_PROG, EINVAL, /not supported for maps of fds/),
  c(CG_ARRAY, 4, 4, 4, F.WRONLY_PROG, EINVAL, /not supported for maps of fds/),
  c(CG_ARRAY, 4, 4, 4, F.PRESERVE_ELEMS, EINVAL, /only a PERF_EVENT_ARRAY/),
  c(CG_ARRAY, 4, 4, 4, F.MMAPABLE, EINVAL, /only a plain ARRAY/),
  c(CG_ARRAY, 4, 4, 4, F.NO_PREALLOC, EINVAL),
  // Hash maps: keys and values of any size below KMALLOC_MAX_SIZE together (no 512-byte limit).
  c(HASH, 4, 8, 16, 0, 0),
  c(HASH, 513, 8, 16, 0, 0),
  c(HASH, 4096, 1, 16, F.NO_PREALLOC, 0),
  c(HASH, 4194000, 255, 1, F.NO_PREALLOC, 0),
  c(HASH, 4194000, 256, 1, F.NO_PREALLOC, E2BIG, /key_size \+ value_size \(4194000 \+ 256\) is too large/),
  c(HASH, 0, 8, 16, 0, EINVAL, /key_size must not be 0/),
  c(HASH, 4, 0, 16, 0, EINVAL, /value_size must not be 0/),
  c(HASH, 4, 8, 0, 0, EINVAL, /max_entries must not be 0/),
  c(HASH, 4, 8, 16, F.RDONLY_PROG | F.NO_PREALLOC | F.ZERO_SEED | F.NUMA, 0),
  c(HASH, 4, 8, 16, F.WRONLY_PROG | F.WRONLY, 0),
  c(HASH, 4, 8, 16, F.NO_COMMON_LRU, EINVAL, /only LRU hash maps take it/),
  c(HASH, 4, 8, 16, F.MMAPABLE, EINVAL, /BPF_F_MMAPABLE not accepted/),
  c(HASH, 4, 8, 16, F.INNER_MAP, EINVAL, /BPF_F_INNER_MAP not accepted/),
  c(HASH, 4, 8, (1 << 27) + 1, F.NO_PREALLOC, E2BIG, /a hash map has at most 134217728/),
  c(PCPU_HASH, 4, 8, 16, F.NUMA, EINVAL, /BPF_F_NUMA_NODE on a per-CPU map/),
  c(PCPU_HASH, 4, 32769, 16, 0, E2BIG, /per-CPU value is at most 32768/),
  c(PCPU_HASH, 4, 8, 16, F.RDONLY_PROG, 0),
  c(LRU, 4, 8, 16, F.NO_COMMON_LRU | F.WRONLY_PROG, 0),
  c(LRU, 4, 8, 16, F.NUMA, 0),
  c(LRU, 4, 8, 16, F.NO_COMMON_LRU | F.NUMA, EINVAL, /BPF_F_NUMA_NODE on an LRU map with per-CPU lists/),
  c(LRU, 4, 8, 16, F.NO_PREALLOC, ENOTSUPP, /an LRU map is always preallocated.*-ENOTSUPP/),
  c(LRU_PCPU, 4, 8, 16, F.NO_COMMON_LRU, 0),
  c(LRU_PCPU, 4, 8, 16, F.NUMA, EINVAL, /BPF_F_NUMA_NODE on a per-CPU map/),
  // LPM trie: BPF_F_NO_PREALLOC required, 5..260-byte keys, values below 4 MiB - 280.
  c(LPM, 8, 8, 16, F.NO_PREALLOC | F.RDONLY_PROG, 0),
  c(LPM, 8, 8, 16, 0, EINVAL, /needs map_flags BPF_F_NO_PREALLOC/),
  c(LPM, 4, 8, 16, F.NO_PREALLOC, EINVAL, /key_size 4 is too small: must be 5..260/),
  c(LPM, 261, 8, 16, F.NO_PREALLOC, EINVAL, /key_size 261 is too large/),
  c(LPM, 8, 4194024, 1, F.NO_PREALLOC, 0),
  c(LPM, 8, 4194025, 1, F.NO_PREALLOC, EINVAL, /value_size 4194025 is too large: must be 1..4194024/),
  c(LPM, 8, 8, 16, F.NO_PREALLOC | F.ZERO_SEED, EINVAL, /BPF_F_ZERO_SEED not accepted/),
  // QUEUE / STACK: no key, values up to KMALLOC_MAX_SIZE.
  c(QUEUE, 0, 8, 16, F.RDONLY_PROG, 0),
  c(STACK, 0, 8, 16, F.WRONLY | F.NUMA, 0),
  c(QUEUE, 4, 8, 16, 0, EINVAL, /key_size must be 0, got 4/),
  c(QUEUE, 0, 4194305, 1, 0, E2BIG, /value_size 4194305 is too large/),
  c(STACK, 0, 8, 16, F.NO_PREALLOC, EINVAL, /BPF_F_NO_PREALLOC not accepted/),
  // BLOOM_FILTER: no key, values up to KMALLOC_MAX_SIZE, BLOOM_CREATE_FLAG_MASK, map_extra 0..15.
  c(BLOOM, 0, 4, 8, 0, 0),
  c(BLOOM, 0, 6, 100, F.ZERO_SEED | F.RDONLY_PROG | F.NUMA, 0),
  c(BLOOM, 0, 4194304, 1, F.WRONLY, 0),
  { ...c(BLOOM, 0, 4, 8, 0, 0), mapExtra: 15 },
  { ...c(BLOOM, 0, 4, 8, 0, EINVAL, /map_extra 16 is too large/), mapExtra: 16 },
  c(BLOOM, 4, 4, 8, 0, EINVAL, /key_size must be 0, got 4/),
  c(BLOOM, 0, 0, 8, 0, EINVAL, /value_size must not be 0/),
  c(BLOOM, 0, 4, 0, 0, EINVAL, /max_entries must not be 0/),
  c(BLOOM, 0, 4194305, 1, 0, E2BIG, /value_size 4194305 is too large/),
  c(BLOOM, 0, 4, 8, F.NO_PREALLOC, EINVAL, /BPF_F_NO_PREALLOC not accepted/),
  c(BLOOM, 0, 4, 8, F.MMAPABLE, EINVAL, /BPF_F_MMAPABLE not accepted/),
  c(BLOOM, 0, 4, 8, F.RDONLY_PROG | F.WRONLY_PROG, EINVAL, /BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together/),
  // RINGBUF: a power-of-2 number of pages, BPF_F_NUMA_NODE only.
  c(RINGBUF, 0, 0, 8192, F.NUMA, 0),
  c(RINGBUF, 0, 0, 6144, 0, EINVAL, /must be a power of 2 and a multiple of 4096/),
  c(RINGBUF, 0, 0, 4096, F.RDONLY_PROG, EINVAL, /BPF_F_RDONLY_PROG not accepted/),
  c(RINGBUF, 0, 0, 4096, F.RDONLY, EINVAL, /BPF_F_RDONLY not accepted/),
  // DEVMAP / DEVMAP_HASH: a u32 key, a 4- or 8-byte value, user-space access flags only.
  c(DEVMAP, 4, 8, 4, F.RDONLY, 0),
  c(DEVMAP, 4, 8, 4, F.RDONLY_PROG, EINVAL, /BPF_F_RDONLY_PROG not accepted/),
  c(DEVMAP_HASH, 4, 6, 4, 0, EINVAL, /value_size must be 4 \(ifindex\) or 8/),
  c(DEVMAP_HASH, 4, 4, 2 ** 31 + 1, 0, EINVAL, /a DEVMAP_HASH has at most 2147483648/),
  c(DEVMAP_HASH, 4, 4, 4, F.STACK_BUILD_ID | F.CLONE, EINVAL, /map_flags 0x220 not accepted/),
  // CPUMAP: a u32 key, a u32 qsize or struct bpf_cpumap_val, BPF_F_NUMA_NODE only, max_entries
  // up to NR_CPUS (256 on this kernel: -E2BIG past it).
  c(CPUMAP, 4, 4, 4, 0, 0),
  c(CPUMAP, 4, 8, 256, F.NUMA, 0),
  c(CPUMAP, 4, 8, 257, 0, E2BIG, /a CPUMAP has at most NR_CPUS \(256\)/),
  c(CPUMAP, 4, 8, 0, 0, EINVAL, /max_entries must not be 0/),
  c(CPUMAP, 8, 8, 4, 0, EINVAL, /key_size must be 4, got 8/),
  c(CPUMAP, 4, 12, 4, 0, EINVAL, /value_size must be 4 \(qsize\) or 8/),
  c(CPUMAP, 4, 0, 4, 0, EINVAL, /value_size must be 4 \(qsize\) or 8/),
  c(CPUMAP, 4, 8, 4, F.RDONLY, EINVAL, /BPF_F_RDONLY not accepted/),
  c(CPUMAP, 4, 8, 4, F.WRONLY, EINVAL, /BPF_F_WRONLY not accepted/),
  c(CPUMAP, 4, 8, 4, F.RDONLY_PROG, EINVAL, /BPF_F_RDONLY_PROG not accepted/),
  c(CPUMAP, 4, 8, 4, F.NO_PREALLOC, EINVAL, /BPF_F_NO_PREALLOC not accepted/),
  c(CPUMAP, 4, 8, 4, F.INNER_MAP, EINVAL, /BPF_F_INNER_MAP not accepted/),
  // XSKMAP: u32 key and value (a socket fd), NUMA and the user-space access flags.
  c(XSKMAP, 4, 4, 4, 0, 0),
  c(XSKMAP, 4, 4, 1 << 20, 0, 0),
  c(XSKMAP, 4, 4, 4, F.NUMA | F.RDONLY, 0),
  c(XSKMAP, 4, 4, 4, F.WRONLY, 0),
  c(XSKMAP, 4, 4, 0, 0, EINVAL, /max_entries must not be 0/),
  c(XSKMAP, 0, 4, 4, 0, EINVAL, /key_size must be 4, got 0/),
  c(XSKMAP, 4, 8, 4, 0, EINVAL, /value_size must be 4, got 8/),
  c(XSKMAP, 4, 4, 4, F.RDONLY_PROG, EINVAL, /BPF_F_RDONLY_PROG not accepted/),
  c(XSKMAP, 4, 4, 4, F.WRONLY_PROG, EINVAL, /BPF_F_WRONLY_PROG not accepted/),
  c(XSKMAP, 4, 4, 4, F.NO_PREALLOC, EINVAL, /BPF_F_NO_PREALLOC not accepted/),
  c(XSKMAP, 4, 4, 4, F.ZERO_SEED | F.MMAPABLE, EINVAL, /not accepted/),
  // CGROUP_STORAGE / PERCPU_CGROUP_STORAGE: a struct bpf_cgroup_storage_key or u64 key, max_entries
  // 0, values up to 65,407 bytes (32 KiB per CPU), NUMA and the access flags; checked in that order.
  ...[CG_STORAGE, PCPU_CG_STORAGE].flatMap((t) => [
    c(t, 16, 8, 0, 0, 0),
    c(t, 8, 8, 0, 0, 0),
    c(t, 16, 4096, 0, F.NUMA | F.RDONLY, 0),
    c(t, 16, 8, 0, F.WRONLY | F.RDONLY_PROG, 0),
    c(t, 16, 32768, 0, 0, 0),
    c(t, 12, 8, 0, 0, EINVAL, /key_size must be 16 \(struct bpf_cgroup_storage_key\) or 8/),
    c(t, 4, 8, 0, 0, EINVAL, /key_size must be 16/),
    c(t, 16, 0, 0, 0, EINVAL, /value_size must not be 0/),
    c(t, 16, 8, 1, 0, EINVAL, /max_entries must be 0/),
    c(t, 16, 65408, 0, 0, E2BIG, /value_size 65408 is too large/),
    c(t, 12, 65408, 0, 0, EINVAL, /key_size must be 16/),
    c(t, 16, 65408, 1, 0, E2BIG, /value_size 65408 is too large/),
    c(t, 16, 8, 1, F.MMAPABLE, EINVAL, /BPF_F_MMAPABLE not accepted/),
    c(t, 16, 8, 0, F.RDONLY_PROG | F.WRONLY_PROG, EINVAL, /BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together/),
    c(t, 16, 8, 0, F.NO_PREALLOC, EINVAL, /BPF_F_NO_PREALLOC not accepted/),
  ]),
  c(CG_STORAGE, 16, 65407, 0, 0, 0),
  c(CG_STORAGE, 16, 32769, 0, 0, 0),
  c(PCPU_CG_STORAGE, 16, 32769, 0, 0, E2BIG, /value_size 32769 is too large: at most 32768/),
  c(PCPU_CG_STORAGE, 16, 65407, 0, 0, E2BIG, /too large/),
];
