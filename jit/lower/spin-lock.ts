// bpf_spin_lock / bpf_spin_unlock (helpers 93, 94) inline: the lock is a u32 of the shared memory
// (vm/maps/spin-lock.ts), 0 when free. Taking it is one compare-exchange 0 → 1; only when that
// fails (another CPU holds it) does the program call the JS helper, which spins with a time
// limit (a lock nobody releases is reported, not spun on forever). Releasing it is an atomic
// exchange with 0. Measured (bench: a 64-round locked counter, one CPU): the two JS calls cost
// about 140 ns per locked section, about ten times the section itself.
//
// Addresses below the null guard go to the JS helpers, which refuse them with a clear error (a
// program the verifier never saw); anything else out of place traps as any wasm access does.
// r0 is 0 afterwards, as the helpers return (RET_VOID: the verifier lets nobody read it).

import { spinLockHelper, spinUnlockHelper, SPIN_LOCK_ID, SPIN_UNLOCK_ID } from "../../vm/helpers/spin-lock.js";
import { NULL_GUARD } from "../../vm/memory/layout.js";
import type { Expr } from "../ir.js";
import type { FnLowering, ModuleState } from "./context.js";

/** The machine's table has our spin lock helpers (a custom table's own are called as given). */
export const isInlineSpinLock = (helpers: ModuleState["helpers"], id: number): boolean =>
  (id === SPIN_LOCK_ID && helpers.get(id) === spinLockHelper) || (id === SPIN_UNLOCK_ID && helpers.get(id) === spinUnlockHelper);

export function lowerSpinLock(f: FnLowering, id: number): Expr {
  const { m, bn } = f;
  const t = f.t64(0);
  const addr = (): Expr => m.i32.wrap(m.local.get(t, bn.i64));
  const callJs = (): Expr => m.drop(f.callHelper(id));
  const inline = id === SPIN_LOCK_ID
    ? m.if(m.i64.ne(m.i64.atomic.rmw32_u.cmpxchg(0, addr(), m.i64.const(0), m.i64.const(1)), m.i64.const(0)), callJs())
    : m.drop(m.i64.atomic.rmw32_u.xchg(0, addr(), m.i64.const(0)));
  return m.block(
    null,
    [
      m.local.set(t, f.get(1)),
      m.if(m.i64.lt_u(m.local.get(t, bn.i64), m.i64.const(NULL_GUARD)), callJs(), inline),
      f.set(0, m.i64.const(0)),
    ],
    bn.none,
  );
}
