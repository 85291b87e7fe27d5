// The helpers a program type may call: every helper implemented here, kept when the kernel's
// rule for it (vm/verifier/helper-rules.ts: the facts of the <type>_func_proto functions and
// bpf_base_func_proto) allows the machine's type. Helpers are built per machine, as closures over
// what they need (HelperEnv), so HelperContext stays { memory, cpu }.
//
// Adding helpers: write a source `(env) => HelperDef[]` and list it in HELPER_SOURCES. A helper
// finds its CPU's ctx, packet slot and run record through env.layout.cpu(ctx.cpu)
// (vm/runtime/README.md §2).

import { baseHelpers } from "../helpers/index.js";
import { mapHelpers } from "../helpers/maps.js";
import { cgroupStorageHelpers } from "../helpers/cgroup-storage.js";
import { cgroupArrayHelpers } from "../helpers/cgroup-array.js";
import { packetHelpers } from "../helpers/packet/index.js";
import type { DeviceTable } from "../helpers/packet/devices.js";
import type { Network } from "../net/model.js";
import type { SocketTable } from "../helpers/packet/sk-lookup.js";
import { checkCgroup, type CgroupModel } from "../helpers/packet/skb-cgroup.js";
import { HelperTable, type HelperDef } from "../helpers/registry.js";
import { isKfunc } from "../helpers/kfunc/defs.js";
import { tailCallHelper } from "../helpers/tailcall.js";
import { timerHelpers, type TimerOps } from "../helpers/timer.js";
import { traceHelpers, type PerfEventSink, type PerfSlot, type TraceLog } from "../helpers/trace.js";
import type { MapSet } from "../maps/mapset.js";
import { MapType } from "../maps/types.js";
import type { Layout } from "../memory/layout.js";
import type { ProgramType } from "../programs/types.js";
import { helperRule } from "../verifier/helper-rules.js";
import { typeRules } from "../verifier/type-rules.js";
import { dynptrKfuncs } from "../helpers/kfunc/dynptr.js";
import { packetDynptrAccess } from "../helpers/packet/dynptr-packet.js";

/** What helper sources close over: one machine. */
export interface HelperEnv {
  readonly memory: WebAssembly.Memory;
  readonly layout: Layout;
  readonly type: ProgramType;
  readonly maps: MapSet;
  /** Where trace_printk's lines go (the machine's trace_pipe). */
  readonly trace: TraceLog;
  /** Where perf_event_output's records go. */
  readonly perf: PerfEventSink;
  /** The devices check_mtu knows (default: lo, ifindex 1, MTU 65536). */
  readonly devices?: DeviceTable;
  /** The network fib_lookup looks routes and neighbours up in (default: a fresh namespace). */
  readonly network?: Network;
  /** The network's sockets and where they are in the memory (vm/runtime/sockets.ts). */
  readonly sockets?: SocketTable;
  /** The cgroup of the task running the programs (vm/helpers/packet/skb-cgroup.ts; default the root). */
  readonly cgroup?: CgroupModel;
  /** The machine's timers (bpf_timer_*: vm/runtime/timers.ts). */
  readonly timers?: TimerOps;
}

export type HelperSource = (env: HelperEnv) => readonly HelperDef[];

/** Every helper module of the runtime. */
export const HELPER_SOURCES: readonly HelperSource[] = [
  // The current task's cgroup ids (get_current_cgroup_id, ...) answer the machine's cgroup model.
  (env) => baseHelpers(checkCgroup(env.cgroup), env.layout).list(),
  // Kfuncs (vm/helpers/kfunc): the common set; a kfunc with `types` joins only those types. The
  // dynptr ones reach the machine's packets; bpf_dynptr_from_skb's dynptr is read-only where the
  // type may not write packet data.
  () => baseHelpers().kfuncList(),
  (env) => dynptrKfuncs(packetDynptrAccess(env.layout), !typeRules(env.type.name).packetWrite),
  (env) => mapHelpers(env.maps),
  (env) => cgroupStorageHelpers(env.maps, env.layout),
  // skb_under_cgroup, current_task_under_cgroup: CGROUP_ARRAY slots against the machine's cgroup.
  (env) => cgroupArrayHelpers(env.maps, checkCgroup(env.cgroup)),
  () => [tailCallHelper],
  // Packet helpers (vm/helpers/packet): already per type; redirect_map looks its target up with
  // the maps runtime's program-side lookup.
  (env) => packetHelpers(env.type.name, {
    layout: env.layout,
    perf: env.perf,
    mapLookup: (map, key, cpu) => env.maps.runtime.exports.map_lookup(map, key, cpu),
    perfSlot: perfSlotOf(env.maps),
    ...(env.devices ? { devices: env.devices } : {}),
    ...(env.network ? { network: env.network } : {}),
    ...(env.sockets ? { sockets: env.sockets } : {}),
    ...(env.cgroup ? { cgroup: env.cgroup } : {}),
  }),
  (env) => traceHelpers(env.trace),
  // bpf_timer_* (vm/helpers/timer.ts), over the machine's timers.
  (env) => (env.timers ? timerHelpers(env.timers) : []),
];

/**
 * perf_event_output's slot check on a machine's maps: only a PERF_EVENT_ARRAY of `maps` is asked
 * (the maps runtime's perf_event_slot); other pointers fall back to the sink's own slots.
 */
export function perfSlotOf(maps: MapSet): PerfSlot {
  return (map, index) => (maps.byAddress(map)?.type === MapType.PerfEventArray ? maps.runtime.exports.perf_event_slot(map, index) : undefined);
}

/** May a program of `type` call helper `id`? Helpers without a rule count as base helpers. */
export function helperAllowed(id: number, type: ProgramType, def?: HelperDef): boolean {
  const types = def && isKfunc(def) ? def.proto.types : helperRule(id)?.types;
  return !types || types.includes(type.name);
}

/**
 * The helper table of a machine: the allowed helpers of `sources` (default HELPER_SOURCES; two
 * with one id are a bug and throw), then those of `overrides`, which replace a helper of the same
 * id (a test's stand-in, or a helper with its own trace log).
 */
export function helpersFor(env: HelperEnv, sources: readonly HelperSource[] = HELPER_SOURCES, overrides: readonly HelperSource[] = []): HelperTable {
  const table = new HelperTable();
  for (const source of sources) {
    for (const def of source(env)) if (helperAllowed(def.id, env.type, def)) table.add(def);
  }
  if (overrides.length === 0) return table;
  // Helper and kfunc ids are disjoint ranges (vm/helpers/kfunc/ids.ts): one map holds both.
  const byId = new Map<number, HelperDef>([...table.list(), ...table.kfuncList()].map((def) => [def.id, def]));
  for (const source of overrides) {
    for (const def of source(env)) if (helperAllowed(def.id, env.type, def)) byId.set(def.id, def);
  }
  return new HelperTable(byId.values());
}
