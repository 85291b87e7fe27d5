// The helpers of BPF_MAP_TYPE_CGROUP_ARRAY (vm/maps/cgroup-array.ts: a slot holds a cgroup id),
// over the machine's cgroup model (packet/skb-cgroup.ts):
//
//   skb_under_cgroup (33)            tc and the lwt types (net/core/filter.c): skb_to_full_sk(skb)
//                                    must be a full socket (-ENOENT; a test run's socket always is),
//                                    idx < max_entries (-E2BIG), the slot filled (-EAGAIN); then 1
//                                    when the socket's cgroup is the slot's or below it
//                                    (sk_under_cgroup_hierarchy), else 0. A test run's socket is in
//                                    the cgroup of the task running it (sk_alloc's cgroup_sk_alloc):
//                                    the model's.
//   current_task_under_cgroup (37)   every type (bpf_base_func_proto; kernel/bpf/helpers.c): the
//                                    same for the current task, the task that runs the programs —
//                                    the model's cgroup again.
//
// "The slot's or below it" is cgroup_is_descendant: the slot's id is on the model's path from the
// root down. Which types may call each: vm/verifier/helper-rules.ts (checked on 6.18 by loading
// each type); the map argument must be a CGROUP_ARRAY (map-rules.ts), as the kernel's
// check_map_func_compatibility says.

import { BpfError } from "../errors.js";
import { EAGAIN } from "../maps/abi.js";
import { CgroupArray } from "../maps/cgroup-array.js";
import type { MapSet } from "../maps/mapset.js";
import type { Cgroup } from "./packet/skb-cgroup.js";
import { E2BIG, errno } from "./packet/uapi.js";
import type { HelperDef } from "./registry.js";

/** skb_under_cgroup and current_task_under_cgroup over `maps`' CGROUP_ARRAYs and `cgroup`. */
export function cgroupArrayHelpers(maps: MapSet, cgroup: Cgroup): HelperDef[] {
  /** Is the model's cgroup under the cgroup in slot `idx` of `map`? 1 / 0, or -E2BIG / -EAGAIN. */
  const underSlot = (helper: string, mapReg: bigint, idxReg: bigint): bigint => {
    const array = maps.byAddress(Number(mapReg));
    if (!(array instanceof CgroupArray)) throw new BpfError(`bpf_${helper}: its map is not a cgroup array of this machine`);
    const idx = Number(idxReg & 0xffffffffn);
    if (idx >= array.maxEntries) return errno(E2BIG);
    const id = array.cgroupOf(idx);
    if (id === undefined) return errno(EAGAIN);
    return cgroup.path.includes(BigInt(id)) ? 1n : 0n;
  };
  return [
    {
      id: 33, name: "skb_under_cgroup", args: ["ptr_to_ctx", "const_map_ptr", "anything"], ret: "integer",
      impl: (_hctx, _skb, map, idx) => underSlot("skb_under_cgroup", map, idx),
    },
    {
      id: 37, name: "current_task_under_cgroup", args: ["const_map_ptr", "anything"], ret: "integer",
      impl: (_hctx, map, idx) => underSlot("current_task_under_cgroup", map, idx),
    },
  ];
}
