// Kfuncs (kernel function calls) of this runtime: ids (ids.ts), prototypes (defs.ts), and the
// families by kernel id set. The common set (the kernel's common_btf_ids, registered for
// BPF_PROG_TYPE_UNSPEC) may be called from every program type.

import type { KfuncDef } from "./defs.js";
import { iterNumDestroy, iterNumNew, iterNumNext } from "./iter-num.js";

export { KFUNC_ID_BASE, KFUNC_IDS, kfuncId, kfuncName } from "./ids.js";
export { isKfunc, type IterRole, type KfuncDef, type KfuncParam, type KfuncProto } from "./defs.js";
export { ITER_NUM_SIZE } from "./iter-num.js";

/** Kfuncs of the common set: the open-coded numeric iterator. */
export function commonKfuncs(): KfuncDef[] {
  return [iterNumNew, iterNumNext, iterNumDestroy];
}
