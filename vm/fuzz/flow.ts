// What a fuzz program may do, checked on its tree: the rules that make it valid for every engine
// and acceptable to the kernel verifier (kernel/bpf/verifier.c):
//
// - registers are written before they are read ("R%d !read_ok"); r10 is never written ("frame
//   pointer is read only"); pointers (r9 = memory in main, r10) are only load/store bases;
// - stack accesses are inside the frame and naturally aligned (check_ptr_alignment is always
//   strict for the stack), and read only bytes written before on every path (root may read
//   uninitialised stack, but its contents differ between engines);
// - memory accesses stay inside [0, memLen); atomics only on the stack (the kernel refuses
//   BPF_ATOMIC on packet memory);
// - shift immediates are below the operand width and division/modulo immediates are non-zero
//   ("invalid shift", "division by zero" in check_alu_op); register operands may be anything;
// - loops run a bounded number of times; calls go forward (no recursion), take their arguments
//   initialised, and clobber r1..r5; subprograms and main end with r0 set.
//
// The same transfer functions drive the generator (generate.ts keeps the state while it builds)
// and guard the minimiser (a candidate that breaks a rule is not tried).

import type { Insn } from "../isa/instruction.js";
import { describe } from "../isa/table.js";
import { COUNTER_REGS, MEM_REG, type FuzzProgram, type Stmt, type Subprogram } from "./ast.js";

/** Must-facts at a program point: registers surely written, stack bytes surely written. */
export interface FlowState {
  /** Bit r set: register r holds a scalar written on every path. */
  readonly init: number;
  /** Bit (512 + off) set: the stack byte at r10 + off was written on every path. */
  readonly stack: bigint;
}

export interface FlowContext {
  /** 0 for main, i for subprogram i (1-based). */
  readonly unit: number;
  readonly frame: number;
  readonly memLen: number;
  /** Registers the code may not write here: r10, r9 in main, counters of enclosing loops. */
  readonly reserved: number;
  readonly subs: readonly Subprogram[];
  /** Atomics on the input memory are allowed (FuzzProgram.memoryAtomics). */
  readonly memoryAtomics?: boolean;
}

export class FlowError extends Error {
  override name = "FlowError";
}

export const bit = (r: number): number => 1 << r;
export const has = (mask: number, r: number): boolean => (mask & bit(r)) !== 0;
export const ARG_REGS = bit(1) | bit(2) | bit(3) | bit(4) | bit(5);

export function join(a: FlowState, b: FlowState): FlowState {
  return { init: a.init & b.init, stack: a.stack & b.stack };
}

const bytesMask = (off: number, n: number): bigint => ((1n << BigInt(n)) - 1n) << BigInt(512 + off);

/** Registers of main that are not scalars: the memory pointer and the frame pointer. */
const pointerRegs = (ctx: FlowContext): number => bit(10) | (ctx.unit === 0 ? bit(MEM_REG) : 0);

function readReg(ctx: FlowContext, st: FlowState, r: number, what: string): void {
  if (has(pointerRegs(ctx), r)) throw new FlowError(`${what}: r${r} is a pointer, not a value`);
  if (!has(st.init, r)) throw new FlowError(`${what}: r${r} read before it is written`);
}

function writeReg(ctx: FlowContext, st: FlowState, r: number, what: string): FlowState {
  if (r > 10) throw new FlowError(`${what}: no register r${r}`);
  if (has(ctx.reserved | pointerRegs(ctx), r)) throw new FlowError(`${what}: r${r} may not be written here`);
  return { init: st.init | bit(r), stack: st.stack };
}

type Access = "read" | "write" | "update";

function access(ctx: FlowContext, st: FlowState, base: number, off: number, n: number, how: Access, what: string): FlowState {
  if (base === 10) {
    if (off < -ctx.frame || off + n > 0) throw new FlowError(`${what}: stack access r10${off} of ${n} bytes outside the ${ctx.frame}-byte frame`);
    if (off % n !== 0) throw new FlowError(`${what}: misaligned stack access r10${off} of ${n} bytes`);
    const mask = bytesMask(off, n);
    if (how !== "write" && (st.stack & mask) !== mask) throw new FlowError(`${what}: reads stack bytes at r10${off} not written on every path`);
    return { init: st.init, stack: st.stack | mask };
  }
  if (base === MEM_REG && ctx.unit === 0) {
    if (how === "update" && !ctx.memoryAtomics) throw new FlowError(`${what}: atomics on the input memory (the kernel refuses them on packets)`);
    if (off < 0 || off + n > ctx.memLen) throw new FlowError(`${what}: memory access r9+${off} of ${n} bytes outside [0, ${ctx.memLen})`);
    // wasm traps on a misaligned atomic; the memory starts 8-byte aligned.
    if (how === "update" && off % n !== 0) throw new FlowError(`${what}: misaligned atomic on memory r9+${off}`);
    return st;
  }
  throw new FlowError(`${what}: base register r${base} is not r10${ctx.unit === 0 ? " or r9" : ""}`);
}

/** The state after one straight-line instruction; FlowError if it breaks a rule. */
export function stepInsn(ctx: FlowContext, st: FlowState, ins: Insn): FlowState {
  const def = describe(ins);
  const what = def ? def.mnemonic : `opcode 0x${ins.opcode.toString(16)}`;
  if (!def) throw new FlowError(`${what}: not an instruction`);
  switch (def.kind) {
    case "alu": {
      if (def.op !== "mov") readReg(ctx, st, ins.dst, what);
      if (def.reg) readReg(ctx, st, ins.src, what);
      else checkImm(def.op, def.wide, ins.imm, what);
      return writeReg(ctx, st, ins.dst, what);
    }
    case "neg":
    case "end":
      readReg(ctx, st, ins.dst, what);
      return writeReg(ctx, st, ins.dst, what);
    case "movsx":
      readReg(ctx, st, ins.src, what);
      return writeReg(ctx, st, ins.dst, what);
    case "ldx":
      return writeReg(ctx, access(ctx, st, ins.src, ins.off, def.bytes, "read", what), ins.dst, what);
    case "st":
      return access(ctx, st, ins.dst, ins.off, def.bytes, "write", what);
    case "stx":
      readReg(ctx, st, ins.src, what);
      return access(ctx, st, ins.dst, ins.off, def.bytes, "write", what);
    case "atomic": {
      readReg(ctx, st, ins.src, what);
      if (def.aop === "cmpxchg") readReg(ctx, st, 0, what);
      let next = access(ctx, st, ins.dst, ins.off, def.bytes, "update", what);
      if (def.aop === "cmpxchg") next = writeReg(ctx, next, 0, what);
      else if (def.fetch) next = writeReg(ctx, next, ins.src, what);
      return next;
    }
    default:
      throw new FlowError(`${what}: not a straight-line instruction`);
  }
}

function checkImm(op: string, wide: boolean, imm: number, what: string): void {
  const width = wide ? 64 : 32;
  if ((op === "lsh" || op === "rsh" || op === "arsh") && (imm < 0 || imm >= width)) {
    throw new FlowError(`${what}: shift by ${imm} (the kernel refuses immediates outside 0..${width - 1})`);
  }
  if ((op === "div" || op === "sdiv" || op === "mod" || op === "smod") && imm === 0) {
    throw new FlowError(`${what}: division by the immediate 0 (the kernel refuses it)`);
  }
}

/** Simulate a loop's counter: the number of rounds, or undefined if it does not stop within `limit`. */
export function loopTrips(init: number, step: number, cond: Insn, limit = 64): number | undefined {
  const def = describe(cond);
  if (!def || def.kind !== "jcond" || def.reg) return undefined;
  let counter = BigInt(init);
  for (let trips = 1; trips <= limit; trips++) {
    counter = BigInt.asUintN(64, counter + BigInt(step));
    if (!condHolds(def.cond, def.wide, counter, BigInt(cond.imm))) return trips;
  }
  return undefined;
}

/** A conditional jump's test (RFC 9669 §4.3) on a value and a sign-extended immediate. */
export function condHolds(cond: string, wide: boolean, a: bigint, imm: bigint): boolean {
  const bits = wide ? 64 : 32;
  const ua = BigInt.asUintN(bits, a);
  const ub = BigInt.asUintN(bits, imm);
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, imm);
  switch (cond) {
    case "jeq": return ua === ub;
    case "jne": return ua !== ub;
    case "jgt": return ua > ub;
    case "jge": return ua >= ub;
    case "jlt": return ua < ub;
    case "jle": return ua <= ub;
    case "jsgt": return sa > sb;
    case "jsge": return sa >= sb;
    case "jslt": return sa < sb;
    case "jsle": return sa <= sb;
    case "jset": return (ua & ub) !== 0n;
    default: throw new FlowError(`unknown condition ${cond}`);
  }
}

export function containsCall(stmts: readonly Stmt[]): boolean {
  return stmts.some((s) =>
    s.k === "call" || (s.k === "if" && (containsCall(s.then) || containsCall(s.otherwise))) || (s.k === "loop" && containsCall(s.body)));
}

/** The state after one statement (blocks included). */
export function stepStmt(ctx: FlowContext, st: FlowState, s: Stmt): FlowState {
  switch (s.k) {
    case "op":
      return stepInsn(ctx, st, s.insn);
    case "lddw":
      return writeReg(ctx, st, s.dst, "lddw");
    case "if": {
      const def = describe(s.cond);
      if (!def || (def.kind !== "jcond" && def.kind !== "maygoto")) throw new FlowError("if: its condition is not a conditional jump");
      if (def.kind === "jcond") {
        readReg(ctx, st, s.cond.dst, def.mnemonic);
        if (def.reg) readReg(ctx, st, s.cond.src, def.mnemonic);
      }
      return join(stepBlock(ctx, st, s.then), stepBlock(ctx, st, s.otherwise));
    }
    case "loop":
      return stepLoop(ctx, st, s);
    case "call": {
      const sub = ctx.subs[s.target - 1];
      if (!sub || s.target <= ctx.unit) throw new FlowError(`call ${s.target}: only later subprograms may be called (no recursion)`);
      for (let r = 1; r <= sub.arity; r++) readReg(ctx, st, r, `call ${s.target}`);
      return { init: (st.init & ~ARG_REGS) | bit(0), stack: st.stack };
    }
  }
}

function stepLoop(ctx: FlowContext, st: FlowState, s: Extract<Stmt, { k: "loop" }>): FlowState {
  if (!COUNTER_REGS.includes(s.counter)) throw new FlowError(`loop: counter r${s.counter} is not one of r${COUNTER_REGS.join(", r")}`);
  if (loopTrips(s.init, s.step, s.cond) !== s.trips) throw new FlowError(`loop: does not run ${s.trips} rounds`);
  const start = writeReg(ctx, st, s.counter, "loop");
  const inner: FlowContext = { ...ctx, reserved: ctx.reserved | bit(s.counter) };
  // Rounds 2.. start from the end state of the round before: iterate to the must-fixpoint.
  let entry = start;
  for (;;) {
    const end = stepBlock(inner, entry, s.body);
    const next = join(entry, end);
    if (next.init === entry.init && next.stack === entry.stack) return end;
    entry = next;
  }
}

export function stepBlock(ctx: FlowContext, st: FlowState, stmts: readonly Stmt[]): FlowState {
  let state = st;
  for (const s of stmts) state = stepStmt(ctx, state, s);
  return state;
}

/** Entry state of main: r2..r5 are values (r1 is the memory pointer, moved to r9). */
export const MAIN_ENTRY: FlowState = { init: bit(2) | bit(3) | bit(4) | bit(5), stack: 0n };
export const subEntry = (arity: number): FlowState => ({ init: ((1 << (arity + 1)) - 1) & ~1, stack: 0n });

export const mainContext = (p: FuzzProgram): FlowContext =>
  ({ unit: 0, frame: p.frame, memLen: p.memLen, reserved: bit(10) | bit(MEM_REG), subs: p.subs, memoryAtomics: p.memoryAtomics === true });
export const subContext = (p: FuzzProgram, i: number): FlowContext => ({ unit: i, frame: p.subs[i - 1]!.frame, memLen: 0, reserved: bit(10), subs: p.subs });

/** The deepest call chain below `stmts` of unit `unit`: stack bytes and frames (its own excluded). */
function callChain(p: FuzzProgram, unit: number, stmts: readonly Stmt[]): { bytes: number; frames: number } {
  let bytes = 0;
  let frames = 0;
  const visit = (list: readonly Stmt[]): void => {
    for (const s of list) {
      if (s.k === "call") {
        const sub = p.subs[s.target - 1];
        if (!sub || s.target <= unit) continue; // reported by stepStmt
        const below = callChain(p, s.target, sub.body);
        bytes = Math.max(bytes, sub.frame + below.bytes);
        frames = Math.max(frames, 1 + below.frames);
      } else if (s.k === "if") {
        visit(s.then);
        visit(s.otherwise);
      } else if (s.k === "loop") {
        visit(s.body);
      }
    }
  };
  visit(stmts);
  return { bytes, frames };
}

/** Check a whole program; returns main's final state (emit.ts dumps what it knows is written). */
export function checkProgram(p: FuzzProgram): FlowState {
  if (!Number.isInteger(p.memLen) || p.memLen < 8 || p.memLen > 1024) throw new FlowError(`memLen ${p.memLen} is outside 8..1024`);
  const chain = callChain(p, 0, p.main);
  // 512 bytes of stack in all (kernel MAX_BPF_STACK over the call chain); 8 frames less the
  // kernel engine's wrapper frame.
  if (p.frame + chain.bytes > 512) throw new FlowError(`stack frames along a call chain add up to ${p.frame + chain.bytes} > 512 bytes`);
  if (chain.frames + 1 > 7) throw new FlowError(`calls nest ${chain.frames + 1} frames deep (at most 7)`);
  p.subs.forEach((sub, k) => {
    const i = k + 1;
    let end: FlowState;
    try {
      end = stepBlock(subContext(p, i), subEntry(sub.arity), sub.body);
    } catch (err) {
      if (err instanceof FlowError) throw new FlowError(`subprogram ${i}: ${err.message}`);
      throw err;
    }
    if (!has(end.init, 0)) throw new FlowError(`subprogram ${i}: exits without setting r0`);
  });
  const end = stepBlock(mainContext(p), MAIN_ENTRY, p.main);
  if (!has(end.init, 0)) throw new FlowError("main: exits without setting r0");
  return end;
}

/** checkProgram as a yes/no, for the minimiser. */
export function isValid(p: FuzzProgram): boolean {
  try {
    checkProgram(p);
    return true;
  } catch (err) {
    if (err instanceof FlowError) return false;
    throw err;
  }
}
