// The helper sets each program type starts from. Map, packet and ring-buffer helpers join them
// in their own modules.

import { HelperTable } from "./registry.js";
import { commonKfuncs } from "./kfunc/index.js";
import { loopHelper } from "./loop.js";
import { getPrandomU32 } from "./random.js";
import { spinLockHelper, spinUnlockHelper } from "./spin-lock.js";
import { getSmpProcessorId, ktimeGetBootNs, ktimeGetNs, ktimeGetTaiNs } from "./time.js";

export { HelperTable } from "./registry.js";
export type { HelperArg, HelperContext, HelperDef, HelperImpl, HelperRet } from "./registry.js";

/** Helpers any program type may call: time, randomness, CPU id, bpf_loop; and the common kfuncs. */
export function baseHelpers(): HelperTable {
  return new HelperTable([ktimeGetNs, getPrandomU32, getSmpProcessorId, ktimeGetBootNs, ktimeGetTaiNs, loopHelper, spinLockHelper, spinUnlockHelper, ...commonKfuncs()]);
}
