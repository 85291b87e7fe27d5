// The maps arena allocator: hands out each map's region from the Layout's maps arena
// [mapsBase, mapsBase + mapsSize) at creation time. Bump allocation only: maps live as long as
// the memory, and nothing inside a running program ever allocates (the runtime works on the
// storage reserved here), so there is nothing to free and no fragmentation to manage.

import { BpfError } from "../errors.js";

export class ArenaAllocator {
  private next: number;

  constructor(readonly base: number, readonly size: number) {
    this.next = base;
  }

  get used(): number {
    return this.next - this.base;
  }

  get free(): number {
    return this.base + this.size - this.next;
  }

  /** Reserve `bytes` at an `align`-aligned address. `what` names the owner for the error. */
  alloc(bytes: number, align: number, what: string): number {
    const start = Math.ceil(this.next / align) * align;
    const end = start + bytes;
    if (!Number.isSafeInteger(end) || end > this.base + this.size) {
      throw new BpfError(
        `${what} needs ${bytes} bytes but the maps arena has ${Math.max(0, this.base + this.size - start)} ` +
          `of ${this.size} left: create the Layout with a larger mapsSize, or lower max_entries`,
      );
    }
    this.next = end;
    return start;
  }
}
