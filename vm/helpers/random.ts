// BPF_FUNC_get_prandom_u32 (7): a pseudo-random u32 from the running CPU's own generator, as the
// kernel draws from its per-CPU bpf_user_rnd_state.
//
// On a machine (one memory, a layout), each CPU's generator state is 8 bytes of its scratch area
// (PRANDOM_STATE), so the interpreter's helper and the JIT's inline code (jit/lower/prandom.ts)
// draw the same numbers from the same state, and a run goes on where the last one on that CPU
// stopped. The machine seeds every CPU at creation (seedPrandom). The generator is xorshift64*
// (Vigna), not the kernel's LFSR113: the kernel seeds its own at boot, so no value of either
// could be compared with the other's. A table without a machine (the verifier's) has the
// layout-free helper below, on Math.random.

import type { Layout } from "../memory/layout.js";
import { memOf } from "./packet/memory.js";
import type { HelperDef } from "./registry.js";

/**
 * The state's offset in a CPU's scratch area: after the socket cookie counter
 * (packet/skb-socket.ts: COOKIE_COUNT = 208, 8 bytes), before the last 32 bytes (for-each.ts).
 */
export const PRANDOM_STATE = 216;
/** xorshift64*'s multiplier. */
export const PRANDOM_MUL = 0x2545f4914f6cdd1dn;
/** The state of a CPU never seeded (a memory set up by hand): fixed per CPU, never 0. */
export const UNSEEDED_MUL = 0x9e3779b97f4a7c15n;

const M64 = (1n << 64n) - 1n;

/** One step of xorshift64* from `s` (not 0): the new state and the u32 drawn. */
export function prandomStep(s: bigint): { state: bigint; value: bigint } {
  s ^= s >> 12n;
  s ^= (s << 25n) & M64;
  s ^= s >> 27n;
  return { state: s, value: ((s * PRANDOM_MUL) & M64) >> 32n };
}

const machineHelpers = new WeakSet<HelperDef>();

/** Is `def` the machine helper prandomU32 made (whose state the JIT may use inline)? */
export const isMachinePrandom = (def: HelperDef | undefined): boolean => def !== undefined && machineHelpers.has(def);

/** get_prandom_u32 on `layout`'s per-CPU states. */
export function prandomU32(layout: Layout): HelperDef {
  const def: HelperDef = {
    id: 7,
    name: "get_prandom_u32",
    args: [],
    ret: "integer",
    impl: (ctx) => {
      const { view } = memOf(ctx.memory);
      const at = layout.cpu(ctx.cpu).scratch + PRANDOM_STATE;
      const s = view.getBigUint64(at, true);
      const { state, value } = prandomStep(s === 0n ? (UNSEEDED_MUL * BigInt(ctx.cpu + 1)) & M64 : s);
      view.setBigUint64(at, state, true);
      return value;
    },
  };
  machineHelpers.add(def);
  return def;
}

/**
 * Seed every CPU's state: from `seed` (the same numbers run after run, for reproducible runs),
 * or from the platform's random source.
 */
export function seedPrandom(memory: WebAssembly.Memory, layout: Layout, seed?: bigint): void {
  const view = new DataView(memory.buffer);
  let x = seed === undefined ? undefined : BigInt.asUintN(64, seed);
  const words = new BigUint64Array(1);
  for (let cpu = 0; cpu < layout.cpus; cpu++) {
    let s: bigint;
    if (x === undefined) {
      crypto.getRandomValues(words);
      s = words[0]!;
    } else {
      // splitmix64: distinct, well-mixed states from one seed.
      x = (x + 0x9e3779b97f4a7c15n) & M64;
      s = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
      s = ((s ^ (s >> 27n)) * 0x94d049bb133111ebn) & M64;
      s ^= s >> 31n;
    }
    view.setBigUint64(layout.cpu(cpu).scratch + PRANDOM_STATE, s === 0n ? 1n : s, true);
  }
}

/** The helper for tables without a machine (the verifier's, the conformance type's): Math.random. */
export const getPrandomU32: HelperDef = {
  id: 7,
  name: "get_prandom_u32",
  args: [],
  ret: "integer",
  impl: () => BigInt((Math.random() * 0x1_0000_0000) >>> 0),
};
