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
   * Regions of one batch run without allocating: the packet [start, end) (writable) and, when
   * ctxEnd > ctxStart, the context (read-only).
   */
  setPacket(start: number, end: number, ctxStart: number, ctxEnd: number): void {
    this.start[0] = start;
    this.end[0] = end;
    this.writable[0] = 1;
    this.start[1] = ctxStart;
    this.end[1] = ctxEnd;
    this.writable[1] = 0;
    this.count = ctxEnd > ctxStart ? 2 : 1;
    if (this.names.length !== 2) this.names = ["packet", "ctx"];
    this.source = undefined;
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
