// The timers of a machine (bpf_timer_*, vm/helpers/timer.ts), as Linux 6.18 runs them
// (kernel/bpf/helpers.c: __bpf_async_init, __bpf_async_set_callback, bpf_timer_start,
// bpf_timer_cancel, bpf_timer_cb) — on a JavaScript event loop instead of hrtimers.
//
// State. A timer's state lives in its 16 bytes of the map value, on the memory every CPU
// (worker) shares, so that a timer initialised on one CPU is started or cancelled on another:
//
//   word 0  state: bit 0 initialised, bit 1 armed, bit 2 a lock (the kernel's async->lock, held
//           for a few loads and stores), bits 4-7 the clock, bits 8-15 the CPU that armed it,
//           bits 16-31 a generation counted up by every start
//   word 1  the callback: its subprogram's first slot + 1 (0: none — after init and cancel,
//           bpf_timer_start then fails with -EINVAL, as the kernel's cb.prog == NULL)
//   word 2  the callback's program (a fingerprint of its instructions: the same on every worker)
//   word 3  the map (header address) bpf_timer_init bound it to
//
// All 0 is "not initialised", which is also what a map update or delete leaves (the maps
// runtime resets the field: vm/maps/as/value.ts), so a pending timer of a freed element finds
// nothing to run, as the kernel's bpf_timer_cancel_and_free makes sure.
//
// "Later". bpf_timer_start arms a JavaScript timer (setTimeout) on the thread of the CPU that
// called it — the main thread, or that CPU's pool worker — for the delay (BPF_F_TIMER_ABS: the
// deadline on the timer's clock minus that clock's time now). When it comes due and the state
// still says armed, by this CPU, with this generation, the callback runs on that CPU: the
// callback subprogram with r1 = the map, r2 = the key, r3 = the value (bpf_timer_cb: an ARRAY's
// key is the u32 index, here in the CPU's key slot of the scratch area, vm/helpers/for-each.ts;
// a hash element's key is its own), on the engine that loaded the program. Callbacks therefore
// run only when the thread is idle (between runs, never inside one), while the machine is open:
// `settle(ms)` waits (bounded) until no timer is pending, `close()` cancels every pending timer
// of this thread and no callback runs after it. The JavaScript timers do not keep a Node process
// alive (unref), as a process's exit closes its maps and so cancels the kernel's timers.
// BPF_F_TIMER_CPU_PIN changes nothing here: a timer always fires on the CPU that started it.
//
// Running a callback. Engines run a program from its first slot, so the callback runs as a
// small program of its own: `call <callback>; exit` in front of the program's instructions
// (offsets inside the program stay as they are), loaded once per callback with the engine
// that loaded the program (engines tell the machine what they load: Machine.timers.bind).
// Which program a set_callback comes from: the one loaded on this machine, or in its program
// table (tail-call targets), that has a callback at that slot (one must, and only one: two
// programs with a callback at the same slot are refused, as the timers cannot tell them apart),
// or inside a callback, the callback's own program.
//
// Not modelled: -EPERM (a map no user space holds any more: every map of a machine is held by
// it); -EDEADLK between two callbacks cancelling each other (only a callback cancelling its
// own timer gets it); bpf_timer_cancel waiting for a callback running on another CPU.

import { BpfError } from "../errors.js";
import type { Engine, LoadedProgram, Program, Region } from "../engine.js";
import { arrayValue, keySlotOffset } from "../helpers/for-each.js";
import { BPF_F_TIMER_ABS, CLOCK_REALTIME, TIMER_SET_CALLBACK_ID, type TimerOps } from "../helpers/timer.js";
import { insn, type Insn } from "../isa/instruction.js";
import { CallSrc, Cls, JmpOp } from "../isa/opcodes.js";
import * as abi from "../maps/abi.js";
import type { MapDescriptor } from "../maps/descriptor.js";
import type { MapSet } from "../maps/mapset.js";
import { lockView } from "../maps/spin-lock.js";
import { MapType } from "../maps/types.js";
import type { Layout } from "../memory/layout.js";
import { callbackStarts } from "../program/subprograms.js";
import type { RuntimeMachine } from "./machine.js";
import { monotonicNs, realtimeNs } from "../helpers/time.js";

const INIT = 1;
const ARMED = 2;
const LOCK = 4;
const W_STATE = 0;
const W_CB = 1;
const W_PROG = 2;
const W_MAP = 3;

const EINVAL = 22n;
const EBUSY = 16n;
const EDEADLK = 35n;

/** The longest delay one setTimeout takes (2^31 - 1 ms); longer ones are re-armed. */
const MAX_TIMEOUT_MS = 0x7fffffff;
/** Spins on a timer's lock before giving up (its holder only does a few loads and stores). */
const MAX_SPINS = 1 << 26;

/** The slots in front of the program in a callback's program: `call <callback>; exit`. */
const PREFIX = 2;
const CALL = Cls.JMP | JmpOp.CALL;
const EXIT = Cls.JMP | JmpOp.EXIT;

interface Bound {
  readonly program: Program;
  readonly fingerprint: number;
  readonly callbacks: ReadonlySet<number>;
  engine: Engine;
  /** The loaded `call <slot>; exit` programs, by callback slot. */
  readonly loaded: Map<number, Promise<LoadedProgram>>;
}

interface Pending {
  readonly handle: ReturnType<typeof setTimeout>;
  readonly gen: number;
}

/** The timers of one machine as seen from one thread (the main thread's, or a pool worker's). */
export class MachineTimers implements TimerOps {
  private machine: RuntimeMachine | undefined;
  /** The engine that loaded a program on this machine last (tail-call targets' callbacks run on it). */
  private engine: Engine | undefined;
  private readonly programs = new Map<number, Bound>();
  private readonly trampolines = new WeakSet<Program>();
  private readonly pending = new Map<number, Pending>();
  private running = 0;
  /** The timer whose callback runs now (bpf_timer_cancel of it: -EDEADLK), and its program. */
  private current: { timer: number; bound: Bound } | undefined;
  private readonly errors: unknown[] = [];
  private descriptors = new Map<number, MapDescriptor>();
  private closed = false;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly layout: Layout,
    private readonly maps: MapSet,
  ) {}

  /** The machine these timers run callbacks on (set once it is assembled). */
  attach(machine: RuntimeMachine): void {
    this.machine = machine;
  }

  /**
   * An engine loaded `program` on this machine: remember it when it sets timer callbacks, so
   * that a callback of it can be found and run with the same engine.
   */
  bind(program: Program, engine: Engine): void {
    if (this.trampolines.has(program)) return;
    this.engine = engine;
    if (!program.insns.some(isSetCallback)) return;
    const fingerprint = fingerprintOf(program.insns);
    const known = this.programs.get(fingerprint);
    if (known) {
      // Loaded again by another engine: its callbacks run on that one from now on.
      if (known.engine !== engine) {
        known.engine = engine;
        disposeAll(known.loaded);
      }
      return;
    }
    this.programs.set(fingerprint, { program, fingerprint, callbacks: new Set(callbackStarts(program.insns)), engine, loaded: new Map() });
  }

  // ---- the helpers (TimerOps): r0 of each ----

  init(_cpu: number, timer: number, map: number, clock: number): bigint {
    const i32 = lockView(this.memory);
    const w = timer >>> 2;
    const s = lock(i32, w);
    if (s & INIT) {
      unlock(i32, w, s);
      return -EBUSY;
    }
    Atomics.store(i32, w + W_CB, 0);
    Atomics.store(i32, w + W_PROG, 0);
    Atomics.store(i32, w + W_MAP, map);
    unlock(i32, w, (s & 0xffff0000) | INIT | (clock << 4));
    return 0n;
  }

  setCallback(_cpu: number, timer: number, slot: number): bigint {
    const held = lockInitialised(this.memory, timer);
    if (!held) return -EINVAL;
    const { i32, w, s } = held;
    let found: { bound: Bound; slot: number };
    try {
      found = this.callbackOf(slot);
    } catch (err) {
      unlock(i32, w, s);
      throw err;
    }
    Atomics.store(i32, w + W_CB, found.slot + 1);
    Atomics.store(i32, w + W_PROG, found.bound.fingerprint);
    unlock(i32, w, s);
    // Load the callback's program now, so that it is ready when the timer comes due.
    Promise.resolve()
      .then(() => this.callbackProgram(found.bound, found.slot))
      .catch((err: unknown) => this.errors.push(err));
    return 0n;
  }

  start(cpu: number, timer: number, nsecs: bigint, flags: number): bigint {
    const held = lockInitialised(this.memory, timer);
    if (!held) return -EINVAL;
    const { i32, w, s } = held;
    if (Atomics.load(i32, w + W_CB) === 0) {
      unlock(i32, w, s);
      return -EINVAL;
    }
    const gen = ((s >>> 16) + 1) & 0xffff;
    const clock = (s >>> 4) & 0xf;
    unlock(i32, w, (gen << 16) | ((cpu & 0xff) << 8) | (clock << 4) | ARMED | INIT);
    // hrtimer_start: relative to now, or (BPF_F_TIMER_ABS) a time on the timer's clock.
    const delayNs = flags & BPF_F_TIMER_ABS ? BigInt.asIntN(64, nsecs) - clockNow(clock) : BigInt.asIntN(64, nsecs);
    this.schedule(timer, gen, cpu, performance.now() + Math.max(0, Number(delayNs) / 1e6));
    return 0n;
  }

  cancel(_cpu: number, timer: number): bigint {
    const held = lockInitialised(this.memory, timer);
    if (!held) return -EINVAL;
    const { i32, w, s } = held;
    // A callback cancelling its own timer would wait for itself (hrtimer_cancel).
    if (this.current?.timer === timer) {
      unlock(i32, w, s);
      return -EDEADLK;
    }
    // drop_prog_refcnt: the callback is gone too; start needs a new set_callback.
    Atomics.store(i32, w + W_CB, 0);
    Atomics.store(i32, w + W_PROG, 0);
    unlock(i32, w, s & ~ARMED);
    this.drop(timer);
    return s & ARMED ? 1n : 0n;
  }

  // ---- for the user ----

  /** Timers armed on this thread and callbacks running now. */
  get active(): number {
    return this.pending.size + this.running;
  }

  /**
   * Wait until no timer of this thread is armed and no callback runs, or `timeoutMs` passed:
   * the timers still active then (0: all done). A callback that failed (a fault, an unknown
   * program) is reported here, as the first such error thrown.
   */
  async settle(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.active > 0 && performance.now() < deadline && !this.closed) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(5, Math.max(0, deadline - performance.now()))));
    }
    const err = this.takeError();
    if (err !== undefined) throw err;
    return this.active;
  }

  /**
   * The first callback failure not yet reported, if any, now reported: settle() throws it, a
   * pool worker fails its next run with it (vm/pool/cpu.ts).
   */
  takeError(): unknown {
    return this.errors.shift();
  }

  /** Cancel every pending timer of this thread; no callback runs after this. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.handle);
    this.pending.clear();
    for (const bound of this.programs.values()) disposeAll(bound.loaded);
  }

  // ---- inside ----

  /** The program and slot a set_callback of `slot` names (see the header). */
  private callbackOf(slot: number): { bound: Bound; slot: number } {
    const cur = this.current;
    if (cur) {
      if (cur.bound.callbacks.has(slot - PREFIX)) return { bound: cur.bound, slot: slot - PREFIX };
      throw new BpfError(`bpf_timer_set_callback: slot ${slot - PREFIX} is not a callback of the program whose timer callback is running`);
    }
    this.bindTailCallTargets();
    const found = [...this.programs.values()].filter((b) => b.callbacks.has(slot));
    if (found.length === 1) return { bound: found[0]!, slot };
    if (found.length === 0) throw new BpfError(`bpf_timer_set_callback: no program loaded on this machine has a callback at slot ${slot}`);
    throw new BpfError(`bpf_timer_set_callback: ${found.length} programs loaded on this machine have a callback at slot ${slot}; the timers cannot tell which one set it`);
  }

  /**
   * The machine's tail-call targets (its program table) that set timer callbacks: engines compile
   * them inside the program that calls them, without a load, so they are bound here, with the
   * engine of a program loaded on the machine.
   */
  private bindTailCallTargets(): void {
    const engine = this.engine;
    if (!engine || !this.machine) return;
    for (const [, program] of this.machine.programs.entries()) this.bind(program, engine);
  }

  private callbackProgram(bound: Bound, slot: number): Promise<LoadedProgram> {
    let loaded = bound.loaded.get(slot);
    if (!loaded) {
      if (!this.machine) throw new BpfError("the machine's timers are not attached to a machine");
      const program: Program = { insns: [insn(CALL, 0, CallSrc.LOCAL, 0, PREFIX + slot - 1), insn(EXIT), ...bound.program.insns], name: `${bound.program.name ?? "program"} timer callback @${slot}` };
      this.trampolines.add(program);
      loaded = bound.engine.load(program, this.machine);
      bound.loaded.set(slot, loaded);
    }
    return loaded;
  }

  private schedule(timer: number, gen: number, cpu: number, due: number): void {
    this.drop(timer);
    if (this.closed) return;
    const wait = Math.min(MAX_TIMEOUT_MS, Math.max(0, due - performance.now()));
    const handle = setTimeout(() => {
      if (this.pending.get(timer)?.handle !== handle) return;
      this.pending.delete(timer);
      if (performance.now() < due) this.schedule(timer, gen, cpu, due);
      else this.fire(timer, gen, cpu);
    }, wait);
    // Pending timers do not keep a Node process alive (browsers have no unref).
    (handle as { unref?: () => void }).unref?.();
    this.pending.set(timer, { handle, gen });
  }

  private drop(timer: number): void {
    const p = this.pending.get(timer);
    if (!p) return;
    clearTimeout(p.handle);
    this.pending.delete(timer);
  }

  /** The timer came due: run its callback if it is still armed, by this CPU, this generation. */
  private fire(timer: number, gen: number, cpu: number): void {
    if (this.closed) return;
    const i32 = lockView(this.memory);
    const w = timer >>> 2;
    const s = lock(i32, w);
    if ((s & (INIT | ARMED)) !== (INIT | ARMED) || ((s >>> 8) & 0xff) !== (cpu & 0xff) || s >>> 16 !== gen) {
      unlock(i32, w, s);
      return;
    }
    const cb = Atomics.load(i32, w + W_CB);
    const fingerprint = Atomics.load(i32, w + W_PROG);
    const mapAddr = Atomics.load(i32, w + W_MAP) >>> 0;
    // The hrtimer is not active while its callback runs (bpf_timer_cancel then returns 0).
    unlock(i32, w, s & ~ARMED);
    if (cb === 0) return;
    const bound = this.programs.get(fingerprint);
    if (!bound) {
      this.errors.push(new BpfError(`a timer at 0x${timer.toString(16)} came due, but its callback's program is not loaded on this thread`));
      return;
    }
    this.running++;
    // Inside the promise chain: a JavaScript timer's callback must not throw.
    Promise.resolve()
      .then(() => this.callbackProgram(bound, cb - 1))
      .then((loaded) => {
        if (!this.closed) this.runCallback(loaded, bound, timer, mapAddr, cpu);
      })
      .catch((err: unknown) => this.errors.push(err))
      .finally(() => this.running--);
  }

  /** bpf_timer_cb: callback_fn(map, key, value) on `cpu`. */
  private runCallback(loaded: LoadedProgram, bound: Bound, timer: number, mapAddr: number, cpu: number): void {
    const map = this.descriptor(mapAddr);
    if (map?.timer === undefined) throw new BpfError(`a timer at 0x${timer.toString(16)} names map 0x${mapAddr.toString(16)}, which has no struct bpf_timer`);
    const value = timer - map.timer;
    const key = this.keyOf(map, value, cpu);
    const regions: Region[] = [{ start: this.layout.mapsBase, end: this.layout.mapsBase + this.layout.mapsSize, writable: true, name: "maps" }];
    this.current = { timer, bound };
    try {
      loaded.run({ cpu, args: [BigInt(mapAddr), BigInt(key), BigInt(value)], regions });
    } catch (err) {
      const name = bound.program.name ?? "program";
      throw new BpfError(`timer callback of '${name}' (timer 0x${timer.toString(16)} on CPU ${cpu}; insn numbers count the ${PREFIX} slots of its entry, \`call; exit\`, in front of the program): ${(err as Error).message}`);
    } finally {
      this.current = undefined;
    }
  }

  /** The key bpf_timer_cb hands the callback: an ARRAY's index (a u32 in the CPU's key slot), a hash element's own key. */
  private keyOf(map: MapDescriptor, value: number, cpu: number): number {
    const view = new DataView(this.memory.buffer);
    if (map.type === MapType.Array) {
      const index = (value - arrayValue(map, 0, 0)) / map.valueStride;
      const slot = this.layout.cpu(cpu).stackTop + keySlotOffset(0);
      view.setUint32(slot, index, true);
      return slot;
    }
    return value - view.getUint32(map.address + abi.H_VALUE_OFF, true) + abi.E_KEY;
  }

  private descriptor(address: number): MapDescriptor | undefined {
    let d = this.descriptors.get(address);
    if (!d) {
      this.descriptors = new Map(this.maps.describe().map((m) => [m.address, m]));
      d = this.descriptors.get(address);
    }
    return d;
  }
}

/** Dispose the loaded callback programs of `loaded` and forget them. */
function disposeAll(loaded: Map<number, Promise<LoadedProgram>>): void {
  for (const p of loaded.values()) p.then((l) => l.dispose(), () => undefined);
  loaded.clear();
}

/** `call bpf_timer_set_callback` */
const isSetCallback = (i: Insn): boolean => i.opcode === CALL && i.src === CallSrc.HELPER && i.imm === TIMER_SET_CALLBACK_ID;

/** FNV-1a over the instruction fields: the same program has the same fingerprint on every worker. */
function fingerprintOf(insns: readonly Insn[]): number {
  let h = 0x811c9dc5;
  const mix = (v: number): void => {
    h ^= v & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  for (const i of insns) {
    mix(i.opcode);
    mix((i.src << 4) | i.dst);
    mix(i.off);
    mix(i.off >> 8);
    for (let k = 0; k < 32; k += 8) mix(i.imm >>> k);
  }
  return h | 0;
}

/** The time on `clock` in ns: CLOCK_REALTIME is Unix time; MONOTONIC and BOOTTIME are bpf_ktime_get_ns's. */
const clockNow = (clock: number): bigint => (clock === CLOCK_REALTIME ? realtimeNs() : monotonicNs());

/** Take the timer's lock bit: the state word as it was. */
function lock(i32: Int32Array, w: number): number {
  for (let spins = 0; spins < MAX_SPINS; spins++) {
    const s = Atomics.load(i32, w + W_STATE);
    if (!(s & LOCK) && Atomics.compareExchange(i32, w + W_STATE, s, s | LOCK) === s) return s;
  }
  throw new BpfError(`the struct bpf_timer at 0x${(w * 4).toString(16)} stayed locked (its holder never released it)`);
}

/**
 * Lock the timer at `timer` if it was initialised (bpf_timer_init): its view, word index and
 * state with the lock held. Otherwise the lock is released again and undefined comes back (the
 * helpers then answer -EINVAL, as the kernel's for a timer without its struct bpf_hrtimer).
 */
function lockInitialised(memory: WebAssembly.Memory, timer: number): { i32: Int32Array; w: number; s: number } | undefined {
  const i32 = lockView(memory);
  const w = timer >>> 2;
  const s = lock(i32, w);
  if (s & INIT) return { i32, w, s };
  unlock(i32, w, s);
  return undefined;
}

/** Release the lock, storing the state `s`. */
function unlock(i32: Int32Array, w: number, s: number): void {
  Atomics.store(i32, w + W_STATE, s & ~LOCK);
}
