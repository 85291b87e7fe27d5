// BPF_MAP_TYPE_DEVMAP and DEVMAP_HASH (kernel/bpf/devmap.c): slots hold a struct bpf_devmap_val
// (u32 ifindex, then with value_size 8 the u32 bpf_prog.id). A DEVMAP is an array of deletable
// slots (ifindex 0 = empty: no device has index 0), a DEVMAP_HASH a hash map (./htab.ts) keyed by
// u32. Nothing is attached: a slot only names the device bpf_redirect_map sends to.

import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, E2BIG, EEXIST, EINVAL } from "../abi";
import { maxEntries, values, valueSize, valueStride } from "./header";
import { htabUpdate } from "./htab";

@inline function slot(m: usize, index: u32): usize {
  return values(m) + index * valueStride(m);
}

// __dev_map_alloc_node: the ifindex must name a device (we have no device list, so only 0 is
// refused: a DEVMAP_HASH update with ifindex 0 is -EINVAL) and a bpf_prog.fd > 0 attaches an XDP program to the slot, which needs programs this
// runtime cannot attach: both -EINVAL, as the kernel answers a bad device or program. The stored
// bpf_prog.id is 0 (no program).
function checkValue(m: usize, value: usize): i32 {
  if (load<u32>(value) == 0) return -EINVAL;
  if (valueSize(m) >= 8 && load<i32>(value + 4) > 0) return -EINVAL;
  return 0;
}

/** Program and user-space lookup: the slot's bpf_devmap_val, or 0 when empty or out of range. */
export function devmapLookup(m: usize, key: usize): usize {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return 0;
  const at = slot(m, index);
  return atomic.load<u32>(at) ? at : 0;
}

// dev_map_update_elem: flags, then the index, then NOEXIST (every slot "exists"), then the value.
export function devmapUpdate(m: usize, key: usize, value: usize, flags: u64): i32 {
  if (flags > <u64>BPF_EXIST) return -EINVAL;
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  if (flags == <u64>BPF_NOEXIST) return -EEXIST;
  const at = slot(m, index);
  // __dev_map_update_elem: ifindex 0 stores no device (empties the slot), unless a program fd
  // comes with it ("can not specify fd if ifindex is 0").
  if (load<u32>(value) == 0) {
    if (valueSize(m) >= 8 && load<i32>(value + 4) > 0) return -EINVAL;
    atomic.store<u32>(at, 0);
    return 0;
  }
  const bad = checkValue(m, value);
  if (bad) return bad;
  if (valueSize(m) >= 8) store<u32>(at + 4, 0);
  atomic.store<u32>(at, load<u32>(value));
  return 0;
}

// dev_map_delete_elem: an index past the end is -EINVAL; an empty slot deletes fine.
export function devmapDelete(m: usize, key: usize): i32 {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -EINVAL;
  atomic.store<u32>(slot(m, index), 0);
  return 0;
}

// __dev_map_hash_update_elem: flags > BPF_EXIST → -EINVAL; NOEXIST on a present key → -EEXIST;
// BPF_EXIST is not checked (a missing key is inserted). The value is checked as for a DEVMAP and
// its bpf_prog.id stored as 0 (the caller's value buffer is staging or the program's stack copy).
export function devmapHashUpdate(m: usize, key: usize, value: usize, flags: u64, cpu: u32): i32 {
  if (flags > <u64>BPF_EXIST) return -EINVAL;
  const bad = checkValue(m, value);
  if (bad) return bad;
  if (valueSize(m) >= 8) store<u32>(value + 4, 0);
  return htabUpdate(m, key, value, flags == <u64>BPF_EXIST ? <u64>BPF_ANY : flags, cpu);
}
