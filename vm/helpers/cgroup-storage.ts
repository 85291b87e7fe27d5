// bpf_get_local_storage (81; cg_skb_func_proto among our types): the storage of the cgroup the
// program runs for, in its CGROUP_STORAGE or PERCPU_CGROUP_STORAGE map (kernel/bpf/cgroup.c,
// local_storage.c). The verifier proves the map is one of those and the flags 0; the helper
// cannot fail (RET_PTR_TO_MAP_VALUE).
//
// Which storage: the kernel's run context names the storages of the attachment that runs the
// program. Nothing is attached here; the model is BPF_PROG_TEST_RUN's, the kernel engine's
// oracle: each test run allocates its program's storages zeroed (bpf_cgroup_storages_alloc) and
// frees them after, never linking them into the map. So each run here has its own zeroed
// storage, which user space never sees (vm/maps/as/cgroup-storage.ts). It lives in the map's
// plane for the running CPU (vm/maps/plan.ts): runs on different CPUs are different test runs,
// even for the shared type. It is zeroed at the run's first call, which the run record tells
// (REC_CGROUP_STORAGE: the runner clears the record before each packet).
//
// A run has one storage of each type: the kernel lets a program use one map of each
// (resolve_pseudo_ldimm64: "only one cgroup storage of each type is allowed"), and a tail call's
// target the same one or none (bpf_prog_map_compatible, not checked here: a target with another
// map would start that map's storage afresh).

import type { MapSet } from "../maps/mapset.js";
import { MapType } from "../maps/types.js";
import type { Layout } from "../memory/layout.js";
import { REC_CGROUP_STORAGE, REC_PERCPU_CGROUP_STORAGE } from "../runtime/record-abi.js";
import { MapChecks } from "./maps.js";
import { memOf } from "./packet/memory.js";
import type { HelperDef } from "./registry.js";

export function cgroupStorageHelpers(maps: MapSet, layout: Layout): HelperDef[] {
  const checks = new MapChecks(maps);
  return [{
    id: 81,
    name: "get_local_storage",
    args: ["const_map_ptr", "anything"],
    ret: "ptr_to_map_value",
    impl: (hctx, r1) => {
      const map = checks.map(r1, 81, "get_local_storage");
      const { view, bytes } = memOf(hctx.memory);
      const storage = map.values + hctx.cpu * map.cpuStride;
      const mark = layout.cpu(hctx.cpu).scratch + (map.type === MapType.PerCpuCgroupStorage ? REC_PERCPU_CGROUP_STORAGE : REC_CGROUP_STORAGE);
      if (view.getUint32(mark, true) !== map.address) {
        bytes.fill(0, storage, storage + map.valueSize);
        view.setUint32(mark, map.address, true);
      }
      return BigInt(storage);
    },
  }];
}
