// Branch labels of the direct builder → small ids, resolved to relative depths by the writer.
//
// The structure plan (../structure.ts) names its scopes `b<j>` (the block a forward jump to
// block j leaves) and `l<h>` (the loop with header h): tens of thousands per large program, each
// named once where it opens and again at every branch to it. Those names map to ids
// arithmetically (2j and 2h + 1), with no hashing and no table to grow; any other name (entry.ts,
// lower/call.ts) gets an id past them through a Map. This is only an encoding: any string is a
// valid label, the result is the same.

import { NO_LABEL } from "./arena.js";

/** Ids from here on are names looked up in the Map; below, `b<j>` / `l<h>`. */
export const OTHERS = 1 << 22;
const CODE_B = 0x62;
const CODE_L = 0x6c;
const CODE_0 = 0x30;

/** 2j for `b<j>`, 2h + 1 for `l<h>` (decimal, no leading zero, below OTHERS / 2); otherwise -1. */
function arithmeticId(name: string): number {
  const kind = name.charCodeAt(0);
  if ((kind !== CODE_B && kind !== CODE_L) || name.length < 2 || name.length > 8) return -1;
  if (name.charCodeAt(1) === CODE_0 && name.length > 2) return -1;
  let n = 0;
  for (let k = 1; k < name.length; k++) {
    const digit = name.charCodeAt(k) - CODE_0;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  const id = 2 * n + (kind === CODE_L ? 1 : 0);
  return id < OTHERS ? id : -1;
}

export class Labels {
  private readonly others = new Map<string, number>();
  private readonly otherNames: string[] = [];
  /** One past the largest arithmetic id given out. */
  private arithmetic = 0;

  id(name: string): number {
    const id = arithmeticId(name);
    if (id >= 0) {
      if (id >= this.arithmetic) this.arithmetic = id + 1;
      return id;
    }
    let other = this.others.get(name);
    if (other === undefined) {
      other = OTHERS + this.otherNames.push(name) - 1;
      if (other >= NO_LABEL) throw new Error("DirectModule: too many labels");
      this.others.set(name, other);
    }
    return other;
  }

  /** Slots of a dense table indexed by label (the writer's depths): how many, and each id's. */
  get slots(): number {
    return this.arithmetic + this.otherNames.length;
  }

  /** Slots of the arithmetic ids (the others' slots follow them). */
  get arithmeticSlots(): number {
    return this.arithmetic;
  }

  slot(id: number): number {
    return id < OTHERS ? id : this.arithmetic + id - OTHERS;
  }

  name(id: number): string {
    if (id >= OTHERS) return this.otherNames[id - OTHERS]!;
    return (id & 1 ? "l" : "b") + (id >> 1);
  }
}
