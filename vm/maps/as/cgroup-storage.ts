// BPF_MAP_TYPE_CGROUP_STORAGE / PERCPU_CGROUP_STORAGE from user space (kernel/bpf/local_storage.c).
// The kernel keeps one storage per (cgroup, attach type) a program is attached to and links it
// into the map, where user space finds it by struct bpf_cgroup_storage_key. Nothing is attached
// to a cgroup here (as in BPF_PROG_TEST_RUN, whose storage is never linked), so the map holds no
// storage user space could name: a lookup finds nothing (sys_lookup's default), and these answer
// as the kernel's operations do on a map with no storage linked. Programs reach their run's
// storage through bpf_get_local_storage (vm/helpers/cgroup-storage.ts).

import { BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, EINVAL, ENOENT } from "../abi";

/** cgroup_storage_update_elem: its flag checks, then no storage for the key (-ENOENT). */
export function cgroupStorageUpdate(flags: u64): i32 {
  if ((flags & ~(<u64>BPF_F_LOCK)) > <u64>BPF_EXIST || (flags & <u64>BPF_NOEXIST) != 0) return -EINVAL;
  return -ENOENT;
}

/** cgroup_storage_get_next_key: the map's list of storages is empty (-ENOENT, with or without a key). */
export function cgroupStorageGetNextKey(): i32 {
  return -ENOENT;
}
