// BPF_MAP_TYPE_ARRAY, PERCPU_ARRAY, and the fd arrays PROG_ARRAY and CGROUP_ARRAY
// (kernel/bpf/arraymap.c).
// Value i lives at values + i * value_stride; a per-CPU array keeps one plane per CPU, CPU c's
// plane at values + c * cpu_stride. This layout is what the JIT inlines (MapDescriptor).

import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, BPF_MAP_TYPE_PERCPU_ARRAY, E2BIG, EBADF, EEXIST, EINVAL, ENOENT,
} from "../abi";
import {
  cpuStride, isAllCpus, maxEntries, mapType, ncpus, readPerCpu, values, valueSize, valueStride, writePerCpu,
} from "./header";
import { copyBytes } from "./bytes";
import { copyValue, hasSpinLock } from "./value";

@inline function slot(m: usize, index: u32): usize {
  return values(m) + index * valueStride(m);
}

/** Address of element `*key` (CPU `cpu`'s copy for a per-CPU array), or 0 past the end. */
export function arrayLookup(m: usize, key: usize, cpu: u32): usize {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return 0;
  if (mapType(m) != BPF_MAP_TYPE_PERCPU_ARRAY) return slot(m, index);
  if (isAllCpus(cpu)) return slot(m, index);
  if (cpu >= ncpus(m)) return 0;
  return slot(m, index) + cpu * cpuStride(m);
}

// array_map_update_elem: flags first, then the index, then NOEXIST (every element exists), then
// BPF_F_LOCK on a value without a bpf_spin_lock.
export function arrayUpdate(m: usize, key: usize, value: usize, flags: u64, cpu: u32): i32 {
  const mode = flags & ~(<u64>BPF_F_LOCK);
  if (mode > <u64>BPF_EXIST) return -EINVAL;
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  if (mode == <u64>BPF_NOEXIST) return -EEXIST;
  const locked = mode != flags;
  if (locked && !hasSpinLock(m)) return -EINVAL;
  if (mapType(m) == BPF_MAP_TYPE_PERCPU_ARRAY) {
    if (!isAllCpus(cpu) && cpu >= ncpus(m)) return -EINVAL;
    writePerCpu(m, slot(m, index), value, cpu, false);
  } else {
    copyValue(m, slot(m, index), value, locked, false);
  }
  return 0;
}

/** User-space lookup of a per-CPU array element into a ncpus-value buffer. */
export function arrayReadAll(m: usize, key: usize, out: usize): i32 {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -ENOENT;
  readPerCpu(m, slot(m, index), out);
  return 0;
}

// array_map_get_next_key: a missing or out-of-range key restarts at 0; the last index ends.
export function arrayGetNextKey(m: usize, key: usize, next: usize): i32 {
  const max = maxEntries(m);
  const index: u32 = key ? load<u32>(key) : max;
  if (index >= max) {
    store<u32>(next, 0);
    return 0;
  }
  if (index == max - 1) return -ENOENT;
  store<u32>(next, index + 1);
  return 0;
}

// ---- fd arrays: PROG_ARRAY and CGROUP_ARRAY ------------------------------------------------
// A slot holds an id standing for the kernel's fd, 0 = empty: a program id (read by tail calls)
// or a cgroup id (read by skb_under_cgroup / current_task_under_cgroup).

/** The program id in slot `index`, or 0 (empty or out of range): what bpf_tail_call reads. */
export function progArrayGet(m: usize, index: u32): u32 {
  if (index >= maxEntries(m)) return 0;
  return atomic.load<u32>(slot(m, index));
}

// bpf_fd_array_map_update_elem: only BPF_ANY; the id stands in for the kernel's fd (0: -EBADF).
export function fdArrayUpdate(m: usize, key: usize, value: usize, flags: u64): i32 {
  if (flags != <u64>BPF_ANY) return -EINVAL;
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  const id = load<u32>(value);
  if (id == 0) return -EBADF;
  atomic.store<u32>(slot(m, index), id);
  return 0;
}

// fd_array_map_delete_elem
export function fdArrayDelete(m: usize, key: usize): i32 {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  return atomic.xchg<u32>(slot(m, index), 0) ? 0 : -ENOENT;
}

/** User-space lookup of a PROG_ARRAY: the slot's address, or 0 when empty (the syscall's -ENOENT). */
export function progArrayLookupSys(m: usize, key: usize): usize {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return 0;
  return atomic.load<u32>(slot(m, index)) ? slot(m, index) : 0;
}
