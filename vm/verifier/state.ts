// The verifier's state on one path (the kernel's bpf_verifier_state / bpf_func_state): the call
// frames, each with its registers and its 512-byte stack, plus the references the path holds
// (ring-buffer records reserved and not yet submitted or discarded).

import { STACK_SIZE } from "../isa/opcodes.js";
import { NOT_INIT, pointer, type Reg } from "./regs.js";
import type { LoopVisit } from "./loops.js";
import type { HeldLock } from "./spin-lock.js";

/**
 * What a stack byte holds (the kernel's STACK_INVALID / STACK_SPILL / STACK_MISC / STACK_ZERO /
 * STACK_ITER: an open-coded iterator's state, described by the slot's `spills` entry, iter-slot.ts /
 * STACK_DYNPTR: half of a struct bpf_dynptr, described likewise, dynptr.ts).
 */
export const Slot = { INVALID: 0, SPILL: 1, MISC: 2, ZERO: 3, ITER: 4, DYNPTR: 5 } as const;

export const SLOTS = STACK_SIZE / 8;

export class Frame {
  /** The stack arrays are shared with another frame (copy-on-write: copied before a change). */
  private shared = false;
  /**
   * Checkpoints only (precision.ts): slots whose constant bytes (`known`, outside spills) some
   * path after the checkpoint relied on; pruning compares those bytes. Bit k = slot k.
   */
  knownPreciseLo = 0;
  knownPreciseHi = 0;
  /** Slots [0, slotsUsed) may have been written; the others are all INVALID, no spill. */
  slotsUsed = 0;
  /**
   * Callback iterations this frame has had explored since its last callback-calling helper call
   * went on without one (the kernel's bpf_func_state.callback_depth; callbacks.ts).
   */
  callbackDepth = 0;

  constructor(
    /** r0..r10. */
    public regs: Reg[],
    /** One entry per stack byte, index = 512 + frame offset (offset -1 is index 511). */
    public bytes: Uint8Array,
    /** Spilled registers, one per 8-byte slot (slot k covers offsets [-8k-8, -8k)). */
    public spills: Array<Reg | undefined>,
    /** The value of each stack byte when a constant was stored there, else -1. */
    public known: Int16Array,
    /** Call instruction that created the frame (-1 for the main program). */
    public readonly callsite: number,
    /** Index of the subprogram it runs. */
    public readonly subprog: number,
    /** Its own number (0 = main), as stack pointers name it. */
    public readonly frameno: number,
    /**
     * A callback called by a helper (bpf_loop) at `callsite`, not a subprogram called there: it
     * returns to the helper call itself, and its r0 is no value of the caller's (callbacks.ts).
     */
    public readonly callback = false,
  ) {}

  static fresh(callsite: number, subprog: number, frameno: number, callback = false): Frame {
    const regs = new Array<Reg>(11).fill(NOT_INIT);
    regs[10] = pointer("stack", { frame: frameno });
    return new Frame(regs, new Uint8Array(STACK_SIZE), new Array(SLOTS).fill(undefined), new Int16Array(STACK_SIZE).fill(-1), callsite, subprog, frameno, callback);
  }

  /** A copy; the stack is shared until either side writes to it (see own()). */
  clone(): Frame {
    const f = new Frame(this.regs.slice(), this.bytes, this.spills, this.known, this.callsite, this.subprog, this.frameno, this.callback);
    f.slotsUsed = this.slotsUsed;
    f.callbackDepth = this.callbackDepth;
    this.shared = true;
    f.shared = true;
    return f;
  }

  /** A write reaches down to frame offset `off` (negative). */
  touch(off: number): void {
    const k = ((-off - 1) >> 3) + 1;
    if (k > this.slotsUsed) this.slotsUsed = k;
  }

  /** Make the stack arrays this frame's own before changing them. */
  own(): void {
    if (!this.shared) return;
    this.bytes = this.bytes.slice();
    this.spills = this.spills.slice();
    this.known = this.known.slice();
    this.shared = false;
  }

  knownPrecise(k: number): boolean {
    return k < 32 ? (this.knownPreciseLo & (1 << k)) !== 0 : (this.knownPreciseHi & (1 << (k - 32))) !== 0;
  }

  markKnownPrecise(k: number): void {
    if (k < 32) this.knownPreciseLo |= 1 << k;
    else this.knownPreciseHi |= 1 << (k - 32);
  }

  /** Some byte of slot k (not spilled) holds a known constant. */
  slotHasKnown(k: number): boolean {
    const base = 512 - 8 * (k + 1);
    for (let b = base; b < base + 8; b++) if (this.known[b]! >= 0) return true;
    return false;
  }

  /** Both frames hold the very same stack arrays (so the stacks are equal). */
  sameStack(other: Frame): boolean {
    return this.bytes === other.bytes && this.spills === other.spills && this.known === other.known;
  }
}

export interface Reference {
  readonly id: number;
  readonly insn: number; // where it was acquired
}

/** A checkpoint kept for pruning (the kernel's explored states with their branch counts). */
export interface Checkpoint {
  readonly state: VState;
  readonly insn: number;
  /** Paths still being explored below this checkpoint; 0 = everything after it is safe. */
  branches: number;
  readonly parent: Checkpoint | undefined;
  hits: number;
  misses: number;
  /** Cheap digest of the live registers: states with different digests are not identical. */
  readonly digest: number;
  /** The callback loop visit it belongs to or opens (loops.ts). */
  visit: LoopVisit | undefined;
  /** Dropped while still being explored (misses): it never prunes, even once safe. */
  evicted: boolean;
}

/** PathStep.to of the entries that are not jumps. */
export const STACK_ENTRY = -1;
export const LINKED_ENTRY = -2;
/**
 * PathStep.slot of a jump that is a change of frame precision.ts must know of besides calls and
 * exits: entering a callback (from the helper call to the callback's first instruction),
 * returning from one (to the helper call), and returning from a subprogram without its exit
 * (from a taken `call 12` or a failed LD_ABS / LD_IND to the instruction after the subprogram's
 * call).
 */
export const Step = { CALLBACK_ENTRY: 1, CALLBACK_RETURN: 2, EARLY_RETURN: 3 } as const;

/**
 * What happened on the way here (the kernel's jmp_history), a linked list shared by the states
 * that branched from it: every jump taken (from -> to), and for precision tracking (precision.ts)
 * the stack slot each fixed-offset stack access touched (to = STACK_ENTRY, slot = frame * 64 + k)
 * and the scalars linked by id at a conditional jump (to = LINKED_ENTRY).
 */
export class PathStep {
  constructor(
    /** The instruction (a jump's source). */
    readonly from: number,
    /** A jump's target, or STACK_ENTRY / LINKED_ENTRY. */
    readonly to: number,
    readonly prev: PathStep | undefined,
    /** STACK_ENTRY: frame * 64 + slot. A jump: 0, or a Step. */
    readonly slot = 0,
    /** LINKED_ENTRY: the registers (frame * 16 + r) and spill slots (1024 + frame * 64 + k) sharing an id. */
    readonly linked: readonly number[] = [],
  ) {}
}

export class VState {
  /**
   * Callback entries on this path (the kernel's callback_unroll_depth): two states of different
   * iterations of a callback are not an infinite loop even when they are equal.
   */
  callbackUnroll = 0;
  /**
   * may_goto fall-throughs taken on this path (the kernel's may_goto_depth): states of two
   * iterations of a may_goto loop differ in it, which is what lets the loop converge
   * (is_state_visited) and keeps equal iterations from being an infinite loop.
   */
  mayGotoDepth = 0;
  /** The bpf_spin_lock this path holds (spin-lock.ts); at most one. */
  lock: HeldLock | undefined = undefined;

  constructor(
    public frames: Frame[],
    public refs: Reference[],
    public pc: number,
    public parent: Checkpoint | undefined,
    public path: PathStep | undefined,
  ) {}

  get frame(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  get regs(): Reg[] {
    return this.frame.regs;
  }

  clone(): VState {
    const st = new VState(this.frames.map((f) => f.clone()), this.refs.slice(), this.pc, this.parent, this.path);
    st.callbackUnroll = this.callbackUnroll;
    st.mayGotoDepth = this.mayGotoDepth;
    st.lock = this.lock;
    return st;
  }

  /** Every register and spilled register of every frame, for marking copies (ids). */
  mapRegs(f: (r: Reg) => Reg): void {
    for (const frame of this.frames) {
      for (let i = 0; i < frame.regs.length; i++) frame.regs[i] = f(frame.regs[i]!);
      for (let k = 0; k < frame.slotsUsed; k++) {
        const sp = frame.spills[k];
        if (!sp) continue;
        const r = f(sp);
        if (r === sp) continue;
        frame.own();
        frame.spills[k] = r;
      }
    }
  }
}

/**
 * The path as ranges of instructions, e.g. "0-6 -> 12-14": where the state came from. `entry`:
 * where it started (a global function verified on its own starts at its first instruction).
 */
export function pathString(path: PathStep | undefined, pc: number, entry = 0): string {
  const steps: PathStep[] = [];
  for (let p = path; p; p = p.prev) if (p.to >= 0) steps.push(p);
  steps.reverse();
  const parts: string[] = [];
  let start = entry;
  for (const s of steps) {
    parts.push(start === s.from ? `${start}` : `${start}-${s.from}`);
    start = s.to;
  }
  parts.push(start === pc ? `${pc}` : `${start}-${pc}`);
  const shown = parts.length > 24 ? ["…", ...parts.slice(-24)] : parts;
  return shown.join(" -> ");
}
