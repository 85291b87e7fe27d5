// BPF_MAP_TYPE_ARRAY_OF_MAPS and HASH_OF_MAPS (kernel/bpf/arraymap.c, hashtab.c, map_in_map.c).
// A slot (array) or an element's u32 value (hash) holds the inner map's header address: the map
// pointer a program then passes to the map helpers. A program's lookup answers that pointer
// itself, as array_of_map_lookup_elem / htab_of_map_lookup_elem return the inner struct bpf_map *
// (NULL for an empty slot or a missing key); only user space changes the slots (the verifier
// lets programs look up, nothing else: check_map_func_compatibility).
//
// User space names the inner map by fd; the TypeScript side (../map-of-maps.ts) turns it into
// the address, or into INNER_BAD_FD / INNER_INCOMPATIBLE, which the updates below answer in the
// kernel's order (bpf_fd_array_map_update_elem: flags, index, then bpf_map_fd_get_ptr;
// bpf_fd_htab_map_update_elem: bpf_map_fd_get_ptr, then the hash update and its flags).

import { BPF_ANY, E2BIG, EBADF, EINVAL, ENOENT, INNER_BAD_FD, INNER_INCOMPATIBLE } from "../abi";
import { maxEntries, values, valueStride } from "./header";
import { htabLookupHash, htabUpdate } from "./htab";

@inline function slot(m: usize, index: u32): usize {
  return values(m) + index * valueStride(m);
}

/** bpf_map_fd_get_ptr's answer for a value user space wrote: 0 (a map) or -errno. */
@inline function innerError(value: usize): i32 {
  const v = load<u32>(value);
  if (v == INNER_BAD_FD) return -EBADF;
  if (v == INNER_INCOMPATIBLE) return -EINVAL;
  return 0;
}

/** A program's lookup: the inner map's pointer, or 0 (empty slot, index past the end). */
export function arrayOfMapsLookup(m: usize, key: usize): usize {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return 0;
  return atomic.load<u32>(slot(m, index));
}

/** User-space lookup: the slot's address (it holds the inner map's address), 0 when empty. */
export function arrayOfMapsLookupSys(m: usize, key: usize): usize {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return 0;
  return atomic.load<u32>(slot(m, index)) ? slot(m, index) : 0;
}

// bpf_fd_array_map_update_elem: only BPF_ANY, then the index, then the inner map.
export function arrayOfMapsUpdate(m: usize, key: usize, value: usize, flags: u64): i32 {
  if (flags != <u64>BPF_ANY) return -EINVAL;
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  const bad = innerError(value);
  if (bad) return bad;
  atomic.store<u32>(slot(m, index), load<u32>(value));
  return 0;
}

// fd_array_map_delete_elem
export function arrayOfMapsDelete(m: usize, key: usize): i32 {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  return atomic.xchg<u32>(slot(m, index), 0) ? 0 : -ENOENT;
}

/** A program's lookup of a HASH_OF_MAPS: the inner map's pointer, or 0. */
export function hashOfMapsLookup(m: usize, key: usize): usize {
  const value = htabLookupHash(m, key, true);
  return value ? <usize>atomic.load<u32>(value) : 0;
}

// bpf_fd_htab_map_update_elem: the inner map first, then htab_map_update_elem's flags.
export function hashOfMapsUpdate(m: usize, key: usize, value: usize, flags: u64, cpu: u32): i32 {
  const bad = innerError(value);
  if (bad) return bad;
  return htabUpdate(m, key, value, flags, cpu);
}
