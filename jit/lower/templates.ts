// The regular instructions as wasm code templates, one table: ALU and ALU64 other than division
// (RFC 9669 §4.1), NEG, the loads and stores LDX, ST and STX (§5.1, §5.2), and the conditions of
// the conditional jumps (§4.3), alone or as the `br_if` of a jump to a label (where jumps go is
// the structure plan's business, structure.ts and jmp.ts). A template is the instruction's wasm
// code in stack-machine order with placeholders for its fields; the direct builder's writer
// fills it in (DirectModule.templates / template) and any other builder replays it through its
// API (replay.ts), so each of these instructions is defined here once for both.
//
// Why a table: these are most of a program's instructions, and a program's first compile runs
// before V8 has optimised the JIT's own code (bench/micro/jit-compile.ts, "cold"): one loop over
// a few bytes costs a fraction of building the same code expression by expression.
//
// The semantics, where wasm and eBPF differ:
//   - ALU32 results are zero-extended into the 64-bit register (RFC 9669 §4.1): i64.extend_i32_u;
//   - shift amounts: eBPF masks them to the operand width (& 63, & 31, as the kernel's JITs and
//     interpreter do), and wasm's shifts take them modulo the width — the same thing;
//   - 64-bit immediates are the 32-bit imm sign-extended (§4.1): i64.const takes a signed LEB;
//   - an access reg + off: wasm's memarg offset is unsigned, so off >= 0 goes there and a
//     negative off (every stack access, r10 - 8) is added to the pointer instead. A pointer is an
//     offset into the one memory (DESIGN.md "Memory model"); the verifier proves the bounds and
//     wasm's own bounds check is the last line of defence.
// Division and modulo (zero divisors, INT_MIN / -1), byte swaps, sign-extending moves and
// everything else are lowered expression by expression (alu.ts, mem.ts, ...).

import { describe, knownOpcodes, type AluName, type CondName, type OpDef } from "../../vm/isa/table.js";
import { insn, type Insn } from "../../vm/isa/instruction.js";
import {
  ARITH_I32, ARITH_I64, BR_IF, CMP_I32, CMP_I64, I32_CONST, I32_WRAP_I64, I64_CONST, I64_EXTEND_I32_U, LOAD_I64, LOCAL_GET, LOCAL_SET,
  STORE_I64,
} from "../wasm/opcodes.js";
import { code, Hole, type TemplateId } from "../wasm/template.js";

interface Template {
  /** The definition this code is for: the opcode's only one (refined variants have none). */
  readonly def: OpDef;
  readonly code: TemplateId;
  /** Memory accesses: the code for a negative off. */
  readonly negOff?: TemplateId;
}

const { DST, SRC, IMM, OFF, NEG_OFF, LABEL } = Hole;
type Part = Parameters<typeof code>[number];

const reg64 = (r: number): Part => [LOCAL_GET, r];
const reg32 = (r: number): Part => [LOCAL_GET, r, I32_WRAP_I64];
const set64: Part = [LOCAL_SET, DST];
const set32: Part = [I64_EXTEND_I32_U, LOCAL_SET, DST];

/** eBPF operators that are one wasm operator (division and modulo are not: alu.ts). */
const OPERATOR: Partial<Record<AluName, keyof typeof ARITH_I64>> = {
  add: "add", sub: "sub", mul: "mul", or: "or", and: "and", xor: "xor", lsh: "shl", rsh: "shr_u", arsh: "shr_s",
};

/** The memarg alignment: log2 of the access size (natural alignment, core spec §5.4.6). */
const ALIGN: Record<1 | 2 | 4 | 8, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };
const LOAD: Record<1 | 2 | 4 | 8, readonly [unsigned: number, signed: number]> = {
  1: [LOAD_I64.load8_u, LOAD_I64.load8_s],
  2: [LOAD_I64.load16_u, LOAD_I64.load16_s],
  4: [LOAD_I64.load32_u, LOAD_I64.load32_s],
  8: [LOAD_I64.load, LOAD_I64.load],
};
const STORE: Record<1 | 2 | 4 | 8, number> = { 1: STORE_I64.store8, 2: STORE_I64.store16, 4: STORE_I64.store32, 8: STORE_I64.store };

function aluTemplate(def: Extract<OpDef, { kind: "alu" }>): Omit<Template, "def"> | undefined {
  const { wide, reg } = def;
  const operand = wide ? (reg ? reg64(SRC) : [I64_CONST, IMM]) : reg ? reg32(SRC) : [I32_CONST, IMM];
  const set = wide ? set64 : set32;
  if (def.op === "mov") return { code: code(operand, set) };
  const op = OPERATOR[def.op];
  if (op === undefined) return undefined;
  return { code: code(wide ? reg64(DST) : reg32(DST), operand, wide ? ARITH_I64[op] : ARITH_I32[op], set) };
}

/** reg + off as a wasm pointer and memarg offset, around the access `op` (with its operands after the pointer). */
function access(reg: number, between: Part, op: number, bytes: 1 | 2 | 4 | 8, after: Part = []): Omit<Template, "def"> {
  return {
    code: code(reg32(reg), between, op, ALIGN[bytes], OFF, after),
    negOff: code(reg32(reg), I32_CONST, NEG_OFF, ARITH_I32.add, between, op, ALIGN[bytes], 0, after),
  };
}

/** Unsigned and signed comparisons (RFC 9669 §4.3); jset is `(a & b) != 0`. */
const COMPARE: Record<Exclude<CondName, "jset">, keyof typeof CMP_I64> = {
  jeq: "eq", jne: "ne", jgt: "gt_u", jge: "ge_u", jlt: "lt_u", jle: "le_u", jsgt: "gt_s", jsge: "ge_s", jslt: "lt_s", jsle: "le_s",
};

/**
 * The i32 condition of a conditional jump: JMP compares the 64-bit registers (an immediate
 * sign-extended), JMP32 their low 32 bits (§4.3).
 */
function conditionOf(def: Extract<OpDef, { kind: "jcond" }>): Part[] {
  const { wide, reg } = def;
  const a = wide ? reg64(DST) : reg32(DST);
  const b = wide ? (reg ? reg64(SRC) : [I64_CONST, IMM]) : reg ? reg32(SRC) : [I32_CONST, IMM];
  if (def.cond === "jset") return [a, b, wide ? ARITH_I64.and : ARITH_I32.and, wide ? I64_CONST : I32_CONST, 0, wide ? CMP_I64.ne : CMP_I32.ne];
  return [a, b, wide ? CMP_I64[COMPARE[def.cond]] : CMP_I32[COMPARE[def.cond]]];
}

/**
 * A jump that leaves by a `br_if` to a label (the structure plan's "br" edges): the condition,
 * or `i32.const 1` for `ja` (jmp.ts says why a constant condition rather than a plain `br`).
 */
const branchOf = (condition: Part[]): TemplateId => code(...condition, BR_IF, LABEL);
const ALWAYS = branchOf([I32_CONST, 1]);

function templateOf(def: OpDef): Omit<Template, "def"> | undefined {
  switch (def.kind) {
    case "alu":
      return aluTemplate(def);
    case "neg":
      return def.wide
        ? { code: code(I64_CONST, 0, reg64(DST), ARITH_I64.sub, set64) }
        : { code: code(I32_CONST, 0, reg32(DST), ARITH_I32.sub, set32) };
    case "ldx":
      return access(SRC, [], LOAD[def.bytes][def.signed ? 1 : 0]!, def.bytes, set64);
    case "st":
      return access(DST, [I64_CONST, IMM], STORE[def.bytes], def.bytes);
    case "stx":
      return access(DST, reg64(SRC), STORE[def.bytes], def.bytes);
    default:
      return undefined;
  }
}

/**
 * By opcode byte: instructions, and the conditions and branches of conditional jumps. The
 * definition an opcode's fields refine to must be the template's own.
 */
const TABLE: Array<Template | undefined> = new Array(256).fill(undefined);
const CONDITIONS: Array<Template | undefined> = new Array(256).fill(undefined);
const BRANCHES: Array<Template | undefined> = new Array(256).fill(undefined);
for (const opcode of knownOpcodes()) {
  // Only opcodes whose definition does not depend on the other fields (ALU refines off = 0).
  const def = describe(insn(opcode, 0, 0, 0, 0));
  if (def === undefined || def !== describe(insn(opcode, 1, 1, 0, 1))) continue;
  if (def.kind === "jcond") {
    CONDITIONS[opcode] = { def, code: code(...conditionOf(def)) };
    BRANCHES[opcode] = { def, code: branchOf(conditionOf(def)) };
  }
  const t = templateOf(def);
  if (t) TABLE[opcode] = { def, ...t };
}

/** The template of the instruction `ins` (decoded as `def`), or undefined when it has none. */
export function templateFor(def: OpDef, ins: Insn): TemplateId | undefined {
  const t = TABLE[ins.opcode];
  if (t === undefined || t.def !== def) return undefined;
  return ins.off < 0 && t.negOff !== undefined ? t.negOff : t.code;
}

export type Jump = Extract<OpDef, { kind: "jcond" | "ja" }>;

/** The condition (an i32) of the conditional jump `ins`, decoded as `def`. */
export function conditionFor(def: Extract<OpDef, { kind: "jcond" }>, ins: Insn): TemplateId {
  return jumpTemplate(CONDITIONS, def, ins);
}

/** The jump `ins` (decoded as `def`) as a `br_if` to a label (Hole.LABEL). */
export function branchFor(def: Jump, ins: Insn): TemplateId {
  return def.kind === "ja" ? ALWAYS : jumpTemplate(BRANCHES, def, ins);
}

function jumpTemplate(table: ReadonlyArray<Template | undefined>, def: Jump, ins: Insn): TemplateId {
  const t = table[ins.opcode];
  if (t === undefined || t.def !== def) throw new Error(`templates: ${def.mnemonic} has no condition template`);
  return t.code;
}
