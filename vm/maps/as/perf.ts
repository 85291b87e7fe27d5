// BPF_MAP_TYPE_PERF_EVENT_ARRAY (kernel/bpf/arraymap.c perf_event_fd_array_map_ops): slot i holds
// the perf event user space opened for it. The kernel stores a perf event fd; here user space
// stores the CPU the event is open on, kept as cpu + 1 so that 0 is an empty slot. The records
// themselves go to the machine's PerfEventSink (vm/helpers/trace.ts), per CPU, as perf_buffer
// reads them; this map only says which slots are open and on which CPU.

import { BPF_ANY, E2BIG, EINVAL, ENOENT } from "../abi";
import { maxEntries, ncpus, values, valueStride } from "./header";

@inline function slot(m: usize, index: u32): usize {
  return values(m) + index * valueStride(m);
}

// bpf_fd_array_map_update_elem: only BPF_ANY, index < max_entries; the "fd" is a CPU number.
export function perfArrayUpdate(m: usize, key: usize, value: usize, flags: u64): i32 {
  if (flags != <u64>BPF_ANY) return -EINVAL;
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  const cpu = load<u32>(value);
  if (cpu >= ncpus(m)) return -EINVAL; // perf_event_open on a CPU that does not exist
  atomic.store<u32>(slot(m, index), cpu + 1);
  return 0;
}

// fd_array_map_delete_elem
export function perfArrayDelete(m: usize, key: usize): i32 {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  return atomic.xchg<u32>(slot(m, index), 0) ? 0 : -ENOENT;
}

/** User-space lookup: the slot (holding cpu + 1) or 0 when empty. */
export function perfArrayLookupSys(m: usize, key: usize): usize {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return 0;
  return atomic.load<u32>(slot(m, index)) ? slot(m, index) : 0;
}

/**
 * __bpf_perf_event_output's slot checks: -E2BIG past max_entries, -ENOENT for an empty slot,
 * else the CPU the slot's event is open on (the caller compares it with the running CPU).
 */
export function perfArraySlot(m: usize, index: u32): i64 {
  if (index >= maxEntries(m)) return -E2BIG;
  const v = atomic.load<u32>(slot(m, index));
  return v ? <i64>(v - 1) : -ENOENT;
}
