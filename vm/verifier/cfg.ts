// The program's shape, before any value is tracked (the kernel's check_subprogs + check_cfg):
// structure (vm/program validate(): opcodes, reserved fields, registers, jump targets inside
// their subprogram, no fall-through off the end), then reachability of every instruction,
// the places where states are compared for pruning, and which registers are live where.

import { validate } from "../program/validate.js";
import { localCallTarget, subprogramOf, type Subprogram } from "../program/subprograms.js";
import { MAX_CALL_FRAMES, Pseudo } from "../isa/opcodes.js";
import type { Insn } from "../isa/instruction.js";
import { describe, jumpTarget, type OpDef } from "../isa/table.js";
import { BpfError } from "../errors.js";
import { reject } from "./messages.js";
import type { HelperArg } from "../helpers/registry.js";
import { TIMER_SET_CALLBACK_ID } from "../helpers/timer.js";
import { TAIL_CALL_ID } from "../helpers/tailcall.js";
import type { Frame } from "./state.js";

export interface Cfg {
  readonly defs: ReadonlyArray<OpDef | undefined>;
  readonly subprogs: readonly Subprogram[];
  /** Subprogram index of each slot. */
  readonly subprogOf: Int32Array;
  /** Slots where a state is checkpointed and compared (jump targets, after branches and calls). */
  readonly prunePoint: Uint8Array;
  /** Registers that may be read before being written, from each slot on (bit i = r_i). */
  readonly liveIn: Uint16Array;
  /**
   * The subprograms each subprogram calls (`call` local: `direct`) or whose address it takes
   * (lddw func: a callback, counted as called there, as check_max_stack_depth counts it).
   */
  readonly callees: ReadonlyArray<ReadonlyArray<{ readonly sub: number; readonly direct: boolean; readonly at: number }>>;
  /** Per subprogram: its first bpf_tail_call, or -1 (the kernel's subprog_info.has_tail_call). */
  readonly tailCallAt: Int32Array;
  /** Helper calls that call a callback (bpf_loop): checkpointed always (mark_force_checkpoint). */
  readonly callsCallback: Uint8Array;
  /** Kfunc calls of an iterator's next() (iter.ts): prune points, checkpointed always. */
  readonly iterNext: Uint8Array;
  /** Where control may go next from each slot, within its subprogram (a call returns to i+1). */
  readonly succ: ReadonlyArray<readonly number[]>;
  /**
   * Each slot's loop: the strongly connected component of its subprogram's flow graph that it
   * lies on a cycle of, or -1 (the kernel's compute_scc). Nested loops are one component.
   */
  readonly scc: Int32Array;
}

/** What the cfg needs to know about helper `id`: its argument kinds (undefined: unknown helper). */
export type HelperArgs = (id: number) => readonly HelperArg[] | undefined;

/**
 * `helperArgs(id)`: the argument kinds of helper `id` (its signature: how many registers it
 * reads, and whether one is a callback), undefined for an unknown helper (then all of r1-r5
 * count as read: it is refused later anyway). `isGlobal(k)`: subprogram k is a global function,
 * whose call is checked against its prototype rather than walked (global-funcs.ts).
 */
export function buildCfg(
  insns: readonly Insn[], helperArgs: HelperArgs = () => undefined, isGlobal?: (subprog: number) => boolean,
  isIterNext: (kfunc: number) => boolean = () => false,
): Cfg {
  let subprogs: Subprogram[];
  try {
    subprogs = validate(insns, { frameWritesOnPaths: true });
  } catch (e) {
    if (e instanceof BpfError) {
      const at = e.where.insn;
      return reject(e.message.replace(/^insn \d+: /, ""), at);
    }
    throw e;
  }
  const defs = describeAll(insns);
  const subprogOf = new Int32Array(insns.length);
  for (let i = 0; i < insns.length; i++) subprogOf[i] = subprogramOf(subprogs, i);
  const succ = successors(insns, defs);
  checkReachable(insns, defs, succ);
  const callsCallback = new Uint8Array(insns.length);
  defs.forEach((d, i) => {
    // Only callbacks called at the call (is_sync_callback_calling_function): a timer's runs later
    // on its own (timer.ts), so its call is no loop.
    if (d?.kind === "call" && d.target === "helper" && insns[i]!.imm !== TIMER_SET_CALLBACK_ID && helperArgs(insns[i]!.imm)?.includes("ptr_to_func")) callsCallback[i] = 1;
  });
  const iterNext = new Uint8Array(insns.length);
  defs.forEach((d, i) => {
    if (d?.kind === "call" && d.target === "kfunc" && isIterNext(insns[i]!.imm)) iterNext[i] = 1;
  });
  const prunePoint = prunePoints(insns, defs, succ, callsCallback, iterNext);
  const liveIn = liveness(insns, defs, succ, helperArgs, isGlobal && ((target) => isGlobal(subprogramOf(subprogs, target))));
  const callees = subprogs.map(() => [] as Array<{ sub: number; direct: boolean; at: number }>);
  const tailCallAt = new Int32Array(subprogs.length).fill(-1);
  defs.forEach((d, i) => {
    const direct = d?.kind === "call" && d.target === "local";
    if (direct || isFuncLddw(d)) callees[subprogOf[i]!]!.push({ sub: subprogramOf(subprogs, localCallTarget(insns, i)), direct, at: i });
    if (d?.kind === "call" && d.target === "helper" && insns[i]!.imm === TAIL_CALL_ID && tailCallAt[subprogOf[i]!]! < 0) tailCallAt[subprogOf[i]!] = i;
  });
  return { defs, subprogs, subprogOf, prunePoint, liveIn, callees, tailCallAt, callsCallback, iterNext, succ, scc: loops(succ) };
}

/**
 * The component of each slot that lies on a cycle — a strongly connected component of more than
 * one slot, or a slot jumping to itself — else -1 (Tarjan's algorithm, iteratively: programs
 * have up to 1M slots).
 */
function loops(succ: ReadonlyArray<readonly number[]>): Int32Array {
  const n = succ.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const out = new Int32Array(n).fill(-1);
  let next = 0;
  let components = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: Array<[node: number, edge: number]> = [[root, 0]];
    index[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const [v, e] = top;
      const edges = succ[v]!;
      if (e < edges.length) {
        top[1]++;
        const w = edges[e]!;
        if (w >= n) continue;
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          stack.push(w);
          onStack[w] = 1;
          work.push([w, 0]);
        } else if (onStack[w]) {
          low[v] = Math.min(low[v]!, index[w]!);
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const u = work[work.length - 1]![0];
        low[u] = Math.min(low[u]!, low[v]!);
      }
      if (low[v] !== index[v]) continue;
      let w: number;
      let size = 0;
      const members: number[] = [];
      do {
        w = stack.pop()!;
        onStack[w] = 0;
        members.push(w);
        size++;
      } while (w !== v);
      if (size > 1 || edges.includes(v)) {
        for (const m of members) out[m] = components;
        components++;
      }
    }
  }
  return out;
}

const isFuncLddw = (d: OpDef | undefined): boolean => d?.kind === "lddw" && d.pseudo === Pseudo.FUNC;

/** Each slot's definition; the data half of an lddw has none (scanning from 0, as validate() did). */
function describeAll(insns: readonly Insn[]): Array<OpDef | undefined> {
  const defs = new Array<OpDef | undefined>(insns.length);
  for (let i = 0; i < insns.length; i++) {
    defs[i] = describe(insns[i]!);
    if (defs[i]?.kind === "lddw") defs[++i] = undefined;
  }
  return defs;
}

/** Where control may go next from each slot, within its subprogram (a call returns to i+1). */
function successors(insns: readonly Insn[], defs: ReadonlyArray<OpDef | undefined>): number[][] {
  return defs.map((def, i) => {
    if (!def) return [];
    switch (def.kind) {
      case "exit": return [];
      case "ja": return [jumpTarget(insns[i]!, def, i)!];
      case "jcond":
      case "maygoto": return [i + 1, jumpTarget(insns[i]!, def, i)!];
      case "lddw": return [i + 2];
      default: return [i + 1];
    }
  });
}

/** check_cfg: every instruction must be reachable from the entry (through calls too). */
function checkReachable(insns: readonly Insn[], defs: ReadonlyArray<OpDef | undefined>, succ: number[][]): void {
  const seen = new Uint8Array(insns.length);
  const work = [0];
  seen[0] = 1;
  while (work.length) {
    const i = work.pop()!;
    const def = defs[i]!;
    const next = [...succ[i]!];
    // A callback is reached through its address (visit_func_call_insn for bpf_pseudo_func).
    if ((def.kind === "call" && def.target === "local") || isFuncLddw(def)) next.push(localCallTarget(insns, i));
    for (const n of next) {
      if (n >= 0 && n < insns.length && !seen[n]) {
        seen[n] = 1;
        work.push(n);
      }
    }
  }
  for (let i = 0; i < insns.length; i++) {
    if (defs[i] && !seen[i]) reject(`unreachable insn ${i}`, i);
  }
}

/**
 * Where states are compared, as the kernel's check_cfg marks them (mark_prune_point, push_insn
 * with BRANCH): each conditional jump itself and its target, the target of each `ja`, the
 * instruction after each call, each call of a subprogram and its target, each lddw of a
 * callback's address and the instruction after it, and each helper call that calls a callback
 * (the loop through the callback comes back to it). Every loop contains one.
 */
function prunePoints(insns: readonly Insn[], defs: ReadonlyArray<OpDef | undefined>, succ: number[][], callsCallback: Uint8Array, iterNext: Uint8Array): Uint8Array {
  const p = new Uint8Array(insns.length + 2);
  defs.forEach((def, i) => {
    if (!def) return;
    if (def.kind === "ja") p[succ[i]![0]!] = 1;
    if (def.kind === "jcond" || def.kind === "maygoto") p[i] = p[succ[i]![1]!] = 1;
    if (def.kind === "call") p[i + 1] = 1;
    if (def.kind === "call" && def.target === "local") p[i] = p[localCallTarget(insns, i)] = 1;
    if (isFuncLddw(def)) p[i] = p[i + 2] = 1;
    if (callsCallback[i] || iterNext[i]) p[i] = 1;
  });
  return p;
}

const bit = (r: number): number => 1 << r;
const R1_R5 = 0b111110;
const R0_R5 = 0b111111;

/** Registers read and written by one instruction (a call reads r1-r5 and writes r0-r5). */
function useDef(ins: Insn, def: OpDef): [number, number] {
  switch (def.kind) {
    case "alu":
      if (def.op === "mov") return [def.reg ? bit(ins.src) : 0, bit(ins.dst)];
      return [bit(ins.dst) | (def.reg ? bit(ins.src) : 0), bit(ins.dst)];
    case "neg":
    case "end": return [bit(ins.dst), bit(ins.dst)];
    case "movsx": return [bit(ins.src), bit(ins.dst)];
    case "jcond": return [bit(ins.dst) | (def.reg ? bit(ins.src) : 0), 0];
    case "ldx": return [bit(ins.src), bit(ins.dst)];
    case "st": return [bit(ins.dst), 0];
    case "stx": return [bit(ins.dst) | bit(ins.src), 0];
    case "atomic": {
      const use = bit(ins.dst) | bit(ins.src) | (def.aop === "cmpxchg" ? bit(0) : 0);
      const out = def.fetch ? (def.aop === "cmpxchg" ? bit(0) : bit(ins.src)) : 0;
      return [use, out];
    }
    case "lddw": return [0, bit(ins.dst)];
    case "ldpkt": return [bit(6) | (def.ind ? bit(ins.src) : 0), R0_R5];
    case "call":
    case "callx": return [R1_R5 | (def.kind === "callx" ? bit(ins.dst) : 0), R0_R5];
    case "exit": return [bit(0), 0];
    case "ja":
    case "maygoto": return [0, 0];
  }
}

/**
 * Backward dataflow to a fixpoint: live-in = use ∪ (live-out − def). r10 is always live. A helper
 * call reads only its arguments (as check_helper_call does); a call of a subprogram reads the
 * argument registers the subprogram reads before writing (its entry's live-in), found by the
 * same fixpoint. A call of a global function reads all of r1-r5 (as the kernel's
 * compute_live_registers counts any subprogram call): its arguments are checked at the call.
 */
function liveness(
  insns: readonly Insn[],
  defs: ReadonlyArray<OpDef | undefined>,
  succ: number[][],
  helperArgs: HelperArgs,
  globalTarget?: (target: number) => boolean,
): Uint16Array {
  const n = insns.length;
  const live = new Uint16Array(n);
  const ud = defs.map((d, i) => (d ? useDef(insns[i]!, d) : ([0, 0] as [number, number])));
  const callee = new Int32Array(n).fill(-1);
  defs.forEach((d, i) => {
    if (d?.kind !== "call") return;
    if (d.target === "local") {
      if (!globalTarget?.(localCallTarget(insns, i))) callee[i] = localCallTarget(insns, i);
    }
    else {
      const args = helperArgs(insns[i]!.imm)?.length;
      if (args !== undefined) ud[i] = [R1_R5 & ((1 << (args + 1)) - 2), R0_R5];
    }
  });
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      if (!defs[i]) continue;
      let out = 0;
      for (const s of succ[i]!) out |= live[s] ?? 0;
      const [ownUse, def] = ud[i]!;
      const use = callee[i]! >= 0 ? live[callee[i]!]! & R1_R5 : ownUse;
      const v = (use | (out & ~def) | bit(10)) & 0x7ff;
      if (v !== live[i]) {
        live[i] = v;
        changed = true;
      }
    }
  }
  return live;
}

/**
 * The registers of frame k that matter while a callee (frame k + 1) runs: those live where
 * frame k resumes. After a subprogram call that is the instruction after the call, with r0-r5
 * written by the return; after a callback, the helper call itself, which reads its arguments
 * again (the callback's return does not touch the caller's registers).
 */
export function callerLive(cfg: Cfg, frames: readonly Frame[], k: number): number {
  const callee = frames[k + 1]!;
  return callee.callback ? cfg.liveIn[callee.callsite]! : cfg.liveIn[callee.callsite + 1]! & ~0x3f;
}

/**
 * check_max_stack_depth: the deepest chain of calls must fit in 512 bytes. Frames are rounded
 * as round_up_stack_depth does with the JIT on (16 bytes, a frame with no stack counts 0), as on
 * every kernel that JITs (and this runtime gives each frame its own 512 bytes anyway); the
 * kernel's interpreter rounds to 32 with at least 32 per frame. Async callbacks (timer.ts) run on
 * a stack of their own: each is a chain's root, not a callee of the subprogram that names it —
 * unless it calls it directly too ("async callbacks don't increase bpf prog stack size unless
 * called directly", check_max_stack_depth_subprog).
 */
export function checkCombinedStack(cfg: Cfg, depth: readonly number[], roots: ReadonlySet<number> = new Set()): void {
  const round = (d: number): number => Math.ceil(d / 16) * 16;
  // `at`: the call that entered `sub` (a root: its first instruction), which a refusal names.
  const walk = (sub: number, at: number, total: number, frames: number): void => {
    // A tail call unwinds only its own frame: the callers' frames stay under the next program.
    // With at most 256 bytes of them per program, 33 chained programs stay within 8 KiB of stack.
    if (sub !== 0 && cfg.tailCallAt[sub]! >= 0 && total >= 256) {
      reject(`tail_calls are not allowed when call stack of previous frames is ${total} bytes. Too large`, cfg.tailCallAt[sub]!);
    }
    const t = total + round(depth[sub]!);
    if (t > 512) reject(`combined stack size of ${frames} calls is ${t}. Too large`, at);
    for (const { sub: c, direct, at: call } of cfg.callees[sub]!) {
      if (roots.has(c) && !direct) continue;
      // A 9th frame: the walk's frame index reaches MAX_CALL_FRAMES (the kernel prints that
      // index). Paths catch this at the call, but a global function's callees are not walked
      // from its callers' paths (global-funcs.ts), so only this graph walk sees their chain.
      if (frames >= MAX_CALL_FRAMES) reject(`the call stack of ${frames} frames is too deep !`, call);
      walk(c, call, t, frames + 1);
    }
  };
  walk(0, 0, 0, 1);
  for (const root of roots) walk(root, cfg.subprogs[root]!.start, 0, 1);
}
