// Kfunc calls (the kernel's check_kfunc_call / check_kfunc_args): the id must name a kfunc of
// the machine's table (vm/helpers/kfunc) that the program type may call (its kfunc id set);
// each argument must match the prototype; then r1-r5 are clobbered and r0 gets the return type.
// Iterator arguments and next()'s loop are iter.ts, dynptr arguments and slices dynptr.ts. Messages are 6.18's (checked by loading the
// same programs: test/kernel/kfunc-iter.test.ts).

import { kfuncName } from "../helpers/kfunc/ids.js";
import type { KfuncDef } from "../helpers/kfunc/defs.js";
import type { Env } from "./env.js";
import { intPtrOrNull, processIterArg, processIterNext, type IterArg } from "./iter.js";
import { reject, VerifierReject } from "./messages.js";
import { NOT_INIT, UNKNOWN_SCALAR, isNullScalar, regConst, typeName } from "./regs.js";
import { processDynptrArg, kfuncSlice, type DynptrAt } from "./dynptr.js";
import { DynptrType, type DynptrTypeValue } from "./dynptr-slot.js";
import { checkHelperMem } from "./memory.js";
import { memSizeBound } from "./helpers.js";
import { markPrecise } from "./precision.js";
import type { VState } from "./state.js";

/**
 * Check `call kfunc id` at st.pc and apply its effects to `st`. Returns a second path to
 * explore when the call forks one (an iterator's next(): iter.ts).
 */
export function checkKfuncCall(env: Env, st: VState, id: number): VState | undefined {
  const def = lookup(env, id);
  let iter: IterArg | undefined;
  let dynptr: DynptrAt | undefined;
  let size: number | undefined; // the buffer__szk constant
  def.proto.params.forEach((param, i) => {
    const regno = i + 1;
    // check_kfunc_args reads the registers by their type alone: an unset one is "not a scalar"
    // (or not a pointer), not "!read_ok".
    const r = st.regs[regno]!;
    switch (param) {
      case "scalar":
        if (r.type !== "scalar") reject(`R${regno} is not a scalar`);
        return;
      case "iter":
        iter = processIterArg(env, st, st.pc, regno, def, r);
        return;
      case "ctx":
        if (r.type !== "ctx") reject(`arg#${i} expected pointer to ctx, but got ${typeName(r)}`);
        return;
      case "dynptr_uninit":
        // bpf_dynptr_clone: its parent's type and reference (the dynptr argument before it).
        if (dynptr) processDynptrArg(env, st, st.pc, regno, { make: dynptr.state.map as DynptrTypeValue, cloneRef: dynptr.state.ref }, "kfunc");
        else processDynptrArg(env, st, st.pc, regno, { make: def.proto.dynptr === "xdp" ? DynptrType.XDP : DynptrType.SKB }, "kfunc");
        return;
      case "dynptr":
        dynptr = processDynptrArg(env, st, st.pc, regno, {}, "kfunc");
        return;
      case "buffer_opt":
        return; // checked with its size, the next parameter
      case "buffer_size":
        size = checkBuffer(env, st, regno);
        return;
    }
  });
  for (let r = 1; r <= 5; r++) st.regs[r] = NOT_INIT;
  switch (def.proto.ret) {
    case "int": st.regs[0] = UNKNOWN_SCALAR; break;
    case "void": st.regs[0] = NOT_INIT; break;
    case "int_ptr_or_null": st.regs[0] = intPtrOrNull(env, iter?.ref ?? 0); break;
    case "dynptr_slice":
    case "dynptr_slice_rdwr": {
      const writable = def.proto.ret === "dynptr_slice_rdwr";
      if (writable && !env.rules.packetWrite) reject("the prog does not allow writes to packet data");
      st.regs[0] = kfuncSlice(env, dynptr!, size!, writable);
      break;
    }
  }
  return def.proto.iter?.role === "next" && iter ? processIterNext(st, iter) : undefined;
}

/**
 * KF_ARG_PTR_TO_MEM_SIZE with `buffer__opt` and `buffer__szk` (in r`regno - 1`, r`regno`): the
 * buffer, unless NULL, must take the size's largest value both ways (check_kfunc_mem_size_reg:
 * a read, then a write); the size must be a known constant, which is returned.
 */
function checkBuffer(env: Env, st: VState, regno: number): number {
  const size = st.regs[regno]!;
  if (!isNullScalar(st.regs[regno - 1]!)) {
    try {
      if (size.type !== "scalar") reject(`R${regno} is not a scalar`);
      const bound = memSizeBound(regno, size, true);
      checkHelperMem(env, st, regno - 1, bound, "read");
      checkHelperMem(env, st, regno - 1, bound, "write");
    } catch (e) {
      if (e instanceof VerifierReject) reject(`${e.reason}\narg#${regno - 2} arg#${regno - 1} memory, len pair leads to invalid memory access`);
      throw e;
    }
    markPrecise(env, st, regno); // check_mem_size_reg's mark_chain_precision
  }
  const value = regConst(size);
  if (value === undefined) reject(`R${regno} must be a known constant`);
  return Number(value);
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
