// BPF_MAP_TYPE_CPUMAP (kernel/bpf/cpumap.c): slot i stands for CPU i. In the kernel an entry is
// a queue (qsize frames) and a kthread on that CPU that builds skbs from the frames
// bpf_redirect_map sends there, optionally after an XDP program of its own (bpf_cpumap_val's
// bpf_prog.fd, attach type BPF_XDP_CPUMAP). Here nothing runs on the other side: a slot holds
// its struct bpf_cpumap_val (u32 qsize, then with value_size 8 the u32 bpf_prog.id, always 0),
// qsize 0 = empty, and only says that redirect_map may send there (the run record names it).

import { BPF_EXIST, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENODEV, ENOMEM, EOVERFLOW } from "../abi";
import { maxEntries, ncpus, values, valueSize, valueStride } from "./header";

/** cpu_map_update_elem: "sanity limit on qsize". */
const QSIZE_MAX: u32 = 16384;

@inline function slot(m: usize, index: u32): usize {
  return values(m) + index * valueStride(m);
}

/** __cpu_map_lookup_elem: the entry's bpf_cpumap_val, or 0 when empty or out of range. */
export function cpumapLookup(m: usize, key: usize): usize {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return 0;
  const at = slot(m, index);
  return atomic.load<u32>(at) ? at : 0;
}

// cpu_map_update_elem, in the kernel's order: flags, the index, NOEXIST (every slot "exists"),
// qsize, then the CPU (a possible CPU: one of this machine's), then qsize 0 = delete. A
// bpf_prog.fd > 0 asks for a program on the entry; the kernel answers a descriptor that is not a
// BPF_XDP_CPUMAP program with -ENOMEM (__cpu_map_entry_alloc returns NULL), and this runtime
// runs no program there, so every fd > 0 gets that answer. qsize 0 ignores the fd, as there.
export function cpumapUpdate(m: usize, key: usize, value: usize, flags: u64): i32 {
  if (flags > <u64>BPF_EXIST) return -EINVAL;
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  if (flags == <u64>BPF_NOEXIST) return -EEXIST;
  const qsize = load<u32>(value);
  if (qsize > QSIZE_MAX) return -EOVERFLOW;
  if (index >= ncpus(m)) return -ENODEV;
  const at = slot(m, index);
  if (qsize == 0) {
    atomic.store<u32>(at, 0);
    return 0;
  }
  if (valueSize(m) >= 8 && load<i32>(value + 4) > 0) return -ENOMEM;
  if (valueSize(m) >= 8) store<u32>(at + 4, 0);
  atomic.store<u32>(at, qsize);
  return 0;
}

// cpu_map_delete_elem: an index past the end is -EINVAL; an empty slot deletes fine.
export function cpumapDelete(m: usize, key: usize): i32 {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -EINVAL;
  atomic.store<u32>(slot(m, index), 0);
  return 0;
}
