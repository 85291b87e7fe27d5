// bpf_tail_call (helper 12) as a jump through the machine's program table (vm/runtime/README.md
// §6; jit/README.md "Tail calls"):
//
//   id = PROG_ARRAY slot (u32) r3, or 0 when the index is past max_entries or the slot is empty
//   if (id != 0 && tailCalls < MAX_TAIL_CALLS) {
//     tailCalls++                               // only populated slots count (x86 JIT order)
//     if (id >= table.size || table[id] == null) tail.ensure(id, insn)   // compile on first use
//     return call_indirect table[id] (r1..r5, r10, r0, r6..r9)           // same frame, r1 = ctx
//   }
//   // else fall through with r0 unchanged
//
// The target is the `tail` export of the program's module (its entry function), called with
// this function's registers and frame pointer, and its r0 is returned from this function: the
// target replaces this frame — at the top level that ends the run, in a bpf-to-bpf subprogram it
// returns to the subprogram's caller, as the x86 JIT does since 5.10. The wasm call nests (at
// most 33 deep, one per taken tail call), so no trampoline state is needed, and `tailCalls` is
// an imported global shared by every module of the machine, reset by run / runBatch.
//
// A known PROG_ARRAY (r2 from `lddw map_fd`) is read inline; anything else goes to the JS
// import `tail.lookup`, which applies the shared lookup (vm/helpers/tailcall.ts TailCalls) and
// raises the interpreter's faults for a map that is not a prog array.

import { MAX_CALL_FRAMES, MAX_TAIL_CALLS, STACK_FRAMES, STACK_SIZE } from "../../vm/isa/opcodes.js";
import type { MapDescriptor } from "../../vm/maps/descriptor.js";
import { MapType } from "../../vm/maps/types.js";
import type { Expr } from "../ir.js";
import { PARAM_COUNT, PROGRAM_TABLE, STACK_LOW_GLOBAL, TAIL_CALLS_GLOBAL, type FnLowering } from "./context.js";
import { Fault } from "../faults.js";

export const TAIL_LOOKUP = "tail_lookup";
export const TAIL_ENSURE = "tail_ensure";
const SLOT_SIZE = 8; // PROG_ARRAY value stride (vm/maps/plan.ts)

export function lowerTailCall(f: FnLowering, i: number): Expr {
  const { m, bn } = f;
  const mod = f.mod;
  mod.tail.table = true;
  const id = f.t32(0);
  const fact = f.factsAt(i)?.[2];
  const map = fact?.kind === "const" && fact.value <= 0xffffffffn ? mod.maps.get(Number(fact.value)) : undefined;
  const lookup = map?.type === MapType.ProgArray ? slotRead(f, map) : slowLookup(f, i);
  const count = (): Expr => m.global.get(TAIL_CALLS_GLOBAL, bn.i32);
  const get = (): Expr => m.local.get(id, bn.i32);
  const ensure = (): Expr => m.call(TAIL_ENSURE, [get(), m.i32.const(i)], bn.none);
  // table.get traps past the end: test the size first.
  const present = m.if(
    m.i32.ge_u(get(), m.table.size(PROGRAM_TABLE)),
    ensure(),
    m.if(m.ref.is_null(m.table.get(PROGRAM_TABLE, get(), bn.funcref)), ensure()),
  );
  const params = bn.createType(Array<number>(PARAM_COUNT).fill(bn.i64));
  const jump = m.block(
    null,
    [
      roomForTarget(f, i),
      m.global.set(TAIL_CALLS_GLOBAL, m.i32.add(count(), m.i32.const(1))),
      present,
      f.ret(m.call_indirect(PROGRAM_TABLE, get(), f.callArgs(f.get(10)), params, bn.i64)),
    ],
    bn.none,
  );
  const taken = m.i32.and(m.i32.ne(get(), m.i32.const(0)), m.i32.lt_u(count(), m.i32.const(MAX_TAIL_CALLS)));
  return m.block(null, [m.local.set(id, lookup), m.if(taken, jump)], bn.none);
}

/**
 * The target takes this frame and may call MAX_CALL_FRAMES deep from it: a tail call is taken
 * only with that room on the CPU's stack (STACK_FRAMES frames below its top = stackLow +
 * MAX_CALL_FRAMES × 512, entry.ts), as the interpreter checks; else the run faults naming the
 * frame ((top - r10) / 512 + 1). Without it a chain of tail calls from subprograms could run past
 * the CPU's stack.
 */
function roomForTarget(f: FnLowering, i: number): Expr {
  const { m, bn } = f;
  const low = m.global.get(STACK_LOW_GLOBAL, bn.i64);
  const lowest = m.i64.sub(low, m.i64.const(BigInt((STACK_FRAMES - 2 * MAX_CALL_FRAMES) * STACK_SIZE)));
  const frame = m.i64.add(m.i64.div_u(m.i64.sub(m.i64.add(m.global.get(STACK_LOW_GLOBAL, bn.i64), m.i64.const(BigInt(MAX_CALL_FRAMES * STACK_SIZE))), f.get(10)), m.i64.const(BigInt(STACK_SIZE))), m.i64.const(1n));
  return m.if(m.i64.lt_u(f.get(10), lowest), f.fault(Fault.TAIL_CALL_DEPTH, i, frame));
}

/** prog_array_get inlined: (u32) r3 < max_entries ? the slot's id (atomic: user space writes it) : 0. */
function slotRead(f: FnLowering, map: MapDescriptor): Expr {
  const { m, bn } = f;
  const index = f.t32(1);
  const slot = m.i32.add(m.i32.const(map.values), m.i32.mul(m.local.get(index, bn.i32), m.i32.const(SLOT_SIZE)));
  return m.if(m.i32.lt_u(m.local.tee(index, f.get32(3), bn.i32), m.i32.const(map.maxEntries)), m.i32.atomic.load(0, slot), m.i32.const(0));
}

/** tail.lookup(r2, r3, insn) → id or 0, through JS: r2 is not a known prog array. */
function slowLookup(f: FnLowering, i: number): Expr {
  f.mod.tail.lookup = true;
  return f.m.call(TAIL_LOOKUP, [f.get(2), f.get(3), f.m.i32.const(i)], f.bn.i32);
}
