// BPF timers in the verifier (kernel/bpf/verifier.c, Linux 6.18): the bpf_timer_* helpers' timer
// argument (ARG_PTR_TO_TIMER: process_timer_func → check_map_field_pointer), the map argument
// of bpf_timer_init that must be the timer's own map (check_func_arg's ARG_CONST_MAP_PTR case),
// loads and stores that touch the timer (check_map_access's special fields), and the callback
// bpf_timer_set_callback registers: an async callback (push_callback_call → push_async_cb,
// set_timer_callback_state), verified as a program of its own, entered with a fresh stack and
//   r1 = the map (CONST_PTR_TO_MAP), r2 = its key (PTR_TO_MAP_KEY), r3 = the value
//   (PTR_TO_MAP_VALUE), r4 and r5 not readable,
// and ending with r0 = 0 (check_return_code's in_async_callback_fn case, callback_ret_range
// [0, 0]). The caller goes on past the call at once: the callback runs later, on its own.

import { constNumS, S64_MAX, S64_MIN, scalarIsConst, sminNum, umaxNum } from "./bounds.js";
import type { Env, VerifierMap } from "./env.js";
import { reject } from "./messages.js";
import { markPrecise } from "./precision.js";
import { pointer, typeName, type Reg } from "./regs.js";
import { Frame, VState } from "./state.js";
import { TIMER_SET_CALLBACK_ID, TIMER_SIZE } from "../helpers/timer.js";

export { TIMER_SET_CALLBACK_ID };

/** ARG_PTR_TO_TIMER: the timer's map, for bpf_timer_init's map argument and the callback. */
export function processTimer(env: Env, regno: number, r: Reg): number {
  // compatible_reg_types: timer_types = { PTR_TO_MAP_VALUE } (a value that may be NULL is not one).
  if (r.type !== "map_value") reject(`R${regno} type=${typeName(r)} expected=map_value`);
  if (!scalarIsConst(r.s)) reject(`R${regno} doesn't have constant offset. bpf_timer has to be at the constant offset`);
  const map = env.maps[r.map]!;
  if (map.timer === undefined) {
    if (!map.btf && map.spinLock === undefined) reject(`map '${map.name}' has to have BTF in order to use bpf_timer`);
    reject(`map '${map.name}' has no valid bpf_timer`);
  }
  const off = r.off + constNumS(r.s);
  if (off !== map.timer) reject(`off ${off} doesn't point to 'struct bpf_timer' that is at ${map.timer}`);
  return r.map;
}

/**
 * ARG_CONST_MAP_PTR after a timer argument: the same map (inner maps would also need the same
 * map_uid; a map here is one map, uid 0).
 */
export function checkTimerMap(timerMap: number, mapArg: number): void {
  if (timerMap !== mapArg) reject("timer pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0");
}

/** check_map_access: no load, store or helper access may touch a byte of the value's timer. */
export function checkTimerAccess(map: VerifierMap, r: Reg, off: number, size: number): void {
  const t = map.timer;
  if (t === undefined) return;
  const lo = sminNum(r.s) + r.off + off;
  const hi = umaxNum(r.s) + r.off + off + size;
  if (lo < t + TIMER_SIZE && t < hi) reject("bpf_timer cannot be accessed directly by load/store");
}

/** The subprograms entered as async callbacks, per verification (the kernel's subprog_info.is_async_cb). */
const asyncSubprogs = new WeakMap<Env, Set<number>>();
/** Async entries already queued: (subprogram, map) decides the whole entry state. */
const queued = new WeakMap<Env, Set<string>>();

/**
 * bpf_timer_set_callback at st.pc (r1 the timer, r2 the callback): queue the callback's
 * verification as an async callback of the timer's map. Its entry state depends only on the
 * subprogram and the map, so one exploration per pair covers every call site (the kernel's
 * pruning finds the later ones equal to the first).
 */
export function timerCallback(env: Env, st: VState, subprog: number, push: (entry: VState) => void): void {
  const map = st.regs[1]!.map;
  let subs = asyncSubprogs.get(env);
  if (!subs) asyncSubprogs.set(env, (subs = new Set()));
  subs.add(subprog);
  let seen = queued.get(env);
  if (!seen) queued.set(env, (seen = new Set()));
  const key = `${subprog}:${map}`;
  if (seen.has(key)) return;
  seen.add(key);
  const frame = Frame.fresh(-1, subprog, 0);
  frame.regs[1] = pointer("map_ptr", { map });
  frame.regs[2] = pointer("map_key", { map });
  frame.regs[3] = pointer("map_value", { map });
  push(new VState([frame], [], env.subprogs[subprog]!.start, undefined, undefined));
}

/** The subprograms verified as async callbacks (check_max_stack_depth's extra roots). */
export function asyncCallbacks(env: Env): ReadonlySet<number> {
  return asyncSubprogs.get(env) ?? new Set();
}

/** Is `st` (one frame) an async callback's own exploration? */
export function isAsyncCallback(env: Env, st: VState): boolean {
  return st.frames.length === 1 && st.frame.callsite === -1 && st.frame.subprog !== 0 && (asyncSubprogs.get(env)?.has(st.frame.subprog) ?? false);
}

/** check_return_code for an async callback: r0 a scalar in [0, 0], judged after marking it precise. */
export function checkAsyncReturn(env: Env, st: VState, r0: Reg): void {
  const what = "At async callback return";
  if (r0.type !== "scalar") reject(`${what} the register R0 is not a known value (${typeName(r0)})`);
  markPrecise(env, st, 0);
  const { smin, smax } = r0.s;
  if (smin < 0n || smax > 0n) {
    const parts = [smin > S64_MIN ? ` smin=${smin}` : "", smax < S64_MAX ? ` smax=${smax}` : ""].join("");
    reject(`${what} the register R0 has${parts || " unknown scalar value"} should have been in [0, 0]`);
  }
}
