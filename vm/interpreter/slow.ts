// The interpreter's out-of-line paths: access checks outside the current stack, helper calls,
// atomics, legacy packet loads, and address arithmetic that leaves 32 bits. Kept out of the
// dispatch loop so that the loop stays small enough for V8 to optimise well.

import { BpfError, BpfRuntimeError } from "../errors.js";
import { MAX_CALL_FRAMES, STACK_FRAMES, STACK_SIZE } from "../isa/opcodes.js";
import type { HelperDef } from "../helpers/registry.js";
import { inKeySlots } from "../helpers/for-each.js";
import { SKB_DATA_END_OFFSET, SKB_DATA_OFFSET } from "../programs/skb.js";
import { ldAbsAddress } from "../program/ld-abs.js";
import { fromBig, RES, toS64, toU64 } from "./arith64.js";
import { hexAddr, runtimeFault, slotName } from "./faults.js";
import type { Prepared, RunState } from "./state.js";
import { isKfunc } from "../helpers/kfunc/defs.js";

const TWO32 = 4294967296;

/**
 * base + off as an address when the base register's high word is not zero: 64-bit wrap-around
 * may still land below 2^32. Returns -1 when the address is not below 2^32 (never valid).
 */
export function wideAddress(hi: number, lo: number, off: number): number {
  const sum = (lo >>> 0) + off;
  const carry = sum >= TWO32 ? 1 : sum < 0 ? -1 : 0;
  return hi + carry === 0 ? sum - carry * TWO32 : -1;
}

/** The exact 64-bit address base + off, for messages. */
function exactAddress(st: RunState, base: number, off: number): bigint {
  return BigInt.asUintN(64, toU64(st.lo[base]!, st.hi[base]!) + BigInt(off));
}

/**
 * Check an access outside [stackLo, stackTop) against the run's regions; throw a fault naming
 * the instruction and address if none allows it. `addr` is -1 when it left 32 bits.
 */
export function checkAccess(p: Prepared, st: RunState, pc: number, addr: number, size: number, write: boolean, stackLo: number): void {
  if (addr >= 0 && st.regions.find(addr, size, write) >= 0) return;
  // The u32 key bpf_for_each_map_elem hands an array walk's callback (read-only, its slot in
  // the CPU's scratch area: vm/helpers/for-each.ts keySlotOffset).
  if (!write && inKeySlots(st.stackTop, addr, size)) return;
  const ins = p.insns[pc]!;
  const def = p.defs[pc];
  const base = def?.kind === "ldx" ? ins.src : ins.dst;
  const shown = addr >= 0 ? addr : exactAddress(st, base, ins.off);
  const stackBase = st.stackTop - STACK_FRAMES * STACK_SIZE;
  let reason: string;
  if (addr < 0) reason = "outside the 32-bit address space";
  else if (addr < st.stackTop && addr + size > stackBase) {
    reason = addr + size > st.stackTop
      ? "crosses the top of the stack"
      : `outside the stack of the current call chain (${hexAddr(stackLo)}..${hexAddr(st.stackTop)})`;
  } else reason = st.regions.explain(addr, size, write);
  throw runtimeFault(p, pc, `invalid ${write ? "write" : "read"} of ${size} byte${size === 1 ? "" : "s"} at ${hexAddr(shown)}: ${reason}`, addr >= 0 ? addr : undefined);
}

/** Call a helper with r1..r5 and put its result in r0. Helper errors become faults at this slot. */
export function callHelper(p: Prepared, st: RunState, pc: number, def: HelperDef): void {
  const { lo, hi } = st;
  let result: bigint;
  try {
    result = def.impl(st.helperCtx, toU64(lo[1]!, hi[1]!), toU64(lo[2]!, hi[2]!), toU64(lo[3]!, hi[3]!), toU64(lo[4]!, hi[4]!), toU64(lo[5]!, hi[5]!));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw runtimeFault(p, pc, `${isKfunc(def) ? "kfunc" : "helper"} ${def.name} (#${def.id}) failed: ${why}`);
  }
  if (typeof result !== "bigint") throw runtimeFault(p, pc, `helper ${def.name} (#${def.id}) returned ${typeof result}, not a bigint`);
  fromBig(result);
  lo[0] = RES[0]!;
  hi[0] = RES[1]!;
}

/** callx: the helper id is the value of register `reg` (LLVM's encoding puts it in dst). */
export function callIndirect(p: Prepared, st: RunState, pc: number, reg: number): void {
  const id = st.hi[reg] === 0 ? st.lo[reg]! >>> 0 : -1;
  const def = id >= 0 ? p.helpers.get(id) : undefined;
  if (!def) throw runtimeFault(p, pc, `callx r${reg}: no helper with id ${toU64(st.lo[reg]!, st.hi[reg]!)}`);
  callHelper(p, st, pc, def);
}

/**
 * STX | ATOMIC (RFC 9669 §5.3): read-modify-write of 4 or 8 bytes at dst + off. The memory may
 * be shared by workers, so these are real atomics (Atomics.*). FETCH forms return the old value
 * in src (zero-extended for 32 bits); cmpxchg compares with r0 and returns the old value in r0.
 */
export function atomic(p: Prepared, st: RunState, pc: number, stackLo: number): void {
  const ins = p.insns[pc]!;
  const def = p.defs[pc]!;
  if (def.kind !== "atomic") throw new BpfError(`insn ${pc}: internal error: not an atomic`);
  const { lo, hi } = st;
  const size = def.bytes;
  let addr = (lo[ins.dst]! >>> 0) + ins.off;
  if (hi[ins.dst] !== 0) addr = wideAddress(hi[ins.dst]!, lo[ins.dst]!, ins.off);
  if (addr < stackLo || addr + size > st.stackTop) checkAccess(p, st, pc, addr, size, true, stackLo);
  // The kernel requires natural alignment for atomics (check_atomic → strict alignment).
  if (addr % size !== 0) throw runtimeFault(p, pc, `misaligned atomic access of ${size} bytes at ${hexAddr(addr)}`, addr);
  const s = ins.src;
  if (size === 4) {
    const a = st.i32;
    const i = addr >> 2;
    const v = lo[s]!;
    let old: number;
    switch (def.aop) {
      case "add": old = Atomics.add(a, i, v); break;
      case "or": old = Atomics.or(a, i, v); break;
      case "and": old = Atomics.and(a, i, v); break;
      case "xor": old = Atomics.xor(a, i, v); break;
      case "xchg": old = Atomics.exchange(a, i, v); break;
      case "cmpxchg": old = Atomics.compareExchange(a, i, lo[0]!, v); break;
    }
    if (def.aop === "cmpxchg") { lo[0] = old; hi[0] = 0; }
    else if (def.fetch) { lo[s] = old; hi[s] = 0; }
    return;
  }
  const a = st.i64;
  const i = addr >> 3;
  const v = toS64(lo[s]!, hi[s]!);
  let old: bigint;
  switch (def.aop) {
    case "add": old = Atomics.add(a, i, v); break;
    case "or": old = Atomics.or(a, i, v); break;
    case "and": old = Atomics.and(a, i, v); break;
    case "xor": old = Atomics.xor(a, i, v); break;
    case "xchg": old = Atomics.exchange(a, i, v); break;
    case "cmpxchg": old = Atomics.compareExchange(a, i, toS64(lo[0]!, hi[0]!), v); break;
  }
  fromBig(old);
  const reg = def.aop === "cmpxchg" ? 0 : def.fetch ? s : -1;
  if (reg >= 0) { lo[reg] = RES[0]!; hi[reg] = RES[1]!; }
}

/** Read `size` bytes at `addr` for the packet loads, checked like any other access. */
function readChecked(p: Prepared, st: RunState, pc: number, addr: number, size: number, stackLo: number, what: string): void {
  if (addr >= stackLo && addr + size <= st.stackTop) return;
  if (addr >= 0 && st.regions.find(addr, size, false) >= 0) return;
  throw runtimeFault(p, pc, `invalid read of ${size} byte${size === 1 ? "" : "s"} at ${hexAddr(addr)} (${what}): ${st.regions.explain(addr, size, false)}`, addr);
}

/**
 * LD_ABS / LD_IND (RFC 9669 §5.5; kernel bpf_gen_ld_abs): r0 = the 1, 2 or 4 bytes at packet
 * offset imm (ABS) or src + imm (IND, as s32), in network byte order, zero-extended; negative
 * offsets as vm/program/ld-abs.ts says. The packet is that of the skb in r6 (the kernel requires
 * the context there), found through __sk_buff's data and data_end, which hold real addresses in
 * this runtime. Returns false when the bytes are outside the packet: the kernel then returns
 * r0 = 0 from the current function.
 */
export function loadPacket(p: Prepared, st: RunState, pc: number, stackLo: number): boolean {
  const ins = p.insns[pc]!;
  const def = p.defs[pc]!;
  if (def.kind !== "ldpkt") throw new BpfError(`insn ${pc}: internal error: not a packet load`);
  const { lo, hi, view } = st;
  if (hi[6] !== 0) throw runtimeFault(p, pc, `r6 does not hold a context pointer (0x${toU64(lo[6]!, hi[6]!).toString(16)})`);
  const ctx = lo[6]! >>> 0;
  readChecked(p, st, pc, ctx + SKB_DATA_OFFSET, 4, stackLo, "__sk_buff.data via r6");
  readChecked(p, st, pc, ctx + SKB_DATA_END_OFFSET, 4, stackLo, "__sk_buff.data_end via r6");
  const data = view.getUint32(ctx + SKB_DATA_OFFSET, true);
  const end = view.getUint32(ctx + SKB_DATA_END_OFFSET, true);
  const off = def.ind ? (lo[ins.src]! + ins.imm) | 0 : ins.imm;
  const size = def.bytes;
  const addr = ldAbsAddress(view, ctx, data, end, off, size);
  if (addr < 0) return false;
  readChecked(p, st, pc, addr, size, stackLo, "packet");
  lo[0] = size === 1 ? view.getUint8(addr) : size === 2 ? view.getUint16(addr, false) : view.getInt32(addr, false);
  hi[0] = 0;
  return true;
}

/**
 * `call 12` (bpf_tail_call): the prepared target to continue in, or undefined to fall through
 * (vm/runtime/README.md §6). Lookup problems the verifier would have refused become faults here.
 */
export function tailCall(p: Prepared, st: RunState, pc: number): Prepared | undefined {
  const tail = st.tail;
  if (!tail) throw runtimeFault(p, pc, "bpf_tail_call: the machine has no maps, so no prog array to jump through");
  try {
    return tail.next(st);
  } catch (err) {
    throw runtimeFault(p, pc, err instanceof Error ? err.message : String(err));
  }
}

export function budgetExceeded(p: Prepared, pc: number): BpfRuntimeError {
  return runtimeFault(p, pc, `instruction budget exhausted: more than ${p.maxInsns} instructions executed (a runaway loop?); raise maxInsns (--max-insns) to allow longer runs`);
}

export function callTooDeep(p: Prepared, pc: number, frames: number): BpfRuntimeError {
  return runtimeFault(p, pc, `the call stack of ${frames + 1} frames is too deep (at most ${frames})`);
}

/** A tail call at `depth` whose target could not make its MAX_CALL_FRAMES calls on the CPU's stack. */
export function tailCallTooDeep(p: Prepared, pc: number, depth: number): BpfRuntimeError {
  return runtimeFault(p, pc, `tail call in frame ${depth + 1}: no room for the target's ${MAX_CALL_FRAMES} frames (a CPU's stack holds ${STACK_FRAMES}: ${MAX_CALL_FRAMES} and one per tail call)`);
}

export function internalError(p: Prepared, pc: number, what: string): BpfError {
  return new BpfError(`${slotName(p, pc)}: internal error: ${what}`, { insn: pc });
}
