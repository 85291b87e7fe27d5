// A machine for one program type: the memory and its layout, the maps (created in order: fd =
// index), the type's helpers as closures over them, and the program table tail calls reach
// (vm/runtime/README.md §1). Core code: it takes the compiled maps runtime module, so it runs in
// a browser too; machine.node.ts loads the module from build/.

import { BpfError } from "../errors.js";
import { seedPrandom } from "../helpers/random.js";
import type { Machine, Program } from "../engine.js";
import type { HelperTable } from "../helpers/registry.js";
import type { MapDescriptor } from "../maps/descriptor.js";
import { MapSet } from "../maps/mapset.js";
import { planMap } from "../maps/plan.js";
import { isSharedMemory, MapsRuntime } from "../maps/runtime.js";
import { checkSpec } from "../maps/spec.js";
import { mapTypeName, type MapSpec } from "../maps/types.js";
import { Layout, type LayoutOptions } from "../memory/layout.js";
import { resolveLddw } from "../program/lddw.js";
import { validate } from "../program/validate.js";
import { programType, type ProgramType, type ProgramTypeName } from "../programs/types.js";
import { PerfEventSink, TraceLog } from "../helpers/trace.js";
import { DeviceTable, type Device } from "../helpers/packet/devices.js";
import { Network, networkDevices, type NetworkModel } from "../net/model.js";
import type { CgroupModel } from "../helpers/packet/skb-cgroup.js";
import { HELPER_SOURCES, helpersFor, type HelperSource } from "./helpers.js";
import { ProgramTable } from "./programs.js";
import { MachineTimers } from "./timers.js";
import { placeSockets, socketsBytes, socketTable } from "./sockets.js";

export interface MachineOptions extends LayoutOptions {
  /** The program type every program of this machine has. */
  readonly type: ProgramType | ProgramTypeName;
  /** A shared memory (SharedArrayBuffer) for workers. Default false. */
  readonly shared?: boolean;
  /** Maps to create, in fd order: `lddw rX, map_fd N` names maps[N]. */
  readonly maps?: readonly MapSpec[];
  /** The compiled maps runtime (build/maps.wasm for a shared memory, maps.unshared.wasm else). */
  readonly mapsModule: WebAssembly.Module;
  /** Helper sources besides the runtime's own (HELPER_SOURCES); a helper here replaces the
   * runtime's helper of the same id. */
  readonly extraHelpers?: readonly HelperSource[];
  /** trace_printk's destination (default: a new TraceLog). */
  readonly trace?: TraceLog;
  /** perf_event_output's destination (default: a new sink with one slot per CPU). */
  readonly perf?: PerfEventSink;
  /**
   * The network devices helpers know (check_mtu): ifindex → MTU (vm/helpers/packet/devices.ts).
   * Default: lo, ifindex 1, MTU 65536, as BPF_PROG_TEST_RUN sees it.
   */
  readonly devices?: readonly Device[];
  /**
   * The network fib_lookup sees: devices, routes, neighbours (vm/net/model.ts). Default: a fresh
   * namespace (lo only, forwarding off). Its devices are also check_mtu's when `devices` is not given.
   */
  readonly network?: NetworkModel;
  /**
   * The cgroup of the task that runs the programs: its cgroup v2 ids from the root down and its
   * net_cls classid (skb_cgroup_id, get_cgroup_classid, ...: vm/helpers/packet/skb-cgroup.ts).
   * Default: the root cgroup (id 1), classid 0.
   */
  readonly cgroup?: CgroupModel;
  /**
   * Seed of every CPU's get_prandom_u32 generator (vm/helpers/random.ts), for runs that draw the
   * same numbers each time. Default: the platform's random source.
   */
  readonly prandomSeed?: number | bigint;
}

/** A Machine with everything the runtime adds: all fields are always present. */
export interface RuntimeMachine extends Machine {
  readonly type: ProgramType;
  readonly maps: MapSet;
  readonly programs: ProgramTable;
  readonly helpers: HelperTable;
  /** trace_printk's lines (bpf_trace_printk output), for the user to read. */
  readonly trace: TraceLog;
  /** perf_event_output's records. */
  readonly perf: PerfEventSink;
  /** The devices helpers know (MachineOptions.devices). */
  readonly devices: DeviceTable;
  /** The network fib_lookup sees (MachineOptions.network), when one was given. */
  readonly network?: NetworkModel;
  /** Where the network's sockets are in the memory (vm/runtime/sockets.ts), when it has any. */
  readonly socketsBase?: number;
  /** The task's cgroup (MachineOptions.cgroup), when one was given. */
  readonly cgroup?: CgroupModel;
  /** The BPF timers of this thread (bpf_timer_*): settle() waits for them, close() cancels them (timers.ts). */
  readonly timers: MachineTimers;
}

/** Per-machine options of the output helpers (also for attachMachine). */
export interface OutputOptions {
  readonly extraHelpers?: readonly HelperSource[];
  readonly trace?: TraceLog;
  readonly perf?: PerfEventSink;
  readonly devices?: readonly Device[];
  readonly network?: NetworkModel;
  readonly cgroup?: CgroupModel;
}

/** The smallest maps arena that holds `specs` on `cpus` CPUs (regions plus their alignment). */
export function mapsArenaSize(specs: readonly MapSpec[], cpus: number): number {
  let bytes = 0;
  for (const spec of specs) {
    const plan = planMap(checkSpec(spec), cpus);
    bytes = Math.ceil(bytes / plan.align) * plan.align + plan.size;
  }
  return bytes;
}

const DEFAULT_MAPS_SIZE = 1 << 20;

/**
 * The machine's Layout. Maps come from user input (an object's max_entries), so when the arena
 * sized to them is what makes the memory larger than wasm32's 4 GiB, the refusal is a BpfError
 * naming the biggest map, not the Layout's RangeError about pages. The kernel might allocate
 * such a map (or fail with -ENOMEM / -E2BIG); this runtime cannot.
 */
function machineLayout(options: LayoutOptions & { readonly cpus: number }, specs: readonly MapSpec[], sizedToMaps: boolean): Layout {
  try {
    return new Layout(options);
  } catch (err) {
    if (!(err instanceof RangeError) || !sizedToMaps || specs.length === 0 || !fits({ ...options, mapsSize: 0 })) throw err;
    const sizes = specs.map((s) => checkSpec(s)).map((spec) => ({ spec, bytes: planMap(spec, options.cpus).size }));
    const big = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const gib = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GiB`;
    const { spec } = big;
    throw new BpfError(
      `the maps need ${gib(options.mapsSize ?? 0)} of memory, more than fits in one wasm32 memory (4 GiB): map '${spec.name}' ` +
        `(${mapTypeName(spec.type)}, max_entries ${spec.maxEntries}, key ${spec.keySize} and value ${spec.valueSize} bytes` +
        `${options.cpus > 1 ? `, ${options.cpus} CPUs` : ""}) alone needs ${gib(big.bytes)}; lower its max_entries`,
    );
  }
}

function fits(options: LayoutOptions): boolean {
  try {
    return new Layout(options).pages > 0;
  } catch {
    return false;
  }
}

export function createMachine(options: MachineOptions): RuntimeMachine {
  const type = typeof options.type === "string" ? programType(options.type) : options.type;
  const specs = options.maps ?? [];
  const cpus = options.cpus ?? 1;
  // Sized to the maps unless the caller says otherwise (then too small is their error, named by
  // the allocator).
  const network = options.network ? new Network(options.network) : undefined;
  const mapsSize = options.mapsSize ?? Math.max(DEFAULT_MAPS_SIZE, mapsArenaSize(specs, cpus) + socketsBytes(network) + 4096);
  const layout = machineLayout({ cpus, packetMax: options.packetMax, mapsSize, corpusSize: options.corpusSize }, specs, options.mapsSize === undefined);
  const memory = layout.createMemory(options.shared ?? false);
  seedPrandom(memory, layout, options.prandomSeed === undefined ? undefined : BigInt(options.prandomSeed));
  const maps = MapSet.create(instantiate(options.mapsModule, memory), layout);
  for (const spec of specs) maps.create(spec);
  return assemble(type, layout, memory, maps, options, placeSockets(maps, memory, network));
}

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): MapsRuntime {
  try {
    return MapsRuntime.instantiate(module, memory);
  } catch (err) {
    const build = isSharedMemory(memory) ? "build/maps.wasm (shared)" : "build/maps.unshared.wasm";
    throw new BpfError(`cannot instantiate the maps runtime on this memory (it needs ${build}): ${(err as Error).message}`);
  }
}

function assemble(type: ProgramType, layout: Layout, memory: WebAssembly.Memory, maps: MapSet, options: OutputOptions, socketsBase?: number): RuntimeMachine {
  const trace = options.trace ?? new TraceLog();
  const perf = options.perf ?? new PerfEventSink({ entries: layout.cpus });
  const network = options.network ? new Network(options.network) : undefined;
  const devices = new DeviceTable(options.devices ?? (network ? networkDevices(network) : undefined));
  const sockets = socketTable(network, socketsBase);
  const timers = new MachineTimers(memory, layout, maps);
  const cgroup = options.cgroup ? { cgroup: options.cgroup } : {};
  const helpers = helpersFor({ memory, layout, type, maps, trace, perf, devices, sockets, timers, ...(network ? { network } : {}), ...cgroup }, HELPER_SOURCES, options.extraHelpers);
  // What BPF_PROG_LOAD checks before a program gets an id: structure, helpers, map references.
  const programs = new ProgramTable((program: Program) => {
    validate(program.insns, { helpers });
    resolveLddw(program.insns, maps.describe());
  });
  const machine: RuntimeMachine = { type, layout, memory, maps, helpers, programs, trace, perf, devices, timers, ...(network ? { network: network.model } : {}), ...(socketsBase !== undefined ? { socketsBase } : {}), ...cgroup };
  timers.attach(machine);
  return machine;
}

/** A machine as plain, structured-clonable data: what a worker needs to attach to it. */
export interface MachineDescription {
  readonly type: ProgramTypeName;
  readonly layout: Required<LayoutOptions>;
  readonly maps: readonly MapDescriptor[];
  readonly programs: ReadonlyArray<readonly [id: number, program: Program]>;
  /** The machine's devices (check_mtu). */
  readonly devices?: readonly Device[];
  /** The machine's network model (fib_lookup), when it has one. */
  readonly network?: NetworkModel;
  /** Where its sockets are (the creator reserved them in the maps arena). */
  readonly socketsBase?: number;
  /** The task's cgroup, when one was given. */
  readonly cgroup?: CgroupModel;
}

export function describeMachine(machine: RuntimeMachine): MachineDescription {
  const { cpus, packetMax, mapsSize, corpusSize } = machine.layout;
  return {
    type: machine.type.name,
    layout: { cpus, packetMax, mapsSize, corpusSize },
    maps: machine.maps.describe(),
    programs: machine.programs.entries(),
    devices: machine.devices.list(),
    ...(machine.network ? { network: machine.network } : {}),
    ...(machine.socketsBase !== undefined ? { socketsBase: machine.socketsBase } : {}),
    ...(machine.cgroup ? { cgroup: machine.cgroup } : {}),
  };
}

/**
 * The same machine seen from another thread: `memory` is the creator's (shared) memory, `module`
 * the maps runtime build for it. Nothing is allocated or initialised: the maps are already there.
 */
export function attachMachine(
  description: MachineDescription,
  memory: WebAssembly.Memory,
  mapsModule: WebAssembly.Module,
  options: OutputOptions = {},
): RuntimeMachine {
  const layout = new Layout(description.layout);
  if (memory.buffer.byteLength < layout.pages * 65536) {
    throw new BpfError(`the memory (${memory.buffer.byteLength} bytes) is smaller than the machine's layout (${layout.pages} pages)`);
  }
  const maps = MapSet.attach(instantiate(mapsModule, memory), description.maps);
  const machine = assemble(programType(description.type), layout, memory, maps, { ...options, devices: options.devices ?? description.devices, network: options.network ?? description.network, cgroup: options.cgroup ?? description.cgroup }, description.socketsBase);
  for (const [id, program] of description.programs) machine.programs.set(id, program);
  return machine;
}
