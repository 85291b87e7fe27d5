// The current task's cgroup v2 ids (kernel/bpf/helpers.c; bpf_base_func_proto under CAP_BPF and
// CONFIG_CGROUPS, so every program type: checked on 6.18 by loading each into socket_filter,
// sched_cls, xdp, cgroup_skb and the lwt types):
//
//   get_current_cgroup_id (80)            cgroup_id(task_dfl_cgroup(current))
//   get_current_ancestor_cgroup_id (123)  the id of that cgroup's ancestor at `level` (an int: 0 the
//                                         root, the cgroup's own level its id; 0 for a negative
//                                         level or one below the cgroup, as cgroup_ancestor)
//
// Which task is "current": the one of the machine's cgroup model (MachineOptions.cgroup,
// packet/skb-cgroup.ts), "the task that runs the machine's programs" — the task whose net_cls
// classid get_cgroup_classid already answers and whose cgroup the test run's socket is in. In a
// BPF_PROG_TEST_RUN that is the test-running task, so a machine configured with this process's
// cgroup (vm/node/host-cgroup.ts) agrees with the kernel. The default model, the root cgroup
// (id 1), is also where task.ts's idle task is (init_task is in the root css_set), so an
// unconfigured machine answers as that idle task consistently: pid 0, root, swapper/N, cgroup 1.

import type { HelperDef } from "./registry.js";
import { ancestorId, type Cgroup } from "./packet/skb-cgroup.js";

/** get_current_cgroup_id and get_current_ancestor_cgroup_id over `cgroup`. */
export function currentCgroupHelpers(cgroup: Cgroup): HelperDef[] {
  const own = cgroup.path[cgroup.path.length - 1]!;
  return [
    { id: 80, name: "get_current_cgroup_id", args: [], ret: "integer", impl: () => own },
    { id: 123, name: "get_current_ancestor_cgroup_id", args: ["anything"], ret: "integer", impl: (_hctx, level) => ancestorId(cgroup, level) },
  ];
}
