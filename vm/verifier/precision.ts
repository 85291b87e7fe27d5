// Precision tracking (the kernel's mark_chain_precision, backtrack_insn, propagate_precision).
//
// Pruning compares a state with a checkpoint proven safe. Comparing every scalar's range makes
// states differ for values nothing depended on (a byte read from the packet and returned, a
// counter). So scalars in checkpoints start imprecise — any scalar matches them — and become
// precise when some path after the checkpoint used the value in a way that decided safety:
//   - as the offset added to a pointer (alu.ts);
//   - as a helper's size or allocation size, or a NULL that a helper allows (helpers.ts);
//   - in a conditional jump the facts decided, so that one side was not explored (branch.ts);
//   - as a map key whose constant value made a lookup non-null (helpers.ts, stack slots).
// From such a use the verifier walks back along the path's history (state.ts PathStep: jumps,
// stack accesses, linked scalars) to find where the value came from — `r1 = r2` makes r2
// wanted, `r1 = *(fp - 8)` the spilled slot, `r1 += r3` both — and marks what is wanted
// precise in each checkpoint it passes (in every caller frame too, across calls and returns).
// A path pruned by a checkpoint inherits that checkpoint's precise scalars the same way.
//
// Only checkpoints whose every path has finished prune (verifier.ts), so their marks are final.
// Anything the walk does not understand marks every scalar of every checkpoint above precise:
// always sound, merely slower.

import type { Env } from "./env.js";
import { LINKED_ENTRY, STACK_ENTRY, Step, type Frame, type PathStep, type VState } from "./state.js";
import { callerLive, type Cfg } from "./cfg.js";

const MAX_FRAMES = 8;

/** Registers (bits r0-r9) and stack slots (64 per frame) whose values are wanted precise. */
class Wanted {
  readonly regs = new Int32Array(MAX_FRAMES);
  readonly slotsLo = new Int32Array(MAX_FRAMES); // slots 0-31
  readonly slotsHi = new Int32Array(MAX_FRAMES); // slots 32-63

  reset(): this {
    this.regs.fill(0);
    this.slotsLo.fill(0);
    this.slotsHi.fill(0);
    return this;
  }

  empty(): boolean {
    for (let f = 0; f < MAX_FRAMES; f++) if (this.regs[f] || this.slotsLo[f] || this.slotsHi[f]) return false;
    return true;
  }

  hasReg(f: number, r: number): boolean {
    return (this.regs[f]! & (1 << r)) !== 0;
  }

  setReg(f: number, r: number): void {
    if (r < 10) this.regs[f]! |= 1 << r;
  }

  clearReg(f: number, r: number): void {
    this.regs[f]! &= ~(1 << r);
  }

  hasSlot(f: number, k: number): boolean {
    return k < 32 ? (this.slotsLo[f]! & (1 << k)) !== 0 : (this.slotsHi[f]! & (1 << (k - 32))) !== 0;
  }

  setSlot(f: number, k: number): void {
    if (k < 32) this.slotsLo[f]! |= 1 << k;
    else this.slotsHi[f]! |= 1 << (k - 32);
  }

  clearSlot(f: number, k: number): void {
    if (k < 32) this.slotsLo[f]! &= ~(1 << k);
    else this.slotsHi[f]! &= ~(1 << (k - 32));
  }

  hasSlots(f: number): boolean {
    return this.slotsLo[f] !== 0 || this.slotsHi[f] !== 0;
  }

  /** Packed entry of a LINKED_ENTRY: register frame * 16 + r, or slot 1024 + frame * 64 + k. */
  hasPacked(p: number): boolean {
    return p >= 1024 ? this.hasSlot((p - 1024) >> 6, (p - 1024) & 63) : this.hasReg(p >> 4, p & 15);
  }

  setPacked(p: number): void {
    if (p >= 1024) this.setSlot((p - 1024) >> 6, (p - 1024) & 63);
    else this.setReg(p >> 4, p & 15);
  }
}

/** One set, reused: a walk never starts while another is under way. */
const WANTED = new Wanted();

/** Register `regno` of the current frame is used in a way that decides safety. */
export function markPrecise(env: Env, st: VState, regno: number): void {
  const r = st.regs[regno]!;
  if (r.type !== "scalar" || !st.parent) return;
  const w = WANTED.reset();
  w.setReg(st.frames.length - 1, regno);
  backtrack(env, st, w);
}

/** Stack slots [lo, hi) (frame offsets) of frame `frame` are read in a way that decides safety. */
export function markStackPrecise(env: Env, st: VState, frame: number, lo: number, hi: number): void {
  if (!st.parent) return;
  const w = WANTED.reset();
  for (let k = slotOf(hi - 1); k <= slotOf(lo); k++) w.setSlot(frame, k);
  backtrack(env, st, w);
}

const slotOf = (off: number): number => (-off - 1) >> 3;

/**
 * propagate_precision: `st` is pruned by checkpoint `old`; what `old`'s safety relied on (its
 * precise scalars that were compared) must hold on `st`'s path too.
 */
export function propagatePrecision(env: Env, cfg: Cfg, old: VState, st: VState): void {
  if (!st.parent) return;
  const w = WANTED.reset();
  const top = old.frames.length - 1;
  old.frames.forEach((f, k) => {
    const live = k === top ? cfg.liveIn[st.pc]! : callerLive(cfg, old.frames, k);
    for (let r = 0; r < 10; r++) {
      const reg = f.regs[r]!;
      if ((live & (1 << r)) !== 0 && reg.type === "scalar" && reg.precise) w.setReg(k, r);
    }
    for (let s = 0; s < f.slotsUsed; s++) {
      const sp = f.spills[s];
      if (sp && sp.type === "scalar" && sp.precise) w.setSlot(k, s);
    }
  });
  if (!w.empty()) backtrack(env, st, w);
}

/** Walk back from st's current instruction, marking checkpoints (__mark_chain_precision). */
function backtrack(env: Env, st: VState, w: Wanted): void {
  let pos = st.pc;
  let head = st.path;
  let frame = st.frames.length - 1;
  let cp = st.parent;
  // Entries the current instruction has already recorded are not yet history for it.
  while (head && head.to < 0 && head.from === pos) head = head.prev;
  for (;;) {
    if (!cp) return; // no checkpoint left to mark
    if (pos === cp.insn && head === cp.state.path) {
      if (frame !== cp.state.frames.length - 1) return markAll(st);
      if (!markIn(env, cp.state, w, frame)) return;
      cp = cp.parent;
      continue;
    }
    // The instruction executed before `pos`.
    let prev: number;
    if (head && head.to === pos) {
      prev = head.from;
      const kind = head.slot;
      head = head.prev;
      const def = env.defs[prev]!;
      if (kind === Step.CALLBACK_ENTRY) {
        // `pos` is a callback's first instruction, entered from the helper call at `prev`
        // before the call took effect: back into the caller, at that call.
        if (!callbackToCaller(w, frame)) return markAll(st);
        frame--;
        pos = prev;
        continue;
      }
      if (kind === Step.CALLBACK_RETURN) {
        // `pos` is the helper call a callback returned to: back into the callback's frame.
        if (!callbackToCallee(w, frame)) return markAll(st);
        frame++;
      } else if (def.kind === "call" && def.target === "local") {
        // `pos` is a subprogram's first instruction: back into the caller's frame.
        if (!toCaller(w, frame)) return markAll(st);
        frame--;
      } else if (def.kind === "exit" || kind === Step.EARLY_RETURN) {
        // `pos` follows a call that returned (at an exit, through a tail call, or a failed
        // LD_ABS): back into the callee's frame.
        if (!toCallee(w, frame)) return markAll(st);
        frame++;
      }
    } else {
      prev = pos - 1;
      if (prev >= 0 && env.defs[prev] === undefined) prev--; // the second slot of an lddw
      if (prev < 0) return markAll(st); // history and checkpoints disagree: be safe
      // A local call stepped over is a global function's (global-funcs.ts): backtrack_insn's
      // subprog_is_global case — r0 is a fresh unknown scalar, r1-r5 cannot be wanted after it.
      const d = env.defs[prev]!;
      if (d.kind === "call" && d.target === "local") {
        if ((w.regs[frame]! & 0b111110) !== 0) return markAll(st);
        w.clearReg(frame, 0);
      }
    }
    let stack: PathStep | undefined;
    let linked: PathStep | undefined;
    while (head && head.to < 0 && head.from === prev) {
      if (head.to === STACK_ENTRY) stack = head;
      else if (head.to === LINKED_ENTRY) linked = head;
      head = head.prev;
    }
    if (linked) syncLinked(w, linked);
    if (!backtrackInsn(env, prev, frame, stack, w)) return markAll(st);
    if (linked) syncLinked(w, linked);
    if (w.empty()) return;
    pos = prev;
  }
}

/** Scalars that shared an id at a conditional jump were refined together: all or none. */
function syncLinked(w: Wanted, entry: PathStep): void {
  if (!entry.linked.some((p) => w.hasPacked(p))) return;
  for (const p of entry.linked) w.setPacked(p);
}

/** A subprogram's arguments r1-r5 are the caller's; nothing else exists at its entry. */
function toCaller(w: Wanted, frame: number): boolean {
  const regs = w.regs[frame]!;
  if ((regs & ~0b111110) !== 0 || w.hasSlots(frame) || frame === 0) return false;
  w.regs[frame - 1]! |= regs;
  w.regs[frame] = 0;
  return true;
}

/** After a return, r0 is the callee's; r1-r5 were scratched. */
function toCallee(w: Wanted, frame: number): boolean {
  const regs = w.regs[frame]!;
  if ((regs & 0b111110) !== 0 || frame + 1 >= MAX_FRAMES) return false;
  w.regs[frame + 1] = regs & 1;
  w.slotsLo[frame + 1] = 0;
  w.slotsHi[frame + 1] = 0;
  w.regs[frame]! &= ~1;
  return true;
}

/**
 * A callback's arguments (bpf_loop's index and callback_ctx, bpf_for_each_map_elem's map, key,
 * value and callback_ctx) are made by the helper, not passed from the caller's registers: as
 * backtrack_insn's is_sync_callback_calling_insn case, wanted r1-r5 are dropped at the callback's
 * entry, not carried into the caller. The caller's own registers were not touched by the
 * callback. Wanted stack slots there are -ENOTSUPP for the kernel (all scalars made precise).
 */
function callbackToCaller(w: Wanted, frame: number): boolean {
  const regs = w.regs[frame]!;
  if ((regs & ~0b111110) !== 0 || w.hasSlots(frame) || frame === 0) return false;
  w.regs[frame] = 0;
  return true;
}

/** Returning from a callback changes none of the caller's registers; its r0 is not passed on. */
function callbackToCallee(w: Wanted, frame: number): boolean {
  if (frame + 1 >= MAX_FRAMES) return false;
  w.regs[frame + 1] = 0;
  w.slotsLo[frame + 1] = 0;
  w.slotsHi[frame + 1] = 0;
  return true;
}

/**
 * backtrack_insn: what instruction `i` (in `frame`) means for the wanted set, going backwards.
 * False when it cannot say (the caller then marks everything).
 */
function backtrackInsn(env: Env, i: number, frame: number, stack: PathStep | undefined, w: Wanted): boolean {
  const ins = env.insns[i]!;
  const def = env.defs[i]!;
  const { dst, src } = ins;
  switch (def.kind) {
    case "alu":
      if (!w.hasReg(frame, dst)) return true;
      if (def.op === "mov") {
        w.clearReg(frame, dst);
        if (def.reg) w.setReg(frame, src);
      } else if (def.reg) {
        w.setReg(frame, src);
      }
      return true;
    case "neg":
    case "end":
    case "ja":
    case "maygoto": // reads no register
    case "exit":
      return true;
    case "movsx":
      if (w.hasReg(frame, dst)) {
        w.clearReg(frame, dst);
        w.setReg(frame, src);
      }
      return true;
    case "ldx":
      if (!w.hasReg(frame, dst)) return true;
      w.clearReg(frame, dst);
      // A load from the stack gives what the slot held (a spilled scalar, its constant bytes).
      if (stack) w.setSlot(stack.slot >> 6, stack.slot & 63);
      return true;
    case "st":
    case "stx": {
      if (w.hasReg(frame, dst)) return false; // a wanted scalar as a base address: not understood
      if (!stack) return true;
      const f = stack.slot >> 6;
      const k = stack.slot & 63;
      if (!w.hasSlot(f, k)) return true;
      // A store of the whole slot is where its value came from; a narrower one gave some of its
      // bytes, and older stores may have given the others.
      if (def.bytes === 8) w.clearSlot(f, k);
      if (def.kind === "stx") w.setReg(frame, src);
      return true;
    }
    case "atomic": {
      if (w.hasReg(frame, dst)) return false;
      // A fetched value comes from memory as an unknown scalar; the slot is just written.
      const out = def.fetch ? (def.aop === "cmpxchg" ? 0 : src) : -1;
      if (out >= 0) w.clearReg(frame, out);
      if (stack) w.clearSlot(stack.slot >> 6, stack.slot & 63);
      return true;
    }
    case "lddw":
      w.clearReg(frame, dst);
      return true;
    case "ldpkt":
      if ((w.regs[frame]! & 0b111110) !== 0) return false;
      w.clearReg(frame, 0);
      return true;
    case "jcond":
      // dst <op> src refined both from each other: both or neither (K: nothing new).
      if (def.reg && (w.hasReg(frame, dst) || w.hasReg(frame, src))) {
        w.setReg(frame, dst);
        w.setReg(frame, src);
      }
      return true;
    case "call":
      if (def.target === "local") return true; // the frame change was made at the callee's entry
      // A helper: r0 is its result, r1-r5 are scratched after it.
      if ((w.regs[frame]! & 0b111110) !== 0) return false;
      w.clearReg(frame, 0);
      return true;
    case "callx":
      return false;
  }
}

/**
 * Mark what is wanted precise in checkpoint state `cp` (frames 0..frame). Wanted values that are
 * not scalars, or already precise (their origins were marked when they were), are dropped.
 * Returns whether anything is still wanted further back.
 */
function markIn(env: Env, cp: VState, w: Wanted, frame: number): boolean {
  for (let f = 0; f <= frame; f++) {
    const fr = cp.frames[f]!;
    const regs = w.regs[f]!;
    for (let r = 0; r < 10; r++) {
      if ((regs & (1 << r)) === 0) continue;
      const reg = fr.regs[r]!;
      if (reg.type !== "scalar" || reg.precise) w.clearReg(f, r);
      else {
        fr.regs[r] = { ...reg, precise: true };
        env.precisionMarks++;
      }
    }
    if (!w.hasSlots(f)) continue;
    for (let k = 0; k < 64; k++) {
      if (!w.hasSlot(f, k)) continue;
      // The slot's value: a spilled scalar, and constant bytes written by plain stores (beside
      // a narrow spill, or instead of one). What gets marked here is compared from now on, and
      // its origin (the stores before this checkpoint) is still wanted.
      let marked = false;
      const sp = fr.spills[k];
      if (sp && sp.type === "scalar" && !sp.precise) {
        fr.own();
        fr.spills[k] = { ...sp, precise: true };
        marked = true;
      }
      if (!fr.knownPrecise(k) && fr.slotHasKnown(k)) {
        fr.markKnownPrecise(k);
        marked = true;
      }
      if (marked) env.precisionMarks++;
      else w.clearSlot(f, k);
    }
  }
  return !w.empty();
}

/** mark_all_scalars_precise: every scalar of every checkpoint above st. */
export function markAll(st: VState): void {
  for (let cp = st.parent; cp; cp = cp.parent) {
    for (const fr of cp.state.frames) markFrameAll(fr);
  }
}

function markFrameAll(fr: Frame): void {
  fr.knownPreciseLo = fr.knownPreciseHi = -1;
  for (let r = 0; r < 10; r++) {
    const reg = fr.regs[r]!;
    if (reg.type === "scalar" && !reg.precise) fr.regs[r] = { ...reg, precise: true };
  }
  for (let k = 0; k < fr.slotsUsed; k++) {
    const sp = fr.spills[k];
    if (sp && sp.type === "scalar" && !sp.precise) {
      fr.own();
      fr.spills[k] = { ...sp, precise: true };
    }
  }
}
