// The memory a run may touch besides its own stack: RunInput.regions (input buffer, packet,
// context, map values). The interpreter checks every load, store and atomic against the stack
// of the current call chain and these regions, so a wild pointer stops the run with a fault
// instead of reading or corrupting other memory (maps, other CPUs' stacks).

import { BpfError } from "../errors.js";
import type { Region } from "../engine.js";
import { NULL_GUARD } from "../memory/layout.js";

/** At most this many regions per run: a linear scan stays cheap. */
export const MAX_REGIONS = 64;

export class RegionSet {
  readonly start = new Float64Array(MAX_REGIONS);
  readonly end = new Float64Array(MAX_REGIONS);
  readonly writable = new Uint8Array(MAX_REGIONS);
  names: string[] = [];
  count = 0;
  private source: readonly Region[] | undefined = undefined;

  /** Take a run's regions, checking each lies inside the memory and outside the null guard. */
  set(regions: readonly Region[] | undefined, memoryBytes: number): void {
    // Same array as the last run (or none, again): nothing to redo.
    if (regions === this.source && (regions !== undefined || this.count === 0)) return;
    const list = regions ?? [];
    if (list.length > MAX_REGIONS) throw new BpfError(`too many regions: ${list.length} (at most ${MAX_REGIONS})`);
    list.forEach((r, i) => {
      if (!(Number.isInteger(r.start) && Number.isInteger(r.end) && r.start <= r.end)) {
        throw new BpfError(`region ${i} ('${r.name}') is not a range: [${r.start}, ${r.end})`);
      }
      if (r.start < NULL_GUARD || r.end > memoryBytes) {
        throw new BpfError(
          `region ${i} ('${r.name}') [0x${r.start.toString(16)}, 0x${r.end.toString(16)}) is outside the usable memory [0x${NULL_GUARD.toString(16)}, 0x${memoryBytes.toString(16)})`,
        );
      }
      this.start[i] = r.start;
      this.end[i] = r.end;
      this.writable[i] = r.writable ? 1 : 0;
    });
    this.names = list.map((r) => r.name);
    this.count = list.length;
    this.source = regions;
  }

  /**
   * Regions of one batch run without allocating: the packet [start, end) (writable), the
   * context (read-only) when ctxEnd > ctxStart, and the maps arena (writable: map values that
   * helpers return) when mapsEnd > mapsStart.
   */
  setPacket(start: number, end: number, ctxStart: number, ctxEnd: number, mapsStart = 0, mapsEnd = 0): void {
    this.count = 0;
    this.names.length = 0;
    this.push(start, end, 1, "packet");
    if (ctxEnd > ctxStart) this.push(ctxStart, ctxEnd, 0, "ctx");
    if (mapsEnd > mapsStart) this.push(mapsStart, mapsEnd, 1, "maps");
    this.source = undefined;
  }

  private push(start: number, end: number, writable: number, name: string): void {
    const i = this.count++;
    this.start[i] = start;
    this.end[i] = end;
    this.writable[i] = writable;
    this.names[i] = name;
  }

  /** The region holding [addr, addr + size) with the required access, or -1. */
  find(addr: number, size: number, write: boolean): number {
    for (let i = 0; i < this.count; i++) {
      if (addr >= this.start[i]! && addr + size <= this.end[i]! && (!write || this.writable[i] === 1)) return i;
    }
    return -1;
  }

  /** Why [addr, addr + size) is refused, for the fault message. */
  explain(addr: number, size: number, write: boolean): string {
    if (addr >= 0 && addr < NULL_GUARD) return "null pointer dereference";
    for (let i = 0; i < this.count; i++) {
      if (addr >= this.start[i]! && addr + size <= this.end[i]! && write && this.writable[i] === 0) {
        return `'${this.names[i]}' is read-only`;
      }
      if (addr < this.end[i]! && addr + size > this.start[i]!) {
        return `crosses the bounds of '${this.names[i]}' [0x${this.start[i]!.toString(16)}, 0x${this.end[i]!.toString(16)})`;
      }
    }
    return `outside ${["stack", ...this.names].join(" and ")}`;
  }
}
