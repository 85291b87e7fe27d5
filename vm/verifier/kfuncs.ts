// Kfunc calls (the kernel's check_kfunc_call / check_kfunc_args): the id must name a kfunc of
// the machine's table (vm/helpers/kfunc) that the program type may call (its kfunc id set);
// each argument must match the prototype; then r1-r5 are clobbered and r0 gets the return type.
// Iterator arguments and next()'s loop are iter.ts. Messages are 6.18's (checked by loading the
// same programs: test/kernel/kfunc-iter.test.ts).

import { kfuncName } from "../helpers/kfunc/ids.js";
import type { KfuncDef } from "../helpers/kfunc/defs.js";
import type { Env } from "./env.js";
import { intPtrOrNull, processIterArg, processIterNext, type IterArg } from "./iter.js";
import { reject } from "./messages.js";
import { NOT_INIT, UNKNOWN_SCALAR } from "./regs.js";
import type { VState } from "./state.js";

/**
 * Check `call kfunc id` at st.pc and apply its effects to `st`. Returns a second path to
 * explore when the call forks one (an iterator's next(): iter.ts).
 */
export function checkKfuncCall(env: Env, st: VState, id: number): VState | undefined {
  const def = lookup(env, id);
  let iter: IterArg | undefined;
  def.proto.params.forEach((param, i) => {
    const regno = i + 1;
    // check_kfunc_args reads the registers by their type alone: an unset one is "not a scalar"
    // (or not a pointer), not "!read_ok".
    const r = st.regs[regno]!;
    if (param === "scalar") {
      if (r.type !== "scalar") reject(`R${regno} is not a scalar`);
      return;
    }
    iter = processIterArg(env, st, st.pc, regno, def, r);
  });
  for (let r = 1; r <= 5; r++) st.regs[r] = NOT_INIT;
  switch (def.proto.ret) {
    case "int": st.regs[0] = UNKNOWN_SCALAR; break;
    case "void": st.regs[0] = NOT_INIT; break;
    case "int_ptr_or_null": st.regs[0] = intPtrOrNull(env, iter?.ref ?? 0); break;
  }
  return def.proto.iter?.role === "next" && iter ? processIterNext(st, iter) : undefined;
}

/**
 * kfunc_spin_allowed: kfuncs a program may call while holding a bpf_spin_lock. Of the kernel's
 * (the graph API, the numeric iterator, res_spin_lock) this runtime has the numeric iterator.
 */
export function kfuncAllowedHoldingLock(env: Env, id: number): boolean {
  return env.helpers.kfunc(id)?.proto.iter?.type === "num";
}

/** fetch_kfunc_meta and the id set check (btf_kfunc_id_set_contains). */
function lookup(env: Env, id: number): KfuncDef {
  const def = env.helpers.kfunc(id);
  if (!def) {
    const name = kfuncName(id);
    return reject(name ? `calling kernel function ${name} is not allowed` : `kernel btf_id ${id} is not a function`);
  }
  if (def.proto.types && !def.proto.types.includes(env.type.name)) reject(`calling kernel function ${def.name} is not allowed`);
  return def;
}
