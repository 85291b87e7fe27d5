// The per-CPU run record: the first RECORD_SIZE bytes of the CPU's scratch area, zeroed by the
// runner before each packet. It is the kernel's per-CPU struct bpf_redirect_info: bpf_redirect
// and bpf_redirect_map record a target there and return the redirect verdict; the runner reads
// it back after the run (vm/runtime/README.md §2). In memory rather than in a JS object so that
// helpers written in wasm, JIT code and workers all see the same record.

import type { CpuRegion } from "../memory/layout.js";
import type { MapSet } from "../maps/mapset.js";

export const RECORD_SIZE = 32;
/** u32: RedirectKind. */
export const REC_REDIRECT_KIND = 0;
/** u32: the helper's flags (low 32 bits), e.g. BPF_F_INGRESS = 1. */
export const REC_REDIRECT_FLAGS = 4;
/** u32: the ifindex (bpf_redirect) or the map key (bpf_redirect_map). */
export const REC_REDIRECT_TARGET = 8;
/** u32: the map pointer (header address) for bpf_redirect_map. */
export const REC_REDIRECT_MAP = 12;

export const RedirectKind = { NONE: 0, IFINDEX: 1, MAP: 2 } as const;

/** A redirect target as the run result reports it. */
export type Redirect =
  | { readonly kind: "ifindex"; readonly ifindex: number; readonly flags: number }
  | { readonly kind: "map"; readonly map: string; readonly key: number; readonly flags: number };

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

/** The recorded redirect, if any; a map pointer is named through `maps`. */
export function readRedirect(view: DataView, cpu: CpuRegion, maps: MapSet | undefined): Redirect | undefined {
  const kind = view.getUint32(cpu.scratch + REC_REDIRECT_KIND, true);
  const flags = view.getUint32(cpu.scratch + REC_REDIRECT_FLAGS, true);
  const target = view.getUint32(cpu.scratch + REC_REDIRECT_TARGET, true);
  if (kind === RedirectKind.IFINDEX) return { kind: "ifindex", ifindex: target, flags };
  if (kind === RedirectKind.MAP) {
    const address = view.getUint32(cpu.scratch + REC_REDIRECT_MAP, true);
    const map = maps?.byAddress(address)?.name ?? `map at 0x${address.toString(16)}`;
    return { kind: "map", map, key: target, flags };
  }
  return undefined;
}
