// The helper sets each program type starts from. Map, packet and ring-buffer helpers join them
// in their own modules.

import { HelperTable } from "./registry.js";
import { commonKfuncs } from "./kfunc/index.js";
import { loopHelper } from "./loop.js";
import { getPrandomU32, prandomU32 } from "./random.js";
import type { Layout } from "../memory/layout.js";
import { spinLockHelper, spinUnlockHelper } from "./spin-lock.js";
import { getNumaNodeId, getSmpProcessorId, jiffies64, ktimeGetBootNs, ktimeGetCoarseNs, ktimeGetNs, ktimeGetTaiNs } from "./time.js";
import { stringHelpers } from "./strings.js";
import { taskHelpers } from "./task.js";
import { probeReadHelpers } from "./probe-read.js";
import { currentCgroupHelpers } from "./current-cgroup.js";
import { dynptrHelpers } from "./dynptr.js";
import { packetDynptrAccess } from "./packet/dynptr-packet.js";
import { ROOT_CGROUP, type Cgroup } from "./packet/skb-cgroup.js";

export { HelperTable } from "./registry.js";
export type { HelperArg, HelperContext, HelperDef, HelperImpl, HelperRet } from "./registry.js";

/**
 * Helpers any program type may call: time, randomness, CPU and NUMA ids, bpf_loop, the string
 * helpers (snprintf, strncmp, strtol, strtoul), the current task's ids and name (the idle task:
 * vm/helpers/task.ts), its cgroup ids (`cgroup`, the machine's model: current-cgroup.ts),
 * probe_read_kernel / _user (_str), the dynptr helpers (dynptr.ts); and the common kfuncs. With a machine's `layout`,
 * get_prandom_u32 draws from each CPU's state in the memory (random.ts).
 */
export function baseHelpers(cgroup: Cgroup = ROOT_CGROUP, layout?: Layout): HelperTable {
  return new HelperTable([ktimeGetNs, layout ? prandomU32(layout) : getPrandomU32, getSmpProcessorId, ktimeGetBootNs, ktimeGetTaiNs, loopHelper, spinLockHelper, spinUnlockHelper, getNumaNodeId, jiffies64, ktimeGetCoarseNs, ...stringHelpers(), ...taskHelpers(), ...currentCgroupHelpers(cgroup), ...probeReadHelpers(), ...dynptrHelpers(layout ? packetDynptrAccess(layout) : undefined), ...commonKfuncs()]);
}
