// A machine for one network program type with the packet and trace helpers, a packet runner that
// sets up the context the way BPF_PROG_TEST_RUN does, and the same program run in the kernel for
// comparison (skipped with a printed reason when bpf() is unavailable).

import { expect } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import type { LoadedProgram, Machine, Region } from "../../vm/engine.js";
import { getEngine } from "../../vm/engines.js";
import { baseHelpers, HelperTable } from "../../vm/helpers/index.js";
import { checkCgroup, packetHelpers, type CgroupModel, type MapLookup } from "../../vm/helpers/packet/index.js";
import { PerfEventSink, TraceLog, traceHelpers } from "../../vm/helpers/trace.js";
import { createMapSet } from "../../vm/maps/load.node.js";
import type { MapSet } from "../../vm/maps/mapset.js";
import { CTX_SIZE, Layout } from "../../vm/memory/layout.js";
import { kernelBridge, ProgType, type KernelMap, type KernelMapSpec } from "../../vm/node/kernel/engine.js";
import { perfSlotOf } from "../../vm/runtime/helpers.js";
import { clearRecord, readRedirect, type Redirect } from "../../vm/runtime/record.js";
import { kernelAvailability } from "../kernel/available.js";

export type NetType = "xdp" | "sched_cls" | "socket_filter";

/**
 * 256 bytes of headroom + 3264 of packet + 256 of tailroom = 3776 bytes from data_hard_start to
 * data_hard_end: the kernel's XDP test-run frame (a 4096-byte page minus 320 bytes of
 * skb_shared_info), so xdp_adjust_tail has the same limit in both.
 */
export const KERNEL_LIKE_PACKET_MAX = 3264;

export interface Rig {
  readonly type: NetType;
  readonly layout: Layout;
  readonly memory: WebAssembly.Memory;
  readonly machine: Machine;
  readonly trace: TraceLog;
  readonly perf: PerfEventSink;
  readonly maps: MapSet | undefined;
}

export interface RigOptions {
  readonly cpus?: number;
  readonly packetMax?: number;
  /** Create a maps runtime (redirect_map's lookups). */
  readonly maps?: boolean;
  /** The cgroup of the task running the programs (skb_cgroup_id, get_cgroup_classid). */
  readonly cgroup?: CgroupModel;
}

export function makeRig(type: NetType, options: RigOptions = {}): Rig {
  const layout = new Layout({ cpus: options.cpus ?? 2, packetMax: options.packetMax ?? KERNEL_LIKE_PACKET_MAX, mapsSize: 1 << 16 });
  const memory = layout.createMemory(false);
  const maps = options.maps ? createMapSet(memory, layout) : undefined;
  const mapLookup: MapLookup | undefined = maps ? (map, key, cpu) => maps.runtime.exports.map_lookup(map, key, cpu) : undefined;
  const trace = new TraceLog();
  const perf = new PerfEventSink({ entries: layout.cpus });
  const helpers = new HelperTable([
    ...baseHelpers(checkCgroup(options.cgroup), layout).list(),
    ...traceHelpers(trace),
    ...packetHelpers(type, { layout, perf, ...(mapLookup ? { mapLookup } : {}), ...(maps ? { perfSlot: perfSlotOf(maps) } : {}), ...(options.cgroup ? { cgroup: options.cgroup } : {}) }),
  ]);
  return { type, layout, memory, machine: { memory, layout, helpers, ...(maps ? { maps } : {}) }, trace, perf, maps };
}

/** The engines the helpers must agree on: both call the same HelperDef.impl (the JIT without a maps runtime). */
export const ENGINES = ["interpreter", "jit"] as const;
export type EngineName = (typeof ENGINES)[number];

export async function load(rig: Rig, source: string, engine: EngineName = "interpreter"): Promise<LoadedProgram> {
  return (await getEngine(engine)).load({ insns: assemble(source), name: "test" }, rig.machine);
}

export interface PacketRun {
  readonly r0: bigint;
  /** The packet afterwards: XDP from data to data_end, skb the whole frame (KernelRun.data). */
  readonly data: Uint8Array;
  /** XDP: the metadata, data_meta to data (KernelRun.meta); empty otherwise. */
  readonly meta: Uint8Array;
  /** Address of the context. */
  readonly ctx: number;
}

const ETH_HLEN = 14;

/** Run `prog` over `packet` on `cpu`, with the context BPF_PROG_TEST_RUN would build. */
export function runPacket(rig: Rig, prog: LoadedProgram, packet: Uint8Array, cpu = 0): PacketRun {
  const slot = rig.layout.cpu(cpu);
  const bytes = new Uint8Array(rig.memory.buffer);
  const view = new DataView(rig.memory.buffer);
  bytes.fill(0, slot.packetSlot, slot.packetEnd);
  bytes.fill(0, slot.ctx, slot.ctx + CTX_SIZE);
  bytes.set(packet, slot.packetData);
  clearRecord(bytes, slot);
  const start = slot.packetData;
  const end = start + packet.length;
  if (rig.type === "xdp") {
    view.setUint32(slot.ctx + 0, start, true); // data
    view.setUint32(slot.ctx + 4, end, true); // data_end
    view.setUint32(slot.ctx + 8, start, true); // data_meta: supported, empty
    view.setUint32(slot.ctx + 12, 1, true); // ingress_ifindex (lo)
  } else {
    // A socket filter's skb starts at the network header (the test run pulls the MAC header).
    const data = rig.type === "socket_filter" ? start + ETH_HLEN : start;
    view.setUint32(slot.ctx + 0, end - data, true); // len
    view.setUint32(slot.ctx + 76, data, true);
    view.setUint32(slot.ctx + 80, end, true);
  }
  const regions: Region[] = [
    { start: slot.packetSlot, end: slot.packetEnd, writable: true, name: "packet" },
    { start: slot.ctx, end: slot.ctx + CTX_SIZE, writable: false, name: "ctx" },
  ];
  const r0 = prog.run({ args: [BigInt(slot.ctx)], cpu, regions });
  let data: Uint8Array;
  let meta = new Uint8Array(0);
  if (rig.type === "xdp") {
    const d = view.getUint32(slot.ctx + 0, true);
    const e = view.getUint32(slot.ctx + 4, true);
    const m = view.getUint32(slot.ctx + 8, true);
    data = bytes.slice(d, e);
    meta = bytes.slice(Math.min(m, d), d);
  } else {
    // tc: from __sk_buff.data, which skb_change_head / adjust_room / vlan helpers move. A socket
    // filter's output keeps the MAC header in front of its data, as before.
    const from = rig.type === "sched_cls" ? view.getUint32(slot.ctx + 76, true) : start;
    data = bytes.slice(from, view.getUint32(slot.ctx + 80, true));
  }
  return { r0, data, meta, ctx: slot.ctx };
}

/** Point the CPU's xdp_md at [data, end) with data_meta = meta (for hand-made set-ups). */
export function writeXdpMd(rig: Rig, cpu: number, data: number, end: number, meta = data): void {
  const view = new DataView(rig.memory.buffer);
  const ctx = rig.layout.cpu(cpu).ctx;
  view.setUint32(ctx + 0, data, true);
  view.setUint32(ctx + 4, end, true);
  view.setUint32(ctx + 8, meta, true);
}

/** Run with the ctx and packet as they are in memory now (no set-up), r1 = the CPU's ctx. */
export function runAsIs(rig: Rig, prog: LoadedProgram, cpu = 0): bigint {
  const slot = rig.layout.cpu(cpu);
  return prog.run({
    args: [BigInt(slot.ctx)],
    cpu,
    regions: [{ start: slot.ctx, end: slot.ctx + CTX_SIZE, writable: false, name: "ctx" }],
  });
}

// ---- the kernel -----------------------------------------------------------------------------

const KERNEL_TYPES: Record<NetType, number> = { xdp: ProgType.XDP, sched_cls: ProgType.SCHED_CLS, socket_filter: ProgType.SOCKET_FILTER };

export const kernel = kernelAvailability();

export interface KernelRun {
  readonly errno: number;
  readonly retval: number;
  readonly data: Uint8Array;
  readonly meta: Uint8Array;
}

/** Load `source` into the kernel and test-run it over each packet (one BPF_PROG_TEST_RUN each). */
export function kernelRunMany(type: NetType, source: string, packets: readonly Uint8Array[], maps: readonly KernelMapSpec[] = [], setup?: (maps: KernelMap[]) => void): KernelRun[] {
  const prog = kernelBridge().load(assemble(source), { type: KERNEL_TYPES[type], name: "h10", maps });
  try {
    setup?.([...prog.maps]);
    return prog.testRunMany(packets, { dataOutExtra: 4096 });
  } finally {
    prog.close();
  }
}

/**
 * The set-ups kernel agreement is checked on: each engine of ENGINES, and the JIT on a machine
 * with a maps runtime, where it calls the runtime's packet helpers (jit/lower/packet.ts).
 */
const AGREEMENT_RUNS: ReadonlyArray<{ readonly engine: EngineName; readonly maps: boolean }> = [
  ...ENGINES.map((engine) => ({ engine, maps: false })),
  { engine: "jit", maps: true },
];

/**
 * Run `source` over `packets` in the kernel, then on each set-up of AGREEMENT_RUNS, and expect
 * the same r0 (low 32 bits: the kernel's retval) and the same packet bytes. Returns the kernel's
 * results.
 */
export async function expectKernelAgreement(
  type: NetType,
  source: string,
  packets: readonly Uint8Array[],
  label: (k: number) => string = (k) => `case ${k}`,
  rigOptions: RigOptions = {},
): Promise<KernelRun[]> {
  const want = kernelRunMany(type, source, packets);
  want.forEach((w, k) => expect(w.errno, `kernel refused the run of ${label(k)}`).toBe(0));
  for (const { engine: name, maps } of AGREEMENT_RUNS) {
    const rig = makeRig(type, { ...rigOptions, maps });
    const prog = await load(rig, source, name);
    const engine = maps ? `${name} with a maps runtime` : name;
    packets.forEach((packet, k) => {
      const got = runPacket(rig, prog, packet);
      expect(low32(got.r0), `${engine}, ${label(k)}: r0`).toBe(want[k]!.retval);
      expect(got.data, `${engine}, ${label(k)}: packet`).toEqual(want[k]!.data);
      expect(got.meta, `${engine}, ${label(k)}: metadata`).toEqual(want[k]!.meta);
    });
    prog.dispose();
  }
  return want;
}

/** The redirect recorded by the last run on `cpu` (vm/runtime/record.ts). */
export function redirectOf(rig: Rig, cpu = 0): Redirect | undefined {
  return readRedirect(new DataView(rig.memory.buffer), rig.layout.cpu(cpu), rig.maps);
}

/** Low 32 bits of r0: what the kernel reports as retval. */
export const low32 = (r0: bigint): number => Number(r0 & 0xffffffffn);

/** A deterministic byte generator (xorshift32) for random-but-repeatable tests. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export function randomBytes(next: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => next() & 0xff);
}

/** -errno as the u64 a helper leaves in r0. */
export const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));
