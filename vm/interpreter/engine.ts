// The reference interpreter as an Engine (vm/engine.ts). It is the oracle the JIT and the
// kernel are compared with: it checks every memory access against the run's stack and regions
// and stops runaway loops with an instruction budget, so a wrong program faults with a message
// instead of corrupting memory or hanging.

import { BpfError } from "../errors.js";
import { DEFAULT_MAX_INSNS, type BatchInput, type Engine, type LoadedProgram, type Machine, type Program, type RunInput } from "../engine.js";
import { toU64 } from "./arith64.js";
import { execute } from "./exec.js";
import { prepare } from "./prepare.js";
import { TailCalls } from "../helpers/tailcall.js";
import { RunState, type Prepared, type TailCallTargets } from "./state.js";
import { InterpreterTailCalls } from "./tailcall.js";

export { DEFAULT_MAX_INSNS } from "../engine.js";

export interface InterpreterOptions {
  /** Executed instructions after which a run stops with a BpfRuntimeError. */
  readonly maxInsns?: number;
}

/** A program loaded by the interpreter: also reports how many instructions the last run executed. */
export interface InterpretedProgram extends LoadedProgram {
  /** Instructions executed by the last run (lddw counts once); 0 before the first run. */
  readonly executed: number;
}

export class Interpreter implements Engine {
  readonly name = "interpreter";
  readonly maxInsns: number;

  constructor(options: InterpreterOptions = {}) {
    const max = options.maxInsns ?? DEFAULT_MAX_INSNS;
    if (!(Number.isSafeInteger(max) && max > 0)) throw new RangeError(`maxInsns must be a positive integer, got ${max}`);
    this.maxInsns = max;
  }

  async load(program: Program, machine: Machine): Promise<InterpretedProgram> {
    return this.loadSync(program, machine);
  }

  /** load() without the promise, for callers that time or batch many loads. */
  loadSync(program: Program, machine: Machine): InterpretedProgram {
    // Map references resolve against the maps as they are when each program is prepared (a
    // tail-call target may name a map created after this load).
    const load = (p: Program): Prepared => prepare(p.insns, machine.helpers, this.maxInsns, machine.maps?.describe());
    const loaded = new Loaded(load(program), machine);
    // Tail calls reach the machine's program table through its PROG_ARRAY maps; targets are
    // prepared on first use (the table may grow after this load).
    if (machine.maps) loaded.setTailCalls(new InterpreterTailCalls(new TailCalls(machine.maps, machine.programs), load));
    machine.timers?.bind(program, this);
    return loaded;
  }
}

export function interpreter(options: InterpreterOptions = {}): Interpreter {
  return new Interpreter(options);
}

class Loaded implements InterpretedProgram {
  private state: RunState | undefined;

  constructor(
    private readonly prepared: Prepared,
    private readonly machine: Machine,
  ) {
    this.state = new RunState(machine.memory);
  }

  setTailCalls(tail: TailCallTargets): void {
    if (this.state) this.state.tail = tail;
  }

  get executed(): number {
    return this.state?.count ?? 0;
  }

  run(input: RunInput = {}): bigint {
    const st = this.state;
    if (!st) throw new BpfError("program was disposed");
    const cpu = this.machine.layout.cpu(input.cpu ?? 0);
    st.refresh();
    st.regions.set(input.regions, st.buffer.byteLength);
    st.setCpu(cpu.cpu, cpu.stackTop);
    st.tailCalls = 0;
    enter(st, input.args, cpu.stackTop);
    execute(this.prepared, st);
    return toU64(st.lo[0]!, st.hi[0]!);
  }

  /**
   * Run over `count` packets described in memory (vm/engine.ts BatchInput). Each run may touch
   * its packet (writable), the context (read-only) and its stack.
   */
  runBatch(batch: BatchInput): void {
    const st = this.state;
    if (!st) throw new BpfError("program was disposed");
    const cpu = this.machine.layout.cpu(batch.cpu ?? 0);
    st.refresh();
    st.setCpu(cpu.cpu, cpu.stackTop);
    const view = st.view;
    const bytes = st.buffer.byteLength;
    const { descAddr, resultsAddr, count, ctx } = batch;
    checkSpan(descAddr, count * 8, bytes, "batch descriptors");
    checkSpan(resultsAddr, count * 8, bytes, "batch results");
    if (ctx) checkSpan(ctx.addr, Math.max(ctx.dataOff, ctx.dataEndOff) + 4, bytes, "batch context");
    const ctxEnd = ctx ? ctx.addr + Math.max(ctx.dataOff, ctx.dataEndOff) + 4 : 0;
    const { mapsBase, mapsSize } = this.machine.layout;
    const mapsEnd = this.machine.maps ? mapsBase + mapsSize : 0;
    for (let i = 0; i < count; i++) {
      const ptr = view.getUint32(descAddr + 8 * i, true);
      const len = view.getUint32(descAddr + 8 * i + 4, true);
      checkSpan(ptr, len, bytes, `batch packet ${i}`);
      st.regions.setPacket(ptr, ptr + len, ctx ? ctx.addr : 0, ctxEnd, mapsBase, mapsEnd);
      if (ctx) {
        view.setUint32(ctx.addr + ctx.dataOff, ptr, true);
        view.setUint32(ctx.addr + ctx.dataEndOff, ptr + len, true);
        enterBatch(st, ctx.addr, 0, cpu.stackTop);
      } else {
        enterBatch(st, ptr, len, cpu.stackTop);
      }
      st.tailCalls = 0;
      execute(this.prepared, st);
      view.setInt32(resultsAddr + 8 * i, st.lo[0]!, true);
      view.setInt32(resultsAddr + 8 * i + 4, st.hi[0]!, true);
    }
  }

  dispose(): void {
    this.state = undefined;
  }
}

function checkSpan(addr: number, size: number, memoryBytes: number, what: string): void {
  if (!(Number.isInteger(addr) && Number.isInteger(size) && addr >= 0 && size >= 0 && addr + size <= memoryBytes)) {
    throw new BpfError(`${what} [${addr}, ${addr + size}) lie outside the memory (${memoryBytes} bytes)`);
  }
}

/** Registers at entry of a batch run: r1 (and r2 when there is no ctx), r10. */
function enterBatch(st: RunState, r1: number, r2: number, stackTop: number): void {
  const { lo, hi } = st;
  clearRegisters(lo, hi);
  lo[1] = r1;
  lo[2] = r2;
  lo[10] = stackTop;
}

/** Registers at entry: r1..r5 from args, r10 = frame 0's top, everything else 0. */
function enter(st: RunState, args: readonly bigint[] | undefined, stackTop: number): void {
  const { lo, hi } = st;
  clearRegisters(lo, hi);
  if (args) {
    if (args.length > 5) throw new BpfError(`at most 5 arguments (r1..r5), got ${args.length}`);
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg >= 0n && arg <= 0xffffffffn) {
        lo[i + 1] = Number(arg) | 0; // the common case (pointers, lengths): no BigInt arithmetic
        continue;
      }
      const v = BigInt.asUintN(64, arg);
      lo[i + 1] = Number(v & 0xffffffffn) | 0;
      hi[i + 1] = Number(v >> 32n) | 0;
    }
  }
  lo[10] = stackTop;
}

/** r0..r10 = 0. A loop: TypedArray.prototype.fill is a builtin call that costs more here. */
function clearRegisters(lo: Int32Array, hi: Int32Array): void {
  for (let r = 0; r <= 10; r++) {
    lo[r] = 0;
    hi[r] = 0;
  }
}
