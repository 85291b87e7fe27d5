// bpf_loop (helper 181, vm/helpers/loop.ts) as a wasm loop around a direct call of the callback's
// function, when the machine's helper 181 is vm/helpers/loop.ts's (the helper cannot call back
// into wasm itself). The same steps as the helper and the interpreter (vm/interpreter/loop.ts):
//
//   if (r4 != 0)               r0 = -EINVAL
//   else if ((u32)r1 > 8M)     r0 = -E2BIG
//   else if ((u32)r1 == 0)     r0 = 0
//   else if (r2 == address of callback k) {          // one arm per candidate callback
//     ctx = r3; i = 0
//     loop { r0 = f_k(r1 = i, r2 = ctx, r3..r5 = 0, r10 - 512, r0, r6..r9); r1..r5 = as f_k left them
//            i++; if (r0 != 0 || i >= n) { r0 = i; break } }
//   } else fault "not the address of a callback"
//
// The candidates are the subprograms whose address the program takes (lddw func); when r2 is
// known at the call (known.ts: the lddw's constant, which the verifier proves anyway) the one it
// names is the only arm. The callback gets its own 512-byte frame below the caller's, as a
// bpf-to-bpf call does, with the same run-time depth check when the call graph needs one.

import { LOOP_BAD_FLAGS, LOOP_ID, LOOP_TOO_MANY, loopHelper, MAX_LOOPS } from "../../vm/helpers/loop.js";
import { STACK_SIZE } from "../../vm/isa/opcodes.js";
import { funcAddress } from "../../vm/program/callbacks.js";
import { callbackStarts } from "../../vm/program/subprograms.js";
import type { Expr } from "../ir.js";
import { Fault } from "../faults.js";
import { funcName, RESULT_REG_GLOBALS, STACK_LOW_GLOBAL, type FnLowering, type ModuleState } from "./context.js";

/** Helper 181 is bpf_loop, which the JIT runs itself. */
export const isLoopHelper = (helpers: ModuleState["helpers"]): boolean => helpers.get(LOOP_ID) === loopHelper;

export function lowerLoop(f: FnLowering, i: number): Expr {
  const { m, bn } = f;
  const done = "loop_done" + i;
  const n = f.t32(0);
  const exit = (value: Expr): Expr => m.block(null, [f.set(0, value), m.br(done, m.i32.const(1))], bn.none);
  const arms = candidates(f, i).map(([slot, fn]) =>
    m.if(m.i64.eq(f.get(2), m.i64.const(BigInt.asIntN(64, funcAddress(slot)))), m.block(null, [iterate(f, i, fn, done), m.br(done, m.i32.const(1))], bn.none)),
  );
  return m.block(
    done,
    [
      m.if(m.i64.ne(f.get(4), m.i64.const(0)), exit(m.i64.const(LOOP_BAD_FLAGS))),
      m.local.set(n, f.get32(1)),
      m.if(m.i32.gt_u(m.local.get(n, bn.i32), m.i32.const(MAX_LOOPS)), exit(m.i64.const(LOOP_TOO_MANY))),
      m.if(m.i32.eqz(m.local.get(n, bn.i32)), exit(m.i64.const(0))),
      ...arms,
      f.fault(Fault.NOT_CALLBACK, i, f.get(2)),
    ],
    bn.none,
  );
}

/** [slot, function index] of the callbacks r2 may name at slot i (also for for-each.ts). */
export function candidates(f: FnLowering, i: number): Array<[number, number]> {
  const funcAt = f.mod.cfg.funcAt;
  const all = callbackStarts(f.insns).map((slot): [number, number] => [slot, funcAt.get(slot)!]);
  const r2 = f.factsAt(i)?.[2];
  if (r2?.kind !== "const") return all;
  return all.filter(([slot]) => funcAddress(slot) === r2.value);
}

/**
 * r0 = callback `fn`(r1..r5 = args) with r10 = fp() (the callee's frame, below the caller's),
 * r0 and r6..r9 passed on; then r1..r5 as the callback left them (the interpreter's shared
 * registers). With the call-depth check of a bpf-to-bpf call when the module needs one.
 * (Also for for-each.ts.)
 */
export function callCallback(f: FnLowering, i: number, fn: number, args: readonly Expr[], fp: () => Expr): Expr[] {
  const { m, bn } = f;
  const code: Expr[] = [];
  if (f.mod.depthCheck) code.push(m.if(m.i64.le_u(fp(), m.global.get(STACK_LOW_GLOBAL, bn.i64)), f.fault(Fault.CALL_DEPTH, i)));
  code.push(
    ...f.aroundCall([
      f.set(0, m.call(funcName(fn), [...args, fp(), f.get(0), f.get(6), f.get(7), f.get(8), f.get(9)], bn.i64)),
      ...RESULT_REG_GLOBALS.map((g, k) => f.set(k + 1, m.global.get(g, bn.i64))),
    ]),
  );
  return code;
}

/** The loop calling function `fn` for i = 0 .. n - 1 (n in t32(0), at least 1). */
function iterate(f: FnLowering, i: number, fn: number, done: string): Expr {
  const { m, bn } = f;
  const n = f.t32(0);
  const index = f.t32(1);
  const ctx = f.t64(0);
  const fp = f.t64(1);
  const again = `loop_next${i}_${fn}`; // one loop per candidate: Binaryen wants unique labels
  const idx = (): Expr => m.local.get(index, bn.i32);
  const zero = (): Expr => m.i64.const(0);
  const args = [m.i64.extend_u(idx()), m.local.get(ctx, bn.i64), zero(), zero(), zero()];
  const body: Expr[] = [
    ...callCallback(f, i, fn, args, () => m.local.get(fp, bn.i64)),
    m.local.set(index, m.i32.add(idx(), m.i32.const(1))),
    m.if(
      m.i32.or(m.i64.ne(f.get(0), zero()), m.i32.ge_u(idx(), m.local.get(n, bn.i32))),
      m.block(null, [f.set(0, m.i64.extend_u(idx())), m.br(done, m.i32.const(1))], bn.none),
    ),
    m.br(again, m.i32.const(1)),
  ];
  return m.block(
    null,
    [
      m.local.set(ctx, f.get(3)),
      m.local.set(fp, m.i64.sub(f.get(10), m.i64.const(BigInt(STACK_SIZE)))),
      m.local.set(index, m.i32.const(0)),
      m.loop(again, m.block(null, body, bn.none)),
    ],
    bn.none,
  );
}
