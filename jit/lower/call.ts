// Calls (RFC 9669 §4.3.1, §4.3.2):
//   - helper `call N`: a wasm import `helpers.N` taking the helper's arguments r1..rN and
//     returning r0 (the engine binds it to HelperDef.impl; context.ts helperArity). An id the machine's table lacks is refused at compile time, as the
//     kernel's verifier refuses it at load ("invalid func unknown#N"). Map helpers call the maps
//     runtime's exports wasm-to-wasm instead (lower/maps.ts), array lookups inline, and so do the
//     packet helpers the runtime also implements (lower/packet.ts); get_smp_processor_id reads
//     the running CPU (lower/cpu-id.ts).
//   - bpf-to-bpf `call`: a direct wasm call of the callee's function with r1..r5 and the callee's
//     frame pointer r10 - 512 (each frame has its own 512 bytes below the caller's). r6..r9 are
//     the caller's locals, so they are preserved as eBPF requires. When the static call graph can
//     exceed MAX_CALL_FRAMES (recursion, or a chain deeper than 8), each call checks the depth at
//     run time against the CPU's stack and faults with a clear error rather than corrupting
//     memory below the stack.
//   - `callx rN`: the helper whose id is in rN (LLVM puts the register in dst). It goes through one
//     module-level `$callx` function: a br_table over the known helper ids with a direct call in
//     each arm. Compared with a funcref table + call_indirect this needs no table of mostly-null
//     entries (ids are sparse, up to ~200), keeps direct calls, and an unknown id faults with the
//     id and instruction index instead of V8's "null function or function signature mismatch".
//   - kfunc `call kfunc N`: like a helper, a wasm import taking r1..r5 (callKfunc).
//   - tail calls (helper 12, bpf_tail_call) are a jump, not a call: lower/tailcall.ts.
//   - bpf_loop (helper 181) calls back into the program: a wasm loop around a call of the
//     callback's function, lower/loop.ts; bpf_for_each_map_elem (helper 164) the same around a
//     walk of the map, lower/for-each.ts.

import { BpfError } from "../../vm/errors.js";
import { TAIL_CALL_ID, tailCallHelper } from "../../vm/helpers/tailcall.js";
import { STACK_SIZE } from "../../vm/isa/opcodes.js";
import type { OpDef } from "../../vm/isa/table.js";
import type { Expr } from "../ir.js";
import { callTarget } from "../cfg.js";
import { Fault } from "../faults.js";
import {
  FAULT_ARG_GLOBAL,
  FAULT_GLOBAL,
  FAULT_INSN_GLOBAL,
  funcName,
  helperArity,
  helperName,
  RESULT_REG_GLOBALS,
  STACK_LOW_GLOBAL,
  type FnLowering,
  type ModuleState,
} from "./context.js";
import { lowerMapCall, mapCallFor } from "./maps.js";
import { lowerPacketCall, packetCallFor } from "./packet.js";
import { lowerTailCall } from "./tailcall.js";
import { isLoopHelper, lowerLoop } from "./loop.js";
import { LOOP_ID } from "../../vm/helpers/loop.js";
import { FOR_EACH_ID } from "../../vm/helpers/for-each.js";
import { isForEach, lowerForEach } from "./for-each.js";
import { isInlineSpinLock, lowerSpinLock } from "./spin-lock.js";
import { isInlineCpuId, lowerCpuId } from "./cpu-id.js";
import { isInlinePrandom, lowerPrandom } from "./prandom.js";

export const CALLX = "callx";

/** bpf_tail_call is the runtime's jump (vm/runtime/README.md §8.3), which the JIT implements. */
export const isTailCallJump = (helpers: ModuleState["helpers"]): boolean => helpers.get(TAIL_CALL_ID) === tailCallHelper;

/** Slots whose lowering uses register facts (known.ts): map helper calls, tail calls, callbacks. */
export function wantsFacts(mod: ModuleState, i: number): boolean {
  const def = mod.decoded[i];
  if (def?.kind !== "call" || def.target !== "helper") return false;
  const id = mod.insns[i]!.imm;
  return (
    (id === TAIL_CALL_ID && mod.tailCallJump) ||
    (id === LOOP_ID && isLoopHelper(mod.helpers)) ||
    (id === FOR_EACH_ID && isForEach(mod.helpers)) ||
    mapCallFor(mod, id) !== undefined ||
    packetCallFor(mod, id)?.roles[0] === "map"
  );
}

const args = (f: FnLowering): Expr[] => [1, 2, 3, 4, 5].map((r) => f.get(r));

export function lowerCall(f: FnLowering, def: Extract<OpDef, { kind: "call" | "callx" }>, i: number): Expr {
  const { m, bn } = f;
  const ins = f.insns[i]!;
  if (def.kind === "callx") {
    f.mod.callx = true;
    return f.set(0, m.call(CALLX, [f.get(ins.dst), m.i32.const(i), ...args(f)], bn.i64));
  }
  if (def.target === "kfunc") return callKfunc(f, ins.imm, i);
  if (def.target === "helper") return callHelper(f, ins.imm, i);
  const callee = f.mod.cfg.funcAt.get(callTarget(ins, i))!;
  const fp = m.i64.sub(f.get(10), m.i64.const(BigInt(STACK_SIZE)));
  // r1..r5 come back from the callee through globals (context.ts: one shared register file).
  const readBack = RESULT_REG_GLOBALS.map((g, k) => f.set(k + 1, m.global.get(g, bn.i64)));
  if (!f.mod.depthCheck) return m.block(null, f.aroundCall([f.set(0, m.call(funcName(callee), f.callArgs(fp), bn.i64)), ...readBack]), bn.none);
  const t = f.t64(0);
  return m.block(
    null,
    [
      m.if(m.i64.le_u(m.local.tee(t, fp, bn.i64), m.global.get(STACK_LOW_GLOBAL, bn.i64)), f.fault(Fault.CALL_DEPTH, i)),
      ...f.aroundCall([f.set(0, m.call(funcName(callee), f.callArgs(m.local.get(t, bn.i64)), bn.i64)), ...readBack]),
    ],
    bn.none,
  );
}

/** `call id` → the r0 assignment (or, for a tail call, the jump). */
function callHelper(f: FnLowering, id: number, i: number): Expr {
  if (!f.mod.helpers.has(id)) {
    throw new BpfError(`call to unknown helper ${id} at insn ${i}: not a helper of this machine's table`, { insn: i });
  }
  if (id === TAIL_CALL_ID && f.mod.tailCallJump) return lowerTailCall(f, i);
  if (id === LOOP_ID && isLoopHelper(f.mod.helpers)) return lowerLoop(f, i);
  if (id === FOR_EACH_ID && isForEach(f.mod.helpers)) return lowerForEach(f, i);
  if (isInlineSpinLock(f.mod.helpers, id)) return lowerSpinLock(f, id);
  if (isInlineCpuId(f.mod.helpers, id)) return lowerCpuId(f);
  if (isInlinePrandom(f.mod.helpers, id)) return lowerPrandom(f);
  const mapCall = mapCallFor(f.mod, id);
  if (mapCall) return lowerMapCall(f, mapCall, i);
  const packetCall = packetCallFor(f.mod, id);
  if (packetCall) return lowerPacketCall(f, packetCall, i);
  return f.set(0, f.callHelper(id));
}

/**
 * `call kfunc id` → r0 from the kfunc's JS function, imported as a helper is (`helpers.<id>`:
 * kfunc ids are a range of their own, vm/helpers/kfunc/ids.ts, and jit/link.ts binds either).
 */
function callKfunc(f: FnLowering, id: number, i: number): Expr {
  if (!f.mod.helpers.kfunc(id)) {
    throw new BpfError(`call to unknown kfunc ${id} at insn ${i}: not a kfunc of this machine's table`, { insn: i });
  }
  return f.set(0, f.callHelper(id));
}

/**
 * `$callx(id: i64, insn: i32, r1..r5: i64) -> i64`: br_table on the id over every helper of the
 * machine's table; ids outside it fault (the insn index comes in as a parameter).
 */
export function addCallxDispatcher(mod: ModuleState): void {
  const { m, bn } = mod;
  const ids = mod.helpers.list().map((h) => h.id);
  for (const id of ids) mod.usedHelpers.add(id);
  const [ID, INSN] = [0, 1];
  const regs = [2, 3, 4, 5, 6].map((k) => m.local.get(k, bn.i64));
  const maxId = ids.length ? Math.max(...ids) : -1;
  const table = Array.from({ length: maxId + 1 }, (_, id) => (ids.includes(id) ? "c" + id : "bad"));
  const id = (): Expr => m.local.get(ID, bn.i64);
  let inner: Expr = m.block(
    null,
    [m.br("bad", m.i64.gt_u(id(), m.i64.const(BigInt(maxId)))), m.switch(table, "bad", m.i32.wrap(id()))],
    bn.unreachable,
  );
  for (const hid of ids) {
    const call = m.call(helperName(hid), regs.slice(0, helperArity(mod.helpers, hid)), bn.i64);
    inner = m.block(null, [m.block("c" + hid, [inner], bn.none), m.return(call)], bn.none);
  }
  const body = m.block(
    null,
    [
      m.block("bad", [inner], bn.none),
      m.global.set(FAULT_GLOBAL, m.i32.const(Fault.UNKNOWN_HELPER)),
      m.global.set(FAULT_INSN_GLOBAL, m.local.get(INSN, bn.i32)),
      m.global.set(FAULT_ARG_GLOBAL, id()),
      m.unreachable(),
    ],
    bn.unreachable,
  );
  const params = bn.createType([bn.i64, bn.i32, bn.i64, bn.i64, bn.i64, bn.i64, bn.i64]);
  m.addFunction(CALLX, params, bn.i64, [], body);
}
