// What one loaded program keeps between runs: the prepared instruction stream (see prepare.ts)
// and a register file, call frames, views of the memory and the run's regions. Allocated once
// per loaded program so that a run allocates nothing.

import type { HelperContext, HelperDef, HelperTable } from "../helpers/registry.js";
import type { MapDescriptor } from "../maps/descriptor.js";
import type { Insn } from "../isa/instruction.js";
import { STACK_FRAMES } from "../isa/opcodes.js";
import type { OpDef } from "../isa/table.js";
import { RegionSet } from "./regions.js";

/** A program turned into the interpreter's form. */
export interface Prepared {
  /**
   * Four int32 words per instruction slot, plus one `exit` slot at the end (exitSlot):
   *   [0] handler (Op) | dst << 8 | src << 12
   *   [1] memory offset, or the absolute target slot of a jump or local call
   *   [2] imm (low word of lddw)
   *   [3] imm sign-extended to the high word (high word of lddw)
   */
  readonly code: Int32Array;
  readonly insns: readonly Insn[];
  /** describe() of each slot; undefined for lddw's second slot. */
  readonly defs: ReadonlyArray<OpDef | undefined>;
  /** Helper called at a slot (call with src = 0), resolved at load. */
  readonly helperAt: ReadonlyArray<HelperDef | undefined>;
  /** For callx, whose helper id is only known at run time. */
  readonly helpers: HelperTable;
  /** Executed instructions after which a run stops (runaway loops). */
  readonly maxInsns: number;
  /** A synthetic `exit` slot after the program (code has insns.length + 2 slots). */
  readonly exitSlot: number;
  /** A synthetic LOOP_NEXT slot after that: where bpf_loop's callbacks return to (loop.ts). */
  readonly loopSlot: number;
  /** 1 at the slots that start a callback (a subprogram whose address some lddw func takes). */
  readonly callbacks: Uint8Array;
}

/** What a frame's LOOP_NEXT continues: bpf_loop (loop.ts) or bpf_for_each_map_elem (for-each.ts). */
export const CallbackKind = { LOOP: 0, FOR_EACH: 1 } as const;

/** Where a tail call goes: the prepared target, or undefined to fall through (tailcall.ts). */
export interface TailCallTargets {
  next(st: RunState): Prepared | undefined;
}

/** Registers r6..r10 (lo and hi) saved per call frame. */
export const SAVED_PER_FRAME = 10;

export class RunState {
  /** Registers r0..r10 as int32 halves; 16 entries so that a 4-bit field indexes safely. */
  readonly lo = new Int32Array(16);
  readonly hi = new Int32Array(16);
  /** Return slot and callee-saved registers of each active caller frame. */
  readonly frameRet = new Int32Array(STACK_FRAMES);
  readonly frameRegs = new Int32Array(STACK_FRAMES * SAVED_PER_FRAME);
  /** The program each active caller frame runs (a tail call may switch programs mid-chain). */
  readonly frameProg: Array<Prepared | undefined> = new Array(STACK_FRAMES).fill(undefined);
  /**
   * The depth each active caller frame's program started at: 0, or where a tail call put it.
   * A program's own calls may go MAX_CALL_FRAMES deep from there.
   */
  readonly frameBase = new Int32Array(STACK_FRAMES);
  /**
   * may_goto's budget in each active frame (by depth): set to MAY_GOTO_LOOPS when the frame is
   * entered, as the kernel's prologue stores BPF_MAX_LOOPS in the frame's hidden slot.
   */
  readonly mayGoto = new Int32Array(STACK_FRAMES);
  /** Tail calls of the machine (undefined: the machine has no maps, so `call 12` cannot load). */
  tail: TailCallTargets | undefined = undefined;
  /** Tail calls taken in the current run (kernel tail_call_cnt). */
  tailCalls = 0;
  /**
   * bpf_loop in progress in each active caller frame (by its depth, loop.ts): the index of the
   * iteration running, nr_loops, the callback's slot, callback_ctx and where the loop returns.
   */
  readonly loopIndex = new Int32Array(STACK_FRAMES);
  readonly loopCount = new Int32Array(STACK_FRAMES);
  readonly loopTarget = new Int32Array(STACK_FRAMES);
  readonly loopCtxLo = new Int32Array(STACK_FRAMES);
  readonly loopCtxHi = new Int32Array(STACK_FRAMES);
  readonly loopRet = new Int32Array(STACK_FRAMES);
  /**
   * Which helper's callback each frame runs (CallbackKind), and for bpf_for_each_map_elem
   * (for-each.ts) the map walked and where the walk stands: the array index, or the hash bucket
   * and element. loopIndex counts its callback calls; loopTarget, loopCtx and loopRet serve both.
   */
  readonly loopKind = new Uint8Array(STACK_FRAMES);
  readonly walkMap: Array<MapDescriptor | undefined> = new Array(STACK_FRAMES).fill(undefined);
  readonly walkPos = new Int32Array(STACK_FRAMES);
  readonly walkElem = new Int32Array(STACK_FRAMES);
  readonly regions = new RegionSet();
  readonly memory: WebAssembly.Memory;
  buffer!: ArrayBufferLike;
  view!: DataView;
  i32!: Int32Array;
  i64!: BigInt64Array;
  /** r10 of frame 0: one past the CPU's highest stack byte. */
  stackTop = 0;
  helperCtx: HelperContext;
  /** Instructions executed by the last run (lddw counts once). */
  count = 0;

  constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
    this.helperCtx = { memory, cpu: 0 };
    this.refresh();
  }

  /**
   * Re-create the views if the memory grew: growing a non-shared memory detaches the old buffer
   * (byteLength 0). Checking that is cheaper than reading memory.buffer on every run. A grown
   * shared memory keeps the old, shorter views, so new bytes are refused as outside memory.
   */
  refresh(): void {
    if (this.buffer !== undefined && this.buffer.byteLength !== 0) return;
    const buffer = this.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    this.view = new DataView(buffer);
    this.i32 = new Int32Array(buffer);
    this.i64 = new BigInt64Array(buffer);
  }

  setCpu(cpu: number, stackTop: number): void {
    if (this.helperCtx.cpu !== cpu) this.helperCtx = { memory: this.memory, cpu };
    this.stackTop = stackTop;
  }
}
