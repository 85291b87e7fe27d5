// What every lowering function works with: the IR builder, the program, and the locals of the
// wasm function being built. Registers are i64 locals (DESIGN.md "The JIT"), all parameters:
//
//   0..4 = r1..r5, 5 = r10 (the callee's frame pointer), 6 = r0, 7..10 = r6..r9
//   then vars: i64 temporaries, the dispatch `pc` (i32) and i32 temporaries.
//
// A bpf-to-bpf call passes every register, and the callee hands r1..r5 back through globals, so
// the JIT behaves as one shared register file exactly like the interpreter (and uBPF): a callee
// sees the caller's r0 and r6..r9, the caller sees what the callee left in r1..r5, and r6..r9
// are restored (they are the caller's own locals). The kernel's verifier refuses programs that
// read r0/r6..r9 before writing them in a callee, or r1..r5 after a call, so for verified
// programs this only costs a few moves per call; for the rest it keeps every engine agreeing.

import type { HelperTable } from "../../vm/helpers/registry.js";
import type { Insn } from "../../vm/isa/instruction.js";
import type { Expr, IrModule, IrTypes } from "../ir.js";
import type { ProgramCfg } from "../cfg.js";
import type { Decoded } from "../decode.js";
import type { Fault } from "../faults.js";

const REG_LOCAL = [6, 0, 1, 2, 3, 4, 7, 8, 9, 10, 5] as const;
export const PARAM_COUNT = 11; // r1..r5, r10, r0, r6..r9
const T64_BASE = 11;
export const T64_COUNT = 3;
export const PC_LOCAL = T64_BASE + T64_COUNT;
const T32_BASE = PC_LOCAL + 1;
export const T32_COUNT = 3;

/** Where LD_ABS/LD_IND find the packet: u32 fields of the context r6 points at. */
export interface PacketFields {
  readonly data: number;
  readonly dataEnd: number;
}

/** Module-wide state shared by the lowering of all functions. */
export interface ModuleState {
  readonly m: IrModule;
  readonly bn: IrTypes;
  readonly insns: readonly Insn[];
  readonly decoded: readonly Decoded[];
  readonly cfg: ProgramCfg;
  readonly helpers: HelperTable;
  readonly packet: PacketFields;
  /** Functions some bpf-to-bpf call enters (their exits hand r1..r5 back). */
  readonly called: ReadonlySet<number>;
  /** Check the frame depth at run time (the static call graph may exceed 8 frames). */
  readonly depthCheck: boolean;
  /** Helper ids the module imports. */
  readonly usedHelpers: Set<number>;
  /** Whether some function uses callx (the module then gets a `$callx` dispatcher). */
  callx: boolean;
}

export const funcName = (index: number): string => "f" + index;
export const helperName = (id: number): string => "h" + id;
export const FAULT_GLOBAL = "fault";
export const FAULT_INSN_GLOBAL = "faultInsn";
export const FAULT_ARG_GLOBAL = "faultArg";
/** The lowest frame pointer + 512 of the running CPU's stack: frames must stay above it. */
export const STACK_LOW_GLOBAL = "stackLow";
/** r1..r5 as a callee left them, read back by the caller after the call. */
export const RESULT_REG_GLOBALS = ["r1", "r2", "r3", "r4", "r5"] as const;

/** Lowering helpers for one wasm function. */
export class FnLowering {
  readonly m: IrModule;
  readonly bn: IrTypes;

  constructor(readonly mod: ModuleState) {
    this.m = mod.m;
    this.bn = mod.bn;
  }

  get insns(): readonly Insn[] {
    return this.mod.insns;
  }

  /** Registers passed to a callee, in parameter order (with `fp` as its r10). */
  callArgs(fp: Expr): Expr[] {
    return [this.get(1), this.get(2), this.get(3), this.get(4), this.get(5), fp, this.get(0), this.get(6), this.get(7), this.get(8), this.get(9)];
  }

  /** rN as an i64. */
  get(r: number): Expr {
    return this.m.local.get(REG_LOCAL[r]!, this.bn.i64);
  }

  set(r: number, value: Expr): Expr {
    return this.m.local.set(REG_LOCAL[r]!, value);
  }

  /** The low 32 bits of rN (what ALU32 and JMP32 operate on). */
  get32(r: number): Expr {
    return this.m.i32.wrap(this.get(r));
  }

  /** rN = zero-extended 32-bit value (RFC 9669 §4.1: ALU32 results are zero-extended). */
  set32(r: number, value32: Expr): Expr {
    return this.set(r, this.m.i64.extend_u(value32));
  }

  /** An imm as a 64-bit operand: sign-extended (RFC 9669 §4.1). */
  imm64(imm: number): Expr {
    return this.m.i64.const(BigInt(imm | 0));
  }

  /** The dispatch loop's i32 block index (irreducible flow only). */
  get pcLocal(): number {
    return PC_LOCAL;
  }

  t64(k: number): number {
    return T64_BASE + k;
  }

  t32(k: number): number {
    return T32_BASE + k;
  }

  /** Stop the run with a fault the engine turns into a BpfRuntimeError. */
  fault(code: Fault, insn: number, arg?: Expr): Expr {
    const m = this.m;
    return m.block(
      null,
      [
        m.global.set(FAULT_GLOBAL, m.i32.const(code)),
        m.global.set(FAULT_INSN_GLOBAL, m.i32.const(insn)),
        ...(arg ? [m.global.set(FAULT_ARG_GLOBAL, arg)] : []),
        m.unreachable(),
      ],
      this.bn.unreachable,
    );
  }
}

/** The local types after the parameters, in the order the indices above assume. */
export function varTypes(bn: IrTypes): number[] {
  return [
    ...Array<number>(T64_COUNT).fill(bn.i64),
    bn.i32, // pc
    ...Array<number>(T32_COUNT).fill(bn.i32),
  ];
}
