// bpf_loop (BPF_FUNC_loop = 181): `long bpf_loop(u32 nr_loops, void *callback_fn,
// void *callback_ctx, u64 flags)` calls callback_fn(index, callback_ctx) for index = 0, 1, ...
// up to nr_loops - 1; a callback returning non-zero (the verifier allows only 0 and 1) stops
// the loop early. It returns the number of iterations done, -EINVAL for flags other than 0 and
// -E2BIG for more than BPF_MAX_LOOPS iterations (kernel/bpf/bpf_iter.c, BPF_CALL_4(bpf_loop)).
//
// The callback is a subprogram of the running program, so the engines run the loop themselves
// (the interpreter in its dispatch loop, the JIT as a wasm loop around a call of the callback's
// function); what they share is here: the signature the verifier checks and the arithmetic of
// the loop, which both follow step by step.
//
// The kernel inlines the helper when the verifier proved flags = 0 (verifier.c inline_bpf_loop).
// That copy differs from the helper only for nr_loops > BPF_MAX_LOOPS: it compares all 64 bits
// of r1 and returns -E2BIG zero-extended from 32 bits. We follow the helper (and its
// documentation in include/uapi/linux/bpf.h): nr_loops is the low 32 bits of r1, and the
// errors are 64-bit negative numbers.

import { E2BIG, EINVAL } from "./packet/uapi.js";
import type { HelperDef } from "./registry.js";

export const LOOP_ID = 181;

/** BPF_MAX_LOOPS (include/linux/bpf.h): at most 8M iterations. */
export const MAX_LOOPS = 8 * 1024 * 1024;

/** What bpf_loop returns for flags other than 0, and for more than MAX_LOOPS iterations. */
export const LOOP_BAD_FLAGS = -EINVAL;
export const LOOP_TOO_MANY = -E2BIG;

/**
 * The helper table entry: its signature serves the verifier and validation; calling it as a
 * function is an engine bug (the engine must run the loop itself), so it throws.
 */
export const loopHelper: HelperDef = {
  id: LOOP_ID,
  name: "loop",
  args: ["anything", "ptr_to_func", "ptr_to_stack_or_null", "anything"],
  ret: "integer",
  impl: () => {
    throw new Error("bpf_loop calls back into the program: this engine does not implement callbacks (vm/helpers/loop.ts)");
  },
};

/**
 * What bpf_loop returns without calling the callback at all: -EINVAL (flags set), -E2BIG (too
 * many iterations), 0 (no iteration), as a signed 64-bit value; undefined when the loop runs.
 * `nrLoops` is the u32 argument (r1's low word, unsigned); `flagsLo`/`flagsHi` r4's words.
 */
export function loopEarlyResult(nrLoops: number, flagsLo: number, flagsHi: number): bigint | undefined {
  if ((flagsLo | flagsHi) !== 0) return BigInt(LOOP_BAD_FLAGS);
  if (nrLoops > MAX_LOOPS) return BigInt(LOOP_TOO_MANY);
  if (nrLoops === 0) return 0n;
  return undefined;
}

/**
 * After the callback returned for `index` (0-based) with r0 = (retLo, retHi): the number of
 * iterations bpf_loop returns if the loop ends here (a non-zero return, or the last index), or
 * -1 to go on with index + 1.
 */
export function loopNext(index: number, nrLoops: number, retLo: number, retHi: number): number {
  if ((retLo | retHi) !== 0 || index + 1 >= nrLoops) return index + 1;
  return -1;
}
