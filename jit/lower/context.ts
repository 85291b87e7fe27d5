// What every lowering function works with: the IR builder, the program, and the locals of the
// wasm function being built. Registers are i64 locals (DESIGN.md "The JIT"), all parameters:
//
//   0..4 = r1..r5, 5 = r10 (the callee's frame pointer), 6 = r0, 7..10 = r6..r9
//   then vars: i64 temporaries, the budget left (i64), the dispatch `pc` (i32) and i32 temporaries.
//
// A bpf-to-bpf call passes every register, and the callee hands r1..r5 back through globals, so
// the JIT behaves as one shared register file exactly like the interpreter (and uBPF): a callee
// sees the caller's r0 and r6..r9, the caller sees what the callee left in r1..r5, and r6..r9
// are restored (they are the caller's own locals). The kernel's verifier refuses programs that
// read r0/r6..r9 before writing them in a callee, or r1..r5 after a call, so for verified
// programs this only costs a few moves per call; for the rest it keeps every engine agreeing.

import type { HelperTable } from "../../vm/helpers/registry.js";
import { MAX_CALL_FRAMES, STACK_SIZE } from "../../vm/isa/opcodes.js";
import { CTX_SIZE, SCRATCH_SIZE } from "../../vm/memory/layout.js";
import type { Insn } from "../../vm/isa/instruction.js";
import type { MapDescriptor } from "../../vm/maps/descriptor.js";
import type { MapsExports } from "../../vm/maps/runtime.js";
import type { Expr, IrModule, IrTypes, Type } from "../ir.js";
import type { Decoded, FuncCfg, ProgramCfg } from "../cfg.js";
import { Fault } from "../faults.js";
import type { RegFacts } from "../known.js";
import type { TemplateId } from "../wasm/template.js";
import { replay } from "./replay.js";

const REG_LOCAL = [6, 0, 1, 2, 3, 4, 7, 8, 9, 10, 5] as const;
/** The local that holds rN. */
export const regLocal = (r: number): number => REG_LOCAL[r]!;
export const PARAM_COUNT = 11; // r1..r5, r10, r0, r6..r9
const T64_BASE = 11;
export const T64_COUNT = 3;
/** The run's remaining instruction budget while a counting function runs (FnLowering.charge). */
const FUEL_LOCAL = T64_BASE + T64_COUNT;
export const PC_LOCAL = FUEL_LOCAL + 1;
const T32_BASE = PC_LOCAL + 1;
export const T32_COUNT = 3;
/** may_goto's budget in this call of the function (lower/jmp.ts mayGoto). */
export const MAY_GOTO_LOCAL = T32_BASE + T32_COUNT;

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
  /** The machine's maps (empty without a maps runtime): what `lddw map_fd` constants point at. */
  readonly maps: ReadonlyMap<number, MapDescriptor>;
  /** Map helpers call the maps runtime wasm-to-wasm (else through their JS HelperDef). */
  readonly mapImports: boolean;
  /** Inline ARRAY / PERCPU_ARRAY lookups of known maps. */
  readonly inlineArrays: boolean;
  /** Bytes of memory the module is compiled for: pointer checks stay below it. */
  readonly memoryBytes: number;
  /** Helper 12 is bpf_tail_call, the jump the JIT implements (lower/tailcall.ts). */
  readonly tailCallJump: boolean;
  /** Maps runtime exports the module imports (`maps.<name>`). */
  readonly usedMapExports: Set<keyof MapsExports>;
  /** What tail calls need: the program table, and the JS imports of the slow paths. */
  readonly tail: { table: boolean; lookup: boolean };
  /** The run's instruction budget (JitOptions.maxInsns); undefined: loops are not counted. */
  readonly budget: bigint | undefined;
  /** Bytes of each CPU's packet slot (JitTarget.packetSlotSize): the XDP adjust twins need it. */
  readonly packetSlotSize: number | undefined;
}

/**
 * How many registers the JS import of helper `id` takes, as each i64 parameter of a wasm-to-JS
 * call costs a BigInt (about 2.4 ns): its declared arguments (HelperDef.args), or as many as its
 * impl names after the context if that is more (a custom helper with no verifier signature). A
 * kfunc's import takes all five.
 */
export function helperArity(helpers: HelperTable, id: number): number {
  const def = helpers.get(id);
  return def ? Math.min(5, Math.max(def.args.length, def.impl.length - 1)) : 5;
}

export const funcName = (index: number): string => "f" + index;
export const helperName = (id: number): string => "h" + id;
export const mapExportName = (name: string): string => "m_" + name;
export const FAULT_GLOBAL = "fault";
export const FAULT_INSN_GLOBAL = "faultInsn";
export const FAULT_ARG_GLOBAL = "faultArg";
/** The lowest frame pointer + 512 of the running CPU's stack: frames must stay above it. */
export const STACK_LOW_GLOBAL = "stackLow";
/** The running CPU (per-CPU map values, the maps runtime's `cpu` argument). */
export const CPU_GLOBAL = "cpu";
/** Tail calls taken in this run (kernel tail_call_cnt, at most MAX_TAIL_CALLS). */
export const TAIL_CALLS_GLOBAL = "tailCalls";
/**
 * Instructions the run may still execute (JitOptions.maxInsns): set at entry, charged at every
 * loop iteration (structure.ts). Shared, so a tail call continues on the same budget.
 */
export const FUEL_GLOBAL = "fuel";
/** The machine's program table: program id → the `tail` export of its module. */
export const PROGRAM_TABLE = "programs";

/**
 * The run state every module of a machine imports from "run" (jit/link.ts creates one set per
 * thread): a tail call continues in another module, which must see the same CPU, count, stack
 * bound and fault registers.
 */
export const RUN_GLOBALS: ReadonlyArray<readonly [name: string, type: "i32" | "i64"]> = [
  [CPU_GLOBAL, "i32"],
  [TAIL_CALLS_GLOBAL, "i32"],
  [STACK_LOW_GLOBAL, "i64"],
  [FAULT_GLOBAL, "i32"],
  [FAULT_INSN_GLOBAL, "i32"],
  [FAULT_ARG_GLOBAL, "i64"],
  [FUEL_GLOBAL, "i64"],
];
/** r1..r5 as a callee left them, read back by the caller after the call. */
export const RESULT_REG_GLOBALS = ["r1", "r2", "r3", "r4", "r5"] as const;

/** Lowering helpers for one wasm function. */
export class FnLowering {
  readonly m: IrModule;
  readonly bn: IrTypes;
  readonly insns: readonly Insn[];
  /** Some bpf-to-bpf call enters this function: returning from it hands r1..r5 back. */
  readonly callee: boolean;
  /**
   * This function has loops and the module counts instructions: it keeps the budget in a local
   * (a register: the shared global in memory made a tight loop 1.5× slower) and hands it back to
   * the global around every call and at every return.
   */
  readonly counts: boolean;
  /** A may_goto was lowered: the function's entry sets its budget (lower/jmp.ts mayGotoEntry). */
  usesMayGoto = false;
  // Read once: every register access goes through these (thousands per program).
  private readonly local: IrModule["local"];
  private readonly i64: Type;

  constructor(
    readonly mod: ModuleState,
    func?: FuncCfg,
    private readonly facts: ReadonlyMap<number, RegFacts> = new Map(),
    loops = false,
  ) {
    this.m = mod.m;
    this.bn = mod.bn;
    this.insns = mod.insns;
    this.local = mod.m.local;
    this.i64 = mod.bn.i64;
    this.callee = func !== undefined && mod.called.has(func.index);
    this.counts = loops && mod.budget !== undefined;
  }

  /** What is known about the registers just before slot `i` (only at slots the analysis was asked about). */
  factsAt(i: number): RegFacts | undefined {
    return this.facts.get(i);
  }

  /** r0 from the JS helper or kfunc `id` (HelperDef.impl, the `helpers.<id>` import), given r1..rN. */
  callHelper(id: number): Expr {
    this.mod.usedHelpers.add(id);
    const regs = [1, 2, 3, 4, 5].slice(0, helperArity(this.mod.helpers, id));
    return this.m.call(helperName(id), regs.map((r) => this.get(r)), this.i64);
  }

  /**
   * The running CPU's run record (vm/runtime/record.ts), as an i32: the start of its scratch
   * area, which the layout puts CTX_SIZE past the stack top (vm/memory/layout.ts); the stack top
   * is stackLow + MAX_CALL_FRAMES × 512 (entry.ts).
   */
  runRecord(): Expr {
    const m = this.m;
    return m.i32.add(m.i32.wrap(m.global.get(STACK_LOW_GLOBAL, this.i64)), m.i32.const(MAX_CALL_FRAMES * STACK_SIZE + CTX_SIZE));
  }

  /** The end of the running CPU's packet slot (vm/memory/layout.ts: it follows the scratch area). */
  packetSlotEnd(): Expr {
    const size = this.mod.packetSlotSize;
    if (size === undefined) throw new Error("packetSlotEnd: the module was compiled without the machine's layout");
    return this.m.i32.add(this.runRecord(), this.m.i32.const(SCRATCH_SIZE + size));
  }

  /** `return value` from this function, handing r1..r5 (when it is a callee) and the budget back first. */
  ret(value: Expr): Expr {
    const m = this.m;
    const handBack = this.callee ? RESULT_REG_GLOBALS.map((g, k) => m.global.set(g, this.get(k + 1))) : [];
    handBack.push(...this.saveFuel());
    return handBack.length === 0 ? m.return(value) : m.block(null, [...handBack, m.return(value)], this.bn.unreachable);
  }

  /** `code` calling another function of the program: the budget goes to the global and back. */
  aroundCall(code: Expr[]): Expr[] {
    return [...this.saveFuel(), ...code, ...this.loadFuel()];
  }

  /** At entry, and after a call: the budget from the global. */
  loadFuel(): Expr[] {
    const { m, bn } = this;
    return this.counts ? [m.local.set(FUEL_LOCAL, m.global.get(FUEL_GLOBAL, bn.i64))] : [];
  }

  private saveFuel(): Expr[] {
    const { m, bn } = this;
    return this.counts ? [m.global.set(FUEL_GLOBAL, m.local.get(FUEL_LOCAL, bn.i64))] : [];
  }

  /** Registers passed to a callee, in parameter order (with `fp` as its r10). */
  callArgs(fp: Expr): Expr[] {
    return [this.get(1), this.get(2), this.get(3), this.get(4), this.get(5), fp, this.get(0), this.get(6), this.get(7), this.get(8), this.get(9)];
  }

  /**
   * A code template (templates.ts) for `ins` as one expression of type `type` (default none);
   * `label` for a branch template's Hole.LABEL.
   */
  template(template: TemplateId, ins: Insn, type = this.bn.none, label?: string): Expr {
    const m = this.m;
    const dst = regLocal(ins.dst);
    const src = regLocal(ins.src);
    if (m.template) return m.template(template, type, dst, src, ins.imm, ins.off, label);
    return replay(m, (local) => localType(this.bn, local), template, { dst, src, imm: ins.imm, off: ins.off, label });
  }

  /** rN as an i64. */
  get(r: number): Expr {
    return this.local.get(REG_LOCAL[r]!, this.i64);
  }

  set(r: number, value: Expr): Expr {
    return this.local.set(REG_LOCAL[r]!, value);
  }

  /** The low 32 bits of rN (what ALU32 and JMP32 operate on). */
  get32(r: number): Expr {
    return this.m.i32.wrap(this.get(r));
  }

  /** rN = zero-extended 32-bit value (RFC 9669 §4.1: ALU32 results are zero-extended). */
  set32(r: number, value32: Expr): Expr {
    return this.set(r, this.m.i64.extend_u(value32));
  }

  /** An imm as a 64-bit operand: sign-extended (RFC 9669 §4.1). A number: no BigInt on the hot path. */
  imm64(imm: number): Expr {
    return this.m.i64.const(imm | 0);
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

  /**
   * At the head of a loop: charge the budget `weight` instructions and stop the run with a fault
   * at `insn` when it is used up. Nothing when the module counts no instructions.
   */
  charge(weight: number, insn: number): Expr | undefined {
    const { m, bn } = this;
    if (!this.counts) return undefined;
    const left = m.local.tee(FUEL_LOCAL, m.i64.sub(m.local.get(FUEL_LOCAL, bn.i64), m.i64.const(weight)), bn.i64);
    return m.if(m.i64.lt_s(left, m.i64.const(0)), this.fault(Fault.BUDGET, insn, m.i64.const(this.mod.budget!)));
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

/** The type of local `index` (registers and the i64 temporaries are i64, the rest i32). */
export function localType(bn: IrTypes, index: number): Type {
  return index <= FUEL_LOCAL ? bn.i64 : bn.i32;
}

/** The local types after the parameters, in the order the indices above assume. */
export function varTypes(bn: IrTypes): number[] {
  return [
    ...Array<number>(T64_COUNT).fill(bn.i64),
    bn.i64, // fuel
    bn.i32, // pc
    ...Array<number>(T32_COUNT).fill(bn.i32),
    bn.i32, // may_goto's budget
  ];
}
