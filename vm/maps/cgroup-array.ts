// The user-space side of a BPF_MAP_TYPE_CGROUP_ARRAY (kernel/bpf/arraymap.c
// cgroup_array_map_ops). In the kernel user space stores a cgroup v2 directory's fd in slot i,
// and bpf_skb_under_cgroup / bpf_current_task_under_cgroup ask whether a socket or the current
// task is in that cgroup or below it. There are no fds here: a slot takes the cgroup's id (its
// cgroup_id, the inode number of its directory: a nonzero u32, ./as/array.ts fdArrayUpdate), as a
// PROG_ARRAY slot takes a program id. As in the kernel, user space cannot look a slot up
// (bpf_fd_array_map_lookup_elem without map_fd_sys_lookup_elem: -ENOTSUPP); `cgroupOf` is this
// runtime's own view, for the helpers and for reports.

import * as abi from "./abi.js";
import { MapError } from "./errors.js";
import { BpfMap } from "./map.js";
import type { MapBytes } from "./codec.js";

export class CgroupArray extends BpfMap {
  /** BPF_MAP_LOOKUP_ELEM: always -ENOTSUPP for a CGROUP_ARRAY. */
  override lookup(_key: MapBytes): Uint8Array | undefined {
    throw new MapError(this.name, "lookup", -abi.ENOTSUPP);
  }

  override has(_key: MapBytes): boolean {
    throw new MapError(this.name, "lookup", -abi.ENOTSUPP);
  }

  /** The cgroup id in slot `index`, or undefined when the slot is empty or out of range. */
  cgroupOf(index: number): number | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) return undefined;
    const id = this.view.dv.getUint32(this.descriptor.values + index * this.descriptor.valueStride, true);
    return id === 0 ? undefined : id;
  }
}
