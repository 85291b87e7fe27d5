// Mutations of capture files for the reader fuzz tests: bit flips, interesting values written
// over length fields, truncations, insertions, deletions and splices. Seeded: a failure names the
// seed and the case number, which reproduce it.

import type { Rng } from "../../corpus/gen/index.js";

const INTERESTING32 = [0, 1, 4, 8, 12, 16, 20, 28, 32, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x40000, 0x40001, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff];
const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x1a, 0x2b, 0x3c, 0x4d];

export type Mutation = "flip" | "byte" | "word" | "truncate" | "insert" | "delete" | "splice" | "stack";

export function mutate(rng: Rng, input: Uint8Array, other: Uint8Array): { bytes: Uint8Array; how: Mutation } {
  const how = rng.pick<Mutation>(["flip", "flip", "byte", "word", "word", "word", "truncate", "insert", "delete", "splice", "stack"]);
  return { bytes: apply(rng, how, input, other), how };
}

function apply(rng: Rng, how: Mutation, input: Uint8Array, other: Uint8Array): Uint8Array {
  const b = input.slice();
  const at = (): number => rng.int(Math.max(1, b.length));
  switch (how) {
    case "flip":
      for (let n = rng.range(1, 8); n > 0 && b.length; n--) {
        const i = at();
        b[i]! ^= 1 << rng.int(8);
      }
      return b;
    case "byte":
      for (let n = rng.range(1, 4); n > 0 && b.length; n--) b[at()] = rng.pick(INTERESTING8);
      return b;
    case "word": {
      // Length and type fields are 4-byte aligned in both formats: hit them most of the time.
      if (b.length < 4) return b;
      const i = rng.chance(0.8) ? (at() & ~3) % (b.length - 3) : rng.int(b.length - 3);
      const v = rng.chance(0.7) ? rng.pick(INTERESTING32) : rng.u32();
      const view = new DataView(b.buffer);
      view.setUint32(i, v >>> 0, rng.chance(0.7));
      return b;
    }
    case "truncate":
      return b.slice(0, rng.int(b.length + 1));
    case "insert": {
      const i = rng.int(b.length + 1);
      const extra = rng.bytes(rng.pick([1, 2, 3, 4, 8, rng.int(64)]));
      const out = new Uint8Array(b.length + extra.length);
      out.set(b.subarray(0, i));
      out.set(extra, i);
      out.set(b.subarray(i), i + extra.length);
      return out;
    }
    case "delete": {
      const i = rng.int(b.length + 1);
      const n = rng.pick([1, 2, 4, 8, rng.int(64)]);
      const out = new Uint8Array(Math.max(0, b.length - n));
      out.set(b.subarray(0, i).subarray(0, out.length));
      if (i < out.length) out.set(b.subarray(i + n).subarray(0, out.length - i), i);
      return out;
    }
    case "splice": {
      const i = rng.int(b.length + 1);
      const j = rng.int(other.length + 1);
      const out = new Uint8Array(i + other.length - j);
      out.set(b.subarray(0, i));
      out.set(other.subarray(j), i);
      return out;
    }
    case "stack": {
      let out: Uint8Array = b;
      for (let n = rng.range(2, 4); n > 0; n--) out = apply(rng, rng.pick<Mutation>(["flip", "byte", "word", "insert", "delete"]), out, other);
      return out;
    }
  }
}
