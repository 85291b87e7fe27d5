// Names of every enum bpf_map_type (linux/bpf.h), so that map errors and `ebpf-wasm maps` can
// name a map type the runtime does not implement (types.ts names only the ones it has).

const NAMES: readonly string[] = [
  "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array", "stack_trace",
  "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap",
  "cpumap", "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack",
  "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
  "user_ringbuf", "cgrp_storage", "arena",
];

/** "hash", "devmap", ... as bpftool prints them; unknown numbers as "type N". */
export function anyMapTypeName(type: number): string {
  return NAMES[type] ?? `type ${type}`;
}
