// The per-CPU run record: the first RECORD_SIZE bytes of the CPU's scratch area, zeroed by the
// runner before each packet. It is the kernel's per-CPU struct bpf_redirect_info: bpf_redirect
// and bpf_redirect_map record a target there and return the redirect verdict; the runner reads
// it back after the run (vm/runtime/README.md §2). In memory rather than in a JS object so that
// helpers written in wasm, JIT code and workers all see the same record.

import type { CpuRegion } from "../memory/layout.js";
import { BpfMap } from "../maps/map.js";
import type { AnyMap, MapSet } from "../maps/mapset.js";
import { MapType } from "../maps/types.js";
import { XskMap } from "../maps/xsk-map.js";
import {
  RECORD_SIZE, REC_CLONES, REC_REDIRECT_FLAGS, REC_REDIRECT_KIND, REC_REDIRECT_MAP, REC_REDIRECT_TARGET, REDIRECT_IFINDEX,
  REDIRECT_MAP, REDIRECT_NONE,
} from "./record-abi.js";

export {
  RECORD_SIZE, REC_CLONES, REC_REDIRECT_FLAGS, REC_REDIRECT_KIND, REC_REDIRECT_MAP, REC_REDIRECT_TARGET, REC_TUNNEL,
  REC_XDP_FRAGS, REC_XDP_FRAGS_END,
} from "./record-abi.js";

export const RedirectKind = { NONE: REDIRECT_NONE, IFINDEX: REDIRECT_IFINDEX, MAP: REDIRECT_MAP } as const;

/** A redirect target as the run result reports it. */
export type Redirect =
  | { readonly kind: "ifindex"; readonly ifindex: number; readonly flags: number }
  | {
    readonly kind: "map"; readonly map: string; readonly key: number; readonly flags: number;
    /** A DEVMAP / DEVMAP_HASH slot's device at the time the record is read (absent: broadcast, or not a devmap). */
    readonly ifindex?: number;
    /** A CPUMAP's target CPU (the key: slot i is CPU i). */
    readonly cpu?: number;
    /** An XSKMAP slot's AF_XDP socket id at the time the record is read (vm/maps/xsk-map.ts). */
    readonly socket?: number;
  };

/**
 * The flags a redirect to an ifindex records: BPF_F_INGRESS (bpf_redirect), and the kernel's
 * internal BPF_F_NEIGH / BPF_F_PEER / BPF_F_NEXTHOP (vm/helpers/packet/redirect-peer-neigh.ts).
 */
const IFINDEX_FLAGS: ReadonlyArray<[bit: number, name: string]> = [[1, "ingress"], [1 << 16, "neigh"], [1 << 17, "peer"], [1 << 18, "nexthop"]];

/** "ifindex 3", "tx[1] -> ifindex 3": a redirect as run reports count it. */
export function redirectTarget(r: Redirect): string {
  if (r.kind === "ifindex") return `ifindex ${r.ifindex}${IFINDEX_FLAGS.filter(([bit]) => r.flags & bit).map(([, name]) => ` ${name}`).join("")}`;
  const to = r.ifindex !== undefined ? ` -> ifindex ${r.ifindex}` : r.cpu !== undefined ? ` -> cpu ${r.cpu}` : r.socket !== undefined ? ` -> xsk ${r.socket}` : "";
  return `${r.map}[${r.key}]${to}${r.flags ? ` flags 0x${r.flags.toString(16)}` : ""}`;
}

/** What a CPUMAP / XSKMAP slot sends to: the CPU (the key), the socket in the slot now. */
function slotTarget(map: AnyMap | undefined, key: number): { cpu: number } | { socket: number } | undefined {
  if (map instanceof XskMap) {
    const socket = map.socketOf(key);
    return socket === undefined ? undefined : { socket };
  }
  return map?.type === MapType.CpuMap ? { cpu: key } : undefined;
}

/** The device in a DEVMAP / DEVMAP_HASH slot (its bpf_devmap_val's ifindex), if it holds one. */
function devmapIfindex(map: AnyMap | undefined, key: number, flags: number): number | undefined {
  if (!(map instanceof BpfMap) || (map.type !== MapType.DevMap && map.type !== MapType.DevMapHash) || flags) return undefined;
  const value = (map as BpfMap).lookup(new Uint8Array(new Uint32Array([key]).buffer));
  return value ? new DataView(value.buffer, value.byteOffset).getUint32(0, true) : undefined;
}

/** The clones bpf_clone_redirect sent in the last run on `cpu`. */
export function readClones(view: DataView, cpu: CpuRegion): number {
  return view.getUint32(cpu.scratch + REC_CLONES, true);
}

export function clearRecord(u8: Uint8Array, cpu: CpuRegion): void {
  u8.fill(0, cpu.scratch, cpu.scratch + RECORD_SIZE);
}

/** Record a redirect (what bpf_redirect / bpf_redirect_map do besides returning the verdict). */
export function writeRedirect(view: DataView, cpu: CpuRegion, kind: number, target: number, flags: number, map = 0): void {
  view.setUint32(cpu.scratch + REC_REDIRECT_KIND, kind, true);
  view.setUint32(cpu.scratch + REC_REDIRECT_FLAGS, flags >>> 0, true);
  view.setUint32(cpu.scratch + REC_REDIRECT_TARGET, target >>> 0, true);
  view.setUint32(cpu.scratch + REC_REDIRECT_MAP, map >>> 0, true);
}

/** The record's words as one string: a cheap key to count redirects by before naming them. */
export function redirectKey(view: DataView, cpu: CpuRegion): string {
  const at = cpu.scratch;
  return `${view.getUint32(at + REC_REDIRECT_KIND, true)}:${view.getUint32(at + REC_REDIRECT_TARGET, true)}:${view.getUint32(at + REC_REDIRECT_MAP, true)}:${view.getUint32(at + REC_REDIRECT_FLAGS, true)}`;
}

/** The redirect a redirectKey names (maps looked up now), as readRedirect would give it. */
export function redirectOfKey(key: string, maps: MapSet | undefined): Redirect | undefined {
  const [kind, target, map, flags] = key.split(":").map(Number) as [number, number, number, number];
  const view = new DataView(new ArrayBuffer(RECORD_SIZE));
  const cpu = { scratch: 0 } as CpuRegion;
  writeRedirect(view, cpu, kind, target, flags, map);
  return readRedirect(view, cpu, maps);
}

/** The recorded redirect, if any; a map pointer is named through `maps`. */
export function readRedirect(view: DataView, cpu: CpuRegion, maps: MapSet | undefined): Redirect | undefined {
  const kind = view.getUint32(cpu.scratch + REC_REDIRECT_KIND, true);
  const flags = view.getUint32(cpu.scratch + REC_REDIRECT_FLAGS, true);
  const target = view.getUint32(cpu.scratch + REC_REDIRECT_TARGET, true);
  if (kind === RedirectKind.IFINDEX) return { kind: "ifindex", ifindex: target, flags };
  if (kind === RedirectKind.MAP) {
    const address = view.getUint32(cpu.scratch + REC_REDIRECT_MAP, true);
    const found = maps?.byAddress(address);
    const map = found?.name ?? `map at 0x${address.toString(16)}`;
    const ifindex = devmapIfindex(found, target, flags);
    if (ifindex !== undefined) return { kind: "map", map, key: target, flags, ifindex };
    return { kind: "map", map, key: target, flags, ...slotTarget(found, target) };
  }
  return undefined;
}
