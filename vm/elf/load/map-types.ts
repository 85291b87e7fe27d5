// Map type names and flags for messages and `ebpf-wasm maps`.

export { anyMapTypeName } from "../../maps/kernel-map-types.js";

export const BPF_MAP_TYPE_ARRAY = 2;
export const BPF_MAP_TYPE_PROG_ARRAY = 3;
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;

/** map_flags bits (linux/bpf.h) by name, for printing. */
export const MAP_FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [1 << 0, "BPF_F_NO_PREALLOC"], [1 << 1, "BPF_F_NO_COMMON_LRU"], [1 << 2, "BPF_F_NUMA_NODE"],
  [1 << 3, "BPF_F_RDONLY"], [1 << 4, "BPF_F_WRONLY"], [1 << 5, "BPF_F_STACK_BUILD_ID"], [1 << 6, "BPF_F_ZERO_SEED"],
  [1 << 7, "BPF_F_RDONLY_PROG"], [1 << 8, "BPF_F_WRONLY_PROG"], [1 << 9, "BPF_F_CLONE"], [1 << 10, "BPF_F_MMAPABLE"],
  [1 << 11, "BPF_F_PRESERVE_ELEMS"], [1 << 12, "BPF_F_INNER_MAP"], [1 << 13, "BPF_F_LINK"],
  [1 << 14, "BPF_F_PATH_FD"], [1 << 15, "BPF_F_VTYPE_BTF_OBJ_FD"], [1 << 16, "BPF_F_TOKEN_FD"],
  [1 << 17, "BPF_F_SEGV_ON_FAULT"], [1 << 18, "BPF_F_NO_USER_CONV"],
];

/** "BPF_F_NO_PREALLOC|BPF_F_ZERO_SEED", or "0". */
export function mapFlagsText(flags: number): string {
  if (flags === 0) return "0";
  const names = MAP_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  const known = MAP_FLAG_NAMES.reduce((acc, [bit]) => acc | bit, 0);
  const rest = flags & ~known;
  if (rest) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names.join("|");
}
