// Time and CPU helpers: no arguments, no memory access.
//
// The clock: the kernel's ktime_get_ns is CLOCK_MONOTONIC, the time since the host booted. Node
// reads that very clock (process.hrtime: libuv's clock_gettime(CLOCK_MONOTONIC)), so a program
// sees the host's uptime, as it would in the host's kernel (the kernel engine's runs read the same
// values). Programs rely on it being large: a timeout check `now - timeout_ns` on a clock that
// starts at the process's start underflows, and every entry looks expired (bpf-examples' nat64
// reclaimed every fresh mapping that way). A browser has no such clock: there the machine
// "booted" when the page started (performance.now() = 0). jiffies and the coarse clock are
// derived from the same clock at the tick rate CONFIG_HZ.

import type { HelperDef } from "./registry.js";

/** process.hrtime where there is one (Node); the core imports no Node built-in. */
const hrtime = (globalThis as { process?: { hrtime?: { bigint?: () => bigint } } }).process?.hrtime;

/** CLOCK_MONOTONIC in ns (see above): what ktime_get_ns returns, and BPF timers count on. */
export const monotonicNs: () => bigint = hrtime?.bigint ? () => hrtime.bigint!() : () => BigInt(Math.round(performance.now() * 1e6));

/** CLOCK_REALTIME in ns, to the µs: Unix time, the time origin plus the page's or process's clock. */
export const realtimeNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;

const ns = monotonicNs;

/** BPF_FUNC_ktime_get_ns (5): monotonic time in ns. */
export const ktimeGetNs: HelperDef = { id: 5, name: "ktime_get_ns", args: [], ret: "integer", impl: () => ns() };

/**
 * CONFIG_HZ: the tick rate jiffies count at. 250 is the kernel's default (kernel/Kconfig.hz) and
 * what the machine we compare with runs (/proc/config.gz: CONFIG_HZ=250).
 */
export const CONFIG_HZ = 250;
/** TICK_NSEC: one jiffy in ns (4 ms at HZ=250). */
export const TICK_NSEC = 1_000_000_000n / BigInt(CONFIG_HZ);
/**
 * INITIAL_JIFFIES (include/linux/jiffies.h): jiffies start 300 s before their low 32 bits wrap,
 * so code that mishandles the wrap fails within minutes of boot — here, of the machine's start.
 */
export const INITIAL_JIFFIES = BigInt.asUintN(32, BigInt(-300 * CONFIG_HZ));

/** Whole ticks since the machine started. */
const ticks = (): bigint => ns() / TICK_NSEC;

/** get_jiffies_64(): what jiffies64 returns (and the syncookies' clock counts in). */
export const jiffies = (): bigint => INITIAL_JIFFIES + ticks();

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
  impl: () => realtimeNs(),
};

/**
 * BPF_FUNC_get_numa_node_id (42): the NUMA node of the running CPU. The runtime's one memory is
 * node 0, the only node (as on the machines we compare with: BPF_PROG_TEST_RUN gives 0; a map's
 * numa_node must be 0 too, vm/maps/spec.ts).
 */
export const getNumaNodeId: HelperDef = { id: 42, name: "get_numa_node_id", args: [], ret: "integer", impl: () => 0n };

/**
 * BPF_FUNC_jiffies64 (118): get_jiffies_64(), ticks of CONFIG_HZ since boot counted from
 * INITIAL_JIFFIES. Ours are the ticks of ktime_get_ns's clock: (jiffies64 - INITIAL_JIFFIES) *
 * TICK_NSEC <= ktime_get_ns < that + TICK_NSEC. (The kernel's jiffies run a fixed few ticks
 * off its monotonic clock, set at boot; ours are aligned with it.)
 */
export const jiffies64: HelperDef = { id: 118, name: "jiffies64", args: [], ret: "integer", impl: () => jiffies() };

/**
 * BPF_FUNC_ktime_get_coarse_ns (160): CLOCK_MONOTONIC_COARSE, the monotonic time of the last tick
 * — never ahead of ktime_get_ns and less than one tick (TICK_NSEC) behind it. Ours is
 * ktime_get_ns's clock rounded down to a whole tick, so it moves with jiffies64.
 */
export const ktimeGetCoarseNs: HelperDef = { id: 160, name: "ktime_get_coarse_ns", args: [], ret: "integer", impl: () => ticks() * TICK_NSEC };
