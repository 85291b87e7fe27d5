// Callbacks: a helper such as bpf_loop or bpf_for_each_map_elem calls a subprogram of the
// program back, any number of times. The kernel verifies this as a loop (kernel/bpf/verifier.c:
// check_helper_call's BPF_FUNC_loop and BPF_FUNC_for_each_map_elem cases, push_callback_call,
// set_loop_callback_state / set_map_elem_callback_state, prepare_func_exit for
// in_callback_fn, widen_imprecise_scalars, and is_state_visited's calls_callback case), and so
// does this:
//
//   - At the helper call, the path goes on past the call as if the loop had ended (r0 unknown,
//     r1-r5 clobbered), and a second path is queued that enters the callback from the state
//     before the call: a new frame with, for bpf_loop, r1 = the index (an unknown scalar) and
//     r2 = the callback_ctx argument (r3 of the caller: a stack pointer or NULL), r3-r5 not
//     readable; for bpf_for_each_map_elem r1 = the map, r2 = its key (read-only), r3 = its
//     value, r4 = the callback_ctx argument, r5 not readable.
//   - At the callback's exit, r0 must be a scalar in [0, 1] (precise: it decides whether the
//     loop goes on); the frame is dropped and the path returns to the helper call itself, with
//     the caller's registers as they were, to explore the next iteration.
//   - The helper call is always a checkpoint; a state coming back to it that is within (by
//     value ranges, precision aside) a checkpoint of an earlier iteration on its own path has
//     converged, and stops there. So that iterations converge, scalars the earlier iteration
//     did not rely on (imprecise) and that changed are widened to unknown on return.
//   - bpf_loop's iterations explored are limited by the most nr_loops (r1) may be: with a
//     constant nr_loops of 3, at most three callback entries are simulated on one path.
//
// A path stopped that way relies on an earlier state whose exploration is not finished: a back
// edge, which loops.ts accounts for.

import { S64_MAX, S64_MIN } from "./bounds.js";
import type { Env } from "./env.js";
import { reject } from "./messages.js";
import { markPrecise } from "./precision.js";
import { UNKNOWN_SCALAR, isNullScalar, pointer, type Reg } from "./regs.js";
import { widenImprecise } from "./prune.js";
import { Frame, PathStep, Step, type Checkpoint, type VState } from "./state.js";
import { MAX_CALL_FRAMES } from "../isa/opcodes.js";
import { LOOP_ID } from "../helpers/loop.js";
import { FOR_EACH_ID, FOR_EACH_MAP_TYPES } from "../helpers/for-each.js";
import { TIMER_SET_CALLBACK_ID, timerCallback } from "./timer.js";

/** The callback's r0 must be in [0, 1]: 0 goes on, 1 stops the loop (both helpers' contract). */
const RET_MIN = 0n;
const RET_MAX = 1n;

type CallbackCall = (env: Env, st: VState, subprog: number, push: (entry: VState) => void) => void;

/**
 * Helper `helper` at st.pc (arguments checked, effects not yet applied) calls subprogram
 * `subprog` back: queue the exploration of the callback through `push` (check_helper_call's
 * cases for the callback-calling helpers).
 */
export function callbackCall(env: Env, st: VState, helper: number, subprog: number, push: (entry: VState) => void): void {
  const call = CALLBACK_CALLS.get(helper);
  if (!call) reject(`helper #${helper} calls back a function, which this verifier does not model`);
  call!(env, st, subprog, push);
}

/**
 * bpf_loop: queue the callback's exploration, unless this path has explored as many iterations
 * as nr_loops may ask for.
 */
const loopCallback: CallbackCall = (env, st, subprog, push) => {
  // update_loop_inline_state: a NULL flags argument lets the kernel inline the loop, and it
  // marks the register precise when it relies on that.
  if (isNullScalar(st.regs[4]!)) markPrecise(env, st, 4);
  // The number of iterations decides how many are simulated.
  markPrecise(env, st, 1);
  const caller = st.frame;
  const nrLoops = st.regs[1]!;
  if (!belowUmax(caller.callbackDepth, nrLoops)) {
    caller.callbackDepth = 0;
    if (env.log.level === 2) env.log.line(`frame${st.frames.length - 1} bpf_loop iteration limit reached`);
    return;
  }
  push(callbackEntry(env, st, subprog, (callee, callerRegs) => {
    // set_loop_callback_state: callback_fn(u64 index, void *callback_ctx).
    callee.regs[1] = UNKNOWN_SCALAR;
    callee.regs[2] = callerRegs[3]!;
  }));
  caller.callbackDepth = 0;
};

/**
 * bpf_for_each_map_elem: always queue the callback's exploration (push_callback_call has no
 * iteration limit for it: convergence at the helper call ends the iterations), with the
 * arguments set_map_elem_callback_state → map_set_for_each_callback_args gives it:
 * callback_fn(struct bpf_map *map, const void *key, void *value, void *callback_ctx).
 */
const forEachCallback: CallbackCall = (env, st, subprog, push) => {
  const mapReg = st.regs[1]!;
  const map = env.maps[mapReg.map]!;
  if (!FOR_EACH_MAP_TYPES.includes(map.type)) reject("callback function not allowed for map");
  push(callbackEntry(env, st, subprog, (callee, callerRegs) => {
    callee.regs[1] = callerRegs[1]!;
    // PTR_TO_MAP_KEY (read-only, key_size bytes) and PTR_TO_MAP_VALUE (value_size bytes; the
    // map's BPF_F_RDONLY_PROG still refuses writes), both at offset 0.
    callee.regs[2] = pointer("map_key", { map: mapReg.map });
    callee.regs[3] = pointer("map_value", { map: mapReg.map });
    // A pointer to the caller's stack, or NULL; r5 stays unreadable.
    callee.regs[4] = callerRegs[3]!;
  }));
  st.frame.callbackDepth = 0;
};

const CALLBACK_CALLS: ReadonlyMap<number, CallbackCall> = new Map([
  [LOOP_ID, loopCallback],
  [FOR_EACH_ID, forEachCallback],
  // An async callback, verified on its own (timer.ts).
  [TIMER_SET_CALLBACK_ID, timerCallback],
]);

/** depth < umax(r): the kernel's `callback_depth < regs[BPF_REG_1].umax_value`. */
function belowUmax(depth: number, r: Reg): boolean {
  const s = r.s;
  return s.umaxH !== 0 || depth < s.umaxL >>> 0;
}

/**
 * push_callback_call + setup_func_entry: a copy of `st` entering the callback, its frame set
 * up by `setArgs` from the caller's registers.
 */
function callbackEntry(env: Env, st: VState, subprog: number, setArgs: (callee: Frame, callerRegs: readonly Reg[]) => void): VState {
  if (st.frames.length >= MAX_CALL_FRAMES) reject(`the call stack of ${st.frames.length + 1} frames is too deep !`);
  const entry = st.clone();
  entry.frame.callbackDepth++;
  entry.callbackUnroll++;
  const callee = Frame.fresh(st.pc, subprog, entry.frames.length, true);
  setArgs(callee, entry.regs);
  entry.frames.push(callee);
  const start = env.subprogs[subprog]!.start;
  entry.path = new PathStep(st.pc, start, entry.path, Step.CALLBACK_ENTRY);
  entry.pc = start;
  return entry;
}

/**
 * The callback frame on top of `st` exits (prepare_func_exit, in_callback_fn): check its r0,
 * drop the frame, and go back to the helper call with the caller's registers untouched.
 */
export function callbackExit(env: Env, st: VState, r0: Reg): void {
  if (r0.type !== "scalar") reject("R0 not a scalar value");
  markPrecise(env, st, 0);
  const { smin, smax } = r0.s;
  if (smin < RET_MIN || smax > RET_MAX) {
    const parts = [smin > S64_MIN ? ` smin=${smin}` : "", smax < S64_MAX ? ` smax=${smax}` : ""].join("");
    reject(`At callback return the register R0 has${parts || " unknown scalar value"} should have been in [${RET_MIN}, ${RET_MAX}]`);
  }
  const callee = st.frames.pop()!;
  st.path = new PathStep(st.pc, callee.callsite, st.path, Step.CALLBACK_RETURN);
  st.pc = callee.callsite;
  const previous = previousEntry(st);
  if (previous) widenImprecise(previous.state, st);
}

/**
 * find_prev_entry: the checkpoint of the latest earlier visit of this helper call on this path,
 * with the same call chain (the iteration before).
 */
function previousEntry(st: VState): Checkpoint | undefined {
  for (let cp = st.parent; cp; cp = cp.parent) {
    if (cp.insn === st.pc && sameCallsites(cp.state, st)) return cp;
  }
  return undefined;
}

export function sameCallsites(a: VState, b: VState): boolean {
  if (a.frames.length !== b.frames.length) return false;
  for (let k = 0; k < a.frames.length; k++) if (a.frames[k]!.callsite !== b.frames[k]!.callsite) return false;
  return true;
}
