// bpf_get_prandom_u32 (helper 7) inline: one xorshift64* step on the running CPU's generator state,
// 8 bytes of its scratch area, the very state and step the interpreter's helper uses
// (vm/helpers/random.ts) — so both engines draw the same numbers, and a JS call (13 ns here, a
// BigInt out) becomes a load, six ALU operations and a store. A CPU whose state was never seeded
// (0) starts from UNSEEDED_MUL × (cpu + 1), as the helper does.

import { isMachinePrandom, PRANDOM_MUL, PRANDOM_STATE, UNSEEDED_MUL } from "../../vm/helpers/random.js";
import type { Expr } from "../ir.js";
import { CPU_GLOBAL, type FnLowering, type ModuleState } from "./context.js";

export const PRANDOM_ID = 7;

/** The machine's helper 7 is the one on the per-CPU states (a custom table's own is called as given). */
export const isInlinePrandom = (helpers: ModuleState["helpers"], id: number): boolean =>
  id === PRANDOM_ID && isMachinePrandom(helpers.get(id));

export function lowerPrandom(f: FnLowering): Expr {
  const { m, bn } = f;
  const s = f.t64(0);
  const get = (): Expr => m.local.get(s, bn.i64);
  const xorShift = (shift: Expr): Expr => m.local.set(s, m.i64.xor(get(), shift));
  const cpu = m.i64.extend_u(m.global.get(CPU_GLOBAL, bn.i32));
  return m.block(null, [
    m.local.set(s, m.i64.load(PRANDOM_STATE, 8, f.runRecord())),
    m.if(m.i64.eqz(get()), m.local.set(s, m.i64.mul(m.i64.const(UNSEEDED_MUL), m.i64.add(cpu, m.i64.const(1))))),
    xorShift(m.i64.shr_u(get(), m.i64.const(12))),
    xorShift(m.i64.shl(get(), m.i64.const(25))),
    xorShift(m.i64.shr_u(get(), m.i64.const(27))),
    m.i64.store(PRANDOM_STATE, 8, f.runRecord(), get()),
    f.set(0, m.i64.shr_u(m.i64.mul(get(), m.i64.const(PRANDOM_MUL)), m.i64.const(32))),
  ]);
}
