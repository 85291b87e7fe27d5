// The pointer type each load and store instruction was first verified with (the kernel's
// insn_aux_data[].ptr_type, save_aux_ptr_type): the kernel rewrites loads and stores through
// the context and the socket pointers into loads of its own structs (convert_ctx_access), one
// rewrite per instruction, so an instruction that sees such a pointer on one path and another
// pointer type on another is refused: "same insn cannot be used with different pointers"
// (reg_type_mismatch / reg_type_mismatch_ok). Pointer types the kernel does not rewrite may
// mix freely.

import { reject } from "./messages.js";
import type { Env } from "./env.js";
import type { Reg, RegType } from "./regs.js";
import { umaxNum, uminNum } from "./bounds.js";
import type { StoredRange } from "../program/ctx-narrow.js";

/** Types whose accesses the kernel rewrites (not reg_type_mismatch_ok). */
const REWRITTEN: ReadonlySet<RegType> = new Set<RegType>(["ctx", "sock", "sock_common", "tcp_sock", "xdp_sock"]);

const seen = new WeakMap<Env, Map<number, RegType>>();

/** Record the pointer type instruction `pc` accesses memory through; refuse a mix the kernel refuses. */
export function saveAuxPtrType(env: Env, pc: number, type: RegType): void {
  let types = seen.get(env);
  if (!types) seen.set(env, (types = new Map()));
  const prev = types.get(pc);
  if (prev === undefined) types.set(pc, type);
  else if (prev !== type && (REWRITTEN.has(prev) || REWRITTEN.has(type))) reject("same insn cannot be used with different pointers");
}

/** The instructions the paths found accessing memory through the context. */
export function ctxAccesses(env: Env): number[] {
  return [...(seen.get(env) ?? [])].filter(([, type]) => type === "ctx").map(([pc]) => pc);
}

const stored = new WeakMap<Env, Map<number, StoredRange>>();

/**
 * A register store through the context: the values its paths may store, as one unsigned range
 * over every path (vm/program/ctx-narrow.ts: queue_mapping's store depends on the value).
 */
export function noteCtxStoreValue(env: Env, pc: number, value: Reg): void {
  let ranges = stored.get(env);
  if (!ranges) stored.set(env, (ranges = new Map()));
  const s = value.type === "scalar" ? value.s : undefined;
  const [umin, umax] = s ? [uminNum(s), umaxNum(s)] : [0, Number.MAX_VALUE];
  const prev = ranges.get(pc);
  ranges.set(pc, prev ? { umin: Math.min(prev.umin, umin), umax: Math.max(prev.umax, umax) } : { umin, umax });
}

/** The value ranges noteCtxStoreValue recorded, by instruction. */
export const ctxStoreValues = (env: Env): ReadonlyMap<number, StoredRange> => stored.get(env) ?? new Map();
