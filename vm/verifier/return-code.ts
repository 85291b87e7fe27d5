// check_return_code (kernel/bpf/verifier.c) for a program's main exit: the program types whose
// return value the kernel bounds (TypeRules.returnRange) must end with a scalar r0 inside the
// range, judged on its 64-bit signed bounds after marking it precise (mark_chain_precision),
// with the kernel's messages (verbose_invalid_scalar).

import { S64_MAX, S64_MIN } from "./bounds.js";
import type { Env } from "./env.js";
import { reject } from "./messages.js";
import { markPrecise } from "./precision.js";
import { typeName, type Reg } from "./regs.js";
import type { VState } from "./state.js";

export function checkReturnCode(env: Env, st: VState, r0: Reg): void {
  const range = env.rules.returnRange;
  if (!range) return;
  if (r0.type !== "scalar") reject(`At program exit the register R0 is not a known value (${typeName(r0)})`);
  markPrecise(env, st, 0);
  const { smin, smax } = r0.s;
  if (smin < range[0] || smax > range[1]) {
    const parts = [smin > S64_MIN ? ` smin=${smin}` : "", smax < S64_MAX ? ` smax=${smax}` : ""].join("");
    reject(`At program exit the register R0 has${parts || " unknown scalar value"} should have been in [${range[0]}, ${range[1]}]`);
  }
}
