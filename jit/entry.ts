// The module's entry points:
//
//   run(r1..r5: i64, fp: i32, cpu: i32) -> i64
//       one run of the program on CPU `cpu` with r10 = fp (the CPU's stack top), returning r0.
//   runBatch(desc, count, results, fp, ctx, dataOff, dataEndOff, cpu: i32)
//       runs the program once per descriptor and stores each r0 as a u64 at results + 8k, so a
//       batch costs one JS→wasm call, not one per packet (issue 3, item 4). A descriptor is two
//       little-endian u32 { ptr, len } (8 bytes) — a packet or input buffer already in memory:
//         ctx == 0: r1 = ptr, r2 = len (the conformance / raw program type);
//         ctx != 0: u32 ptr is stored at ctx + dataOff and ptr + len at ctx + dataEndOff, and
//                   r1 = ctx — xdp_md (data 0, data_end 4) or __sk_buff (76, 80) style contexts
//                   whose pointer fields hold real addresses (DESIGN.md "Memory model").
//       r3..r5 are 0.
//   tail(r1..r5, r10, r0, r6..r9: i64) -> i64
//       the entry function itself, for tail calls from other modules (lower/tailcall.ts).
//
// Both entries set the run state the machine's modules share (lower/context.ts RUN_GLOBALS): the
// CPU, the frame bound of the depth check, and for each run a tail-call count of 0 (the count is
// per run: kernel tail_call_cnt starts at 0 when the program is entered) and a full instruction
// budget (JitOptions.maxInsns; without one, the largest i64, so a module of the machine that
// counts never sees a stale budget).

import { MAX_CALL_FRAMES, STACK_SIZE } from "../vm/isa/opcodes.js";
import type { Expr } from "./ir.js";
import { CPU_GLOBAL, FUEL_GLOBAL, funcName, STACK_LOW_GLOBAL, TAIL_CALLS_GLOBAL, type ModuleState } from "./lower/context.js";

export const DESCRIPTOR_SIZE = 8;
export const RESULT_SIZE = 8;

/**
 * The run state at entry. Frames live below fp; a frame pointer at or below fp - 8 × 512 would
 * be a ninth frame. Set even when this module needs no depth check: a tail call may continue in
 * a module that does.
 */
function enterRun(mod: ModuleState, fp: Expr, cpu: Expr): Expr[] {
  const { m } = mod;
  return [
    m.global.set(STACK_LOW_GLOBAL, m.i64.sub(fp, m.i64.const(BigInt(MAX_CALL_FRAMES * STACK_SIZE)))),
    m.global.set(CPU_GLOBAL, cpu),
    ...newRun(mod),
  ];
}

/** What each run starts with: no tail calls taken, the whole budget. */
function newRun(mod: ModuleState): Expr[] {
  const { m } = mod;
  return [m.global.set(TAIL_CALLS_GLOBAL, m.i32.const(0)), m.global.set(FUEL_GLOBAL, m.i64.const(mod.budget ?? I64_MAX))];
}

const I64_MAX = (1n << 63n) - 1n;

/** r0 and r6..r9 at entry: 0. */
const zeros = (mod: ModuleState): Expr[] => [0, 1, 2, 3, 4].map(() => mod.m.i64.const(0n));

export function addRun(mod: ModuleState): void {
  const { m, bn } = mod;
  const fp = (): Expr => m.i64.extend_u(m.local.get(5, bn.i32));
  const regs = [0, 1, 2, 3, 4].map((k) => m.local.get(k, bn.i64));
  const body = m.block(null, [...enterRun(mod, fp(), m.local.get(6, bn.i32)), m.call(funcName(0), [...regs, fp(), ...zeros(mod)], bn.i64)], bn.i64);
  const params = bn.createType([bn.i64, bn.i64, bn.i64, bn.i64, bn.i64, bn.i32, bn.i32]);
  m.addFunction("run", params, bn.i64, [], body);
  m.addFunctionExport("run", "run");
  m.addFunctionExport(funcName(0), "tail");
}

export function addRunBatch(mod: ModuleState): void {
  const { m, bn } = mod;
  const [DESC, COUNT, RESULTS, FP, CTX, DATA_OFF, END_OFF, CPU, END, PTR, LEN] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const get = (k: number): Expr => m.local.get(k, bn.i32);
  const fp = (): Expr => m.i64.extend_u(get(FP));
  const zero = (): Expr => m.i64.const(0n);
  const run = (r1: Expr, r2: Expr): Expr =>
    m.i64.store(0, 8, get(RESULTS), m.call(funcName(0), [r1, r2, zero(), zero(), zero(), fp(), ...zeros(mod)], bn.i64));
  const viaCtx = m.block(
    null,
    [
      m.i32.store(0, 1, m.i32.add(get(CTX), get(DATA_OFF)), get(PTR)),
      m.i32.store(0, 1, m.i32.add(get(CTX), get(END_OFF)), m.i32.add(get(PTR), get(LEN))),
      run(m.i64.extend_u(get(CTX)), zero()),
    ],
    bn.none,
  );
  const viaArgs = run(m.i64.extend_u(get(PTR)), m.i64.extend_u(get(LEN)));
  const step = m.block(
    null,
    [
      m.br("done", m.i32.ge_u(get(DESC), get(END))),
      m.local.set(PTR, m.i32.load(0, 4, get(DESC))),
      m.local.set(LEN, m.i32.load(4, 4, get(DESC))),
      ...newRun(mod),
      m.if(get(CTX), viaCtx, viaArgs),
      m.local.set(DESC, m.i32.add(get(DESC), m.i32.const(DESCRIPTOR_SIZE))),
      m.local.set(RESULTS, m.i32.add(get(RESULTS), m.i32.const(RESULT_SIZE))),
      m.br("next"),
    ],
    bn.none,
  );
  const body = m.block(
    null,
    [
      ...enterRun(mod, fp(), get(CPU)),
      m.local.set(END, m.i32.add(get(DESC), m.i32.mul(get(COUNT), m.i32.const(DESCRIPTOR_SIZE)))),
      m.block("done", [m.loop("next", step)], bn.none),
    ],
    bn.none,
  );
  const params = bn.createType(Array<number>(8).fill(bn.i32));
  m.addFunction("runBatch", params, bn.none, [bn.i32, bn.i32, bn.i32], body);
  m.addFunctionExport("runBatch", "runBatch");
}
