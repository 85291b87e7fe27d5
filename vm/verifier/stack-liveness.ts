// Stack slot liveness (the kernel's kernel/bpf/liveness.c, 6.18): which 8-byte stack slots some
// path may still read, at or after an instruction, before writing them. Pruning (prune.ts) then
// ignores the other slots of a checkpoint proven safe: what a dead slot holds cannot change
// anything that happens after it. Without this, every slot ever written had to match — loop
// counters and scratch buffers left on the stack kept states apart, and a program such as the
// selftests' cls_redirect took 3× the kernel's processed instructions.
//
// As the kernel's, the analysis is path-insensitive and call-chain sensitive. While paths are
// explored, each (call chain, instruction) gathers the slots it may read (a union over every
// visit) and the slots it surely writes (an intersection: only whole 8-byte fixed-offset
// stores count). A textbook backward data flow over the subprogram's instructions then gives
//
//   live_before[i] = (∪ live_before[s] for s in succ(i)) \ must_write[i] ∪ may_read[i]
//
// per frame of the chain (a callee may read its callers' stacks through pointers). A callee's
// entry carries its reads of the caller frames to the call instruction of its caller's chain,
// and the slots it writes on every path (must_write_acc) become the call's writes.
//
// Only checkpoints whose paths are all explored (Checkpoint.branches = 0) are queried, as the
// kernel cleans only those (clean_live_states): every read after them is recorded by then.
// Recomputation is lazy: a query first brings every chain whose marks changed up to date,
// deepest first, so that callees' reads have reached their callers.

import type { Cfg } from "./cfg.js";
import type { Frame, VState } from "./state.js";

/** Stack slots as a 64-bit set: slot k (frame offsets [-8k-8, -8k)) is bit k, in two halves. */
export interface SlotMask {
  lo: number;
  hi: number;
}

/** The most frames a call chain has (MAX_CALL_FRAMES). */
const MAX_FRAMES = 8;

interface Writes {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
}

/** One frame's marks over the instructions of the chain's subprogram (indices relative to its start). */
class FrameMarks {
  readonly mayLo: Int32Array;
  readonly mayHi: Int32Array;
  readonly writeLo: Int32Array;
  readonly writeHi: Int32Array;
  readonly accLo: Int32Array;
  readonly accHi: Int32Array;
  readonly liveLo: Int32Array;
  readonly liveHi: Int32Array;

  constructor(n: number) {
    this.mayLo = new Int32Array(n);
    this.mayHi = new Int32Array(n);
    this.writeLo = new Int32Array(n);
    this.writeHi = new Int32Array(n);
    this.accLo = new Int32Array(n);
    this.accHi = new Int32Array(n);
    this.liveLo = new Int32Array(n);
    this.liveHi = new Int32Array(n);
  }
}

/** The marks of one call chain (the kernel's func_instance): its subprogram, as called this way. */
class Instance {
  readonly frames: Array<FrameMarks | undefined>;
  /** Instructions visited at least once, whose must_write is an intersection from then on. */
  readonly writeSeen: Uint8Array;
  /** A must_write set shrank: must_write_acc must be recomputed from nothing. */
  writeDropped = false;

  constructor(
    /** Frames of the chain less one: frame `depth` runs this instance's subprogram. */
    readonly depth: number,
    readonly start: number,
    readonly end: number,
    /** The caller's chain (depth - 1) and the instruction there that called this one. */
    readonly outer: Instance | undefined,
    readonly callsite: number,
  ) {
    this.frames = new Array(depth + 1).fill(undefined);
    this.writeSeen = new Uint8Array(end - start);
  }

  marks(frame: number): FrameMarks {
    return (this.frames[frame] ??= new FrameMarks(this.end - this.start));
  }
}

/** Bits [a, b] of a 64-bit slot set (0 <= a <= b < 64). */
function rangeMask(a: number, b: number, out: SlotMask): SlotMask {
  const bits = (from: number, to: number): number => (to < from ? 0 : to - from === 31 ? -1 : ((1 << (to - from + 1)) - 1) << from);
  out.lo = a < 32 ? bits(a, Math.min(b, 31)) : 0;
  out.hi = b >= 32 ? bits(Math.max(a, 32) - 32, b - 32) : 0;
  return out;
}

export class StackLiveness {
  private readonly chains = new Map<string, Instance>();
  /** Chains whose may_read grew beyond live_before, or whose must_write changed: to recompute. */
  private readonly dirty = new Set<Instance>();
  private readonly scratch: SlotMask = { lo: 0, hi: 0 };
  /** The state whose instruction is being simulated, its instruction, and its chain once known. */
  private st: VState | undefined;
  private pc = 0;
  private cur: Instance | undefined;
  /**
   * Whole slots the instruction wrote, per frame (all 0 between stores: commit() clears them); and
   * the same for a call's callee (propagate).
   */
  private readonly wrote = { lo: new Int32Array(MAX_FRAMES), hi: new Int32Array(MAX_FRAMES) };
  private readonly calleeWrote = { lo: new Int32Array(MAX_FRAMES), hi: new Int32Array(MAX_FRAMES) };

  constructor(private readonly cfg: Cfg) {}

  /** An instruction of `st` is about to be simulated. */
  begin(st: VState): void {
    this.st = st;
    this.pc = st.pc;
    this.cur = undefined;
  }

  /** The instruction may read the bytes [lo, hi) (frame offsets) of frame `frame`'s stack. */
  read(frame: number, lo: number, hi: number): void {
    if (hi <= lo) return;
    const inst = this.current();
    const m = rangeMask((-hi) >> 3, (-lo - 1) >> 3, this.scratch);
    this.markRead(inst, frame, this.pc - inst.start, m.lo, m.hi);
  }

  /** The instruction wrote the whole slot at frame offset `off` (a multiple of 8) of frame `frame`. */
  write(frame: number, off: number): void {
    const k = (-off - 1) >> 3;
    if (k < 32) this.wrote.lo[frame]! |= 1 << k;
    else this.wrote.hi[frame]! |= 1 << (k - 32);
  }

  /**
   * The instruction is done, and its frames are still those it began with (a local call's writes
   * come from its callee instead: propagate()). Every visit of an instruction that may store
   * commits, even one that wrote nothing, so that must_write stays an intersection over all; only
   * stores write(), so clearing the marks here leaves them 0 for the next store.
   */
  commit(): void {
    const inst = this.current();
    this.commitWrites(inst, this.pc - inst.start, this.wrote);
    this.wrote.lo.fill(0);
    this.wrote.hi.fill(0);
  }

  /**
   * The slots of frame `k` that may be read after checkpoint state `st` (at st.pc), where the
   * chain runs on after returns: after each call on the way (bpf_stack_slot_alive), or at the
   * helper call itself when the frame above is a callback (the helper may call it again).
   */
  live(st: VState, k: number, out: SlotMask): SlotMask {
    this.settle();
    out.lo = 0;
    out.hi = 0;
    const chain = this.chainOf(st.frames, st.frames.length - 1);
    this.addLive(chain, st.pc, k, out);
    let inst: Instance | undefined = chain;
    for (let i = st.frames.length - 2; i >= k && inst; i--) {
      const callee = st.frames[i + 1]!;
      inst = inst.outer;
      if (inst) this.addLive(inst, callee.callback ? callee.callsite : callee.callsite + 1, k, out);
    }
    return out;
  }

  private addLive(inst: Instance, pc: number, k: number, out: SlotMask): void {
    const m = inst.frames[k];
    if (!m || pc < inst.start || pc >= inst.end) return;
    out.lo |= m.liveLo[pc - inst.start]!;
    out.hi |= m.liveHi[pc - inst.start]!;
  }

  private current(): Instance {
    return (this.cur ??= this.chainOf(this.st!.frames, this.st!.frames.length - 1));
  }

  /** The instance of the chain of frames[0..depth] (compute_callchain: callsites and subprograms). */
  private chainOf(frames: readonly Frame[], depth: number): Instance {
    let key = `${frames[0]!.subprog}`;
    for (let i = 1; i <= depth; i++) key += `,${frames[i]!.callsite}:${frames[i]!.subprog}`;
    let inst = this.chains.get(key);
    if (!inst) {
      const sub = this.cfg.subprogs[frames[depth]!.subprog]!;
      const outer = depth > 0 ? this.chainOf(frames, depth - 1) : undefined;
      inst = new Instance(depth, sub.start, sub.end, outer, depth > 0 ? frames[depth]!.callsite : -1);
      this.chains.set(key, inst);
    }
    return inst;
  }

  private markRead(inst: Instance, frame: number, idx: number, lo: number, hi: number): void {
    const m = inst.marks(frame);
    const mayLo = m.mayLo[idx]! | lo;
    const mayHi = m.mayHi[idx]! | hi;
    // Only a read not already live here can change anything (mark_stack_read).
    if ((mayLo | m.liveLo[idx]!) !== m.liveLo[idx] || (mayHi | m.liveHi[idx]!) !== m.liveHi[idx]) this.markDirty(inst);
    m.mayLo[idx] = mayLo;
    m.mayHi[idx] = mayHi;
  }

  private commitWrites(inst: Instance, idx: number, wrote: Writes): void {
    const seen = inst.writeSeen[idx] === 1;
    for (let f = 0; f <= inst.depth; f++) {
      let lo = wrote.lo[f]!;
      let hi = wrote.hi[f]!;
      if (lo === 0 && hi === 0 && !seen) continue;
      const m = inst.marks(f);
      const oldLo = m.writeLo[idx]!;
      const oldHi = m.writeHi[idx]!;
      if (seen) {
        lo &= oldLo;
        hi &= oldHi;
      }
      if (lo === oldLo && hi === oldHi) continue;
      m.writeLo[idx] = lo;
      m.writeHi[idx] = hi;
      this.markDirty(inst);
      if ((oldLo & ~lo) !== 0 || (oldHi & ~hi) !== 0) inst.writeDropped = true;
    }
    inst.writeSeen[idx] = 1;
  }

  private markDirty(inst: Instance): void {
    this.dirty.add(inst);
  }

  /** Recompute every changed chain, callees before their callers (bpf_update_live_stack). */
  private settle(): void {
    while (this.dirty.size > 0) {
      let deepest: Instance | undefined;
      for (const inst of this.dirty) if (!deepest || inst.depth > deepest.depth) deepest = inst;
      this.dirty.delete(deepest!);
      this.update(deepest!);
    }
  }

  /** update_instance: the fixed point of live_before and must_write_acc, then the caller's marks. */
  private update(inst: Instance): void {
    if (inst.writeDropped) {
      for (const m of inst.frames) {
        m?.accLo.fill(0);
        m?.accHi.fill(0);
      }
      inst.writeDropped = false;
    }
    const succ = this.cfg.succ;
    for (const m of inst.frames) {
      if (!m) continue;
      // Backwards over the instructions until nothing changes: loops take a few rounds.
      for (let changed = true; changed; ) {
        changed = false;
        for (let i = inst.end - 1; i >= inst.start; i--) {
          if (flowStep(m, succ[i]!, i - inst.start, inst.start)) changed = true;
        }
      }
    }
    if (inst.outer) this.propagate(inst, inst.outer);
  }

  /**
   * propagate_to_outer_instance: what the callee may read of its callers' frames from its entry
   * on is read by the call; what it writes there on every path is written by the call.
   */
  private propagate(inst: Instance, outer: Instance): void {
    const idx = inst.callsite - outer.start;
    const wrote = this.calleeWrote;
    wrote.lo.fill(0);
    wrote.hi.fill(0);
    for (let f = 0; f < inst.depth; f++) {
      const m = inst.frames[f];
      if (!m) continue;
      wrote.lo[f] = m.accLo[0]!;
      wrote.hi[f] = m.accHi[0]!;
      this.markRead(outer, f, idx, m.liveLo[0]!, m.liveHi[0]!);
    }
    this.commitWrites(outer, idx, wrote);
  }
}

/** update_insn for one frame's marks at relative index idx; true if anything changed. */
function flowStep(m: FrameMarks, succ: readonly number[], idx: number, start: number): boolean {
  if (succ.length === 0) return false;
  let afterLo = 0;
  let afterHi = 0;
  let accLo = -1;
  let accHi = -1;
  for (const s of succ) {
    afterLo |= m.liveLo[s - start]!;
    afterHi |= m.liveHi[s - start]!;
    accLo &= m.accLo[s - start]!;
    accHi &= m.accHi[s - start]!;
  }
  accLo |= m.writeLo[idx]!;
  accHi |= m.writeHi[idx]!;
  const liveLo = (afterLo & ~m.writeLo[idx]!) | m.mayLo[idx]!;
  const liveHi = (afterHi & ~m.writeHi[idx]!) | m.mayHi[idx]!;
  const changed = liveLo !== m.liveLo[idx] || liveHi !== m.liveHi[idx] || accLo !== m.accLo[idx] || accHi !== m.accHi[idx];
  m.liveLo[idx] = liveLo;
  m.liveHi[idx] = liveHi;
  m.accLo[idx] = accLo;
  m.accHi[idx] = accHi;
  return changed;
}
