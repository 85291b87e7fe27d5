// BPF timers (kernel/bpf/helpers.c, Linux 6.18): bpf_timer_init (169), bpf_timer_set_callback
// (170), bpf_timer_start (171) and bpf_timer_cancel (172), all `gpl_only` and RET_INTEGER, each
// taking a `struct bpf_timer` in a map value (ARG_PTR_TO_TIMER; vm/verifier/timer.ts proves it
// is one). The signatures and the argument checks the kernel makes at run time are here; the
// timers themselves (their state in the 16 bytes, when and where callbacks run) are the
// machine's (vm/runtime/timers.ts), reached through TimerOps. The JIT calls these through its
// generic helper import.

import { NULL_GUARD } from "../memory/layout.js";
import { funcAddressSlot } from "../program/callbacks.js";
import type { HelperContext, HelperDef } from "./registry.js";

export const TIMER_INIT_ID = 169;
export const TIMER_SET_CALLBACK_ID = 170;
export const TIMER_START_ID = 171;
export const TIMER_CANCEL_ID = 172;

/** sizeof(struct bpf_timer) (include/uapi/linux/bpf.h: __u64 __opaque[2], aligned(8)). */
export const TIMER_SIZE = 16;
/** The alignment the runtime needs (its state words are taken with Atomics; vm/maps/spec.ts). */
const TIMER_ALIGN = 4;

/** bpf_timer_start's flags (enum in include/uapi/linux/bpf.h). */
export const BPF_F_TIMER_ABS = 1;
export const BPF_F_TIMER_CPU_PIN = 2;

/** The clocks bpf_timer_init takes (its flags' low 4 bits; MAX_CLOCKS = 16); the _ALARM ones are refused. */
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_BOOTTIME = 7;
export const MAX_CLOCKS = 16n;

/** What the helpers ask of the machine's timers (vm/runtime/timers.ts); each returns the helper's r0. */
export interface TimerOps {
  init(cpu: number, timer: number, map: number, clock: number): bigint;
  setCallback(cpu: number, timer: number, slot: number): bigint;
  start(cpu: number, timer: number, nsecs: bigint, flags: number): bigint;
  cancel(cpu: number, timer: number): bigint;
}

const EINVAL = 22n;

/**
 * The timer's address, or a thrown error naming what is wrong with r1: the interpreter also runs
 * programs the verifier has not seen, so it is checked rather than trusted (inside the memory,
 * past the null guard, 4-byte aligned: its words are taken with Atomics).
 */
function timerAddress(ctx: HelperContext, r1: bigint, name: string): number {
  const addr = r1 <= 0xffffffffn && r1 >= 0n ? Number(r1) : -1;
  if (addr < NULL_GUARD || addr + TIMER_SIZE > ctx.memory.buffer.byteLength || addr % TIMER_ALIGN !== 0) {
    throw new Error(`bpf_${name}: R1 (0x${r1.toString(16)}) is not a 4-byte aligned struct bpf_timer in the memory`);
  }
  return addr;
}

export function timerHelpers(ops: TimerOps): HelperDef[] {
  return [
    {
      id: TIMER_INIT_ID,
      name: "timer_init",
      args: ["ptr_to_timer", "const_map_ptr", "anything"],
      ret: "integer",
      impl: (ctx, r1, r2, r3) => {
        const timer = timerAddress(ctx, r1, "timer_init");
        // flags >= MAX_CLOCKS, or a clock other than MONOTONIC, REALTIME, BOOTTIME: -EINVAL.
        const clock = Number(r3 & (MAX_CLOCKS - 1n));
        if (r3 >= MAX_CLOCKS || (clock !== CLOCK_MONOTONIC && clock !== CLOCK_REALTIME && clock !== CLOCK_BOOTTIME)) return -EINVAL;
        return ops.init(ctx.cpu, timer, Number(r2 & 0xffffffffn), clock);
      },
    },
    {
      id: TIMER_SET_CALLBACK_ID,
      name: "timer_set_callback",
      args: ["ptr_to_timer", "ptr_to_func"],
      ret: "integer",
      impl: (ctx, r1, r2) => {
        const timer = timerAddress(ctx, r1, "timer_set_callback");
        const slot = funcAddressSlot(Number(r2 & 0xffffffffn), Number(r2 >> 32n));
        if (slot < 0) throw new Error(`bpf_timer_set_callback: R2 (0x${r2.toString(16)}) is not a function address (lddw rX, func)`);
        return ops.setCallback(ctx.cpu, timer, slot);
      },
    },
    {
      id: TIMER_START_ID,
      name: "timer_start",
      args: ["ptr_to_timer", "anything", "anything"],
      ret: "integer",
      impl: (ctx, r1, r2, r3) => {
        const timer = timerAddress(ctx, r1, "timer_start");
        if (r3 & ~BigInt(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN)) return -EINVAL;
        return ops.start(ctx.cpu, timer, r2, Number(r3));
      },
    },
    {
      id: TIMER_CANCEL_ID,
      name: "timer_cancel",
      args: ["ptr_to_timer"],
      ret: "integer",
      impl: (ctx, r1) => ops.cancel(ctx.cpu, timerAddress(ctx, r1, "timer_cancel")),
    },
  ];
}
