// Time and CPU helpers: no arguments, no memory access.

import type { HelperDef } from "./registry.js";

// performance.now() exists in Node and browsers alike (no Node built-ins in the core).
const ns = (): bigint => BigInt(Math.round(performance.now() * 1e6));

/** BPF_FUNC_ktime_get_ns (5): monotonic time in ns. */
export const ktimeGetNs: HelperDef = { id: 5, name: "ktime_get_ns", args: [], ret: "integer", impl: () => ns() };

/** BPF_FUNC_get_smp_processor_id (8): the CPU (worker) the program runs on. */
export const getSmpProcessorId: HelperDef = {
  id: 8,
  name: "get_smp_processor_id",
  args: [],
  ret: "integer",
  impl: (ctx) => BigInt(ctx.cpu),
};

/** BPF_FUNC_ktime_get_boot_ns (125): like ktime_get_ns, including suspend (none here). */
export const ktimeGetBootNs: HelperDef = { id: 125, name: "ktime_get_boot_ns", args: [], ret: "integer", impl: () => ns() };

/**
 * BPF_FUNC_ktime_get_tai_ns (208): CLOCK_TAI in ns, the kernel's CLOCK_REALTIME plus its TAI
 * offset. That offset is whatever an NTP daemon told the kernel (adjtimex; 37 s since 2017) and 0
 * when none did — the case on the machines we compare with, and the one thing JavaScript can know:
 * Unix time, from the page's or process's time origin plus its monotonic clock (µs resolution).
 */
export const ktimeGetTaiNs: HelperDef = {
  id: 208,
  name: "ktime_get_tai_ns",
  args: [],
  ret: "integer",
  impl: () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n,
};
