// bpf_get_smp_processor_id (helper 8) inline: r0 = the running CPU, which the module already has
// in the `run.cpu` global (set by `run` / `runBatch`, the same value JitProgram.enter gives the
// JS helper's context). The kernel does the same rewrite: since 6.10 the x86-64 verifier
// replaces the call with a load of the per-CPU cpu_number (do_misc_fixups). It saves a JS call
// of 15–20 ns for programs that index per-CPU state by hand.

import { getSmpProcessorId } from "../../vm/helpers/time.js";
import type { Expr } from "../ir.js";
import { CPU_GLOBAL, type FnLowering, type ModuleState } from "./context.js";

export const SMP_PROCESSOR_ID = 8;

/** The machine's helper 8 is ours (a custom table's own is called as given). */
export const isInlineCpuId = (helpers: ModuleState["helpers"], id: number): boolean =>
  id === SMP_PROCESSOR_ID && helpers.get(id) === getSmpProcessorId;

export function lowerCpuId(f: FnLowering): Expr {
  const { m, bn } = f;
  return f.set(0, m.i64.extend_u(m.global.get(CPU_GLOBAL, bn.i32)));
}
