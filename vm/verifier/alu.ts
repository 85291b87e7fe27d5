// ALU instructions on registers (the kernel's check_alu_op and adjust_reg_min_max_vals): scalar
// arithmetic through scalar-alu.ts, and pointer arithmetic only where the kernel allows it —
// `ptr += scalar` / `ptr -= scalar` on 64 bits for pointers that can be offset, `ptr - ptr`
// giving a scalar; everything else on a pointer is refused with the kernel's words.

import { constNumS, fitsBytes, isConstValue, scalarIsConst, sminNum, sminUnbounded, type Scalar } from "./bounds.js";
import { reject } from "./messages.js";
import {
  UNKNOWN_SCALAR, isOrNull, isPointer, scalarReg, typeName, type Reg,
} from "./regs.js";
import { immScalar, scalarAlu, scalarEnd, scalarMovsx, scalarNeg } from "./scalar-alu.js";
import { MAX_VAR_OFF } from "./memory.js";
import type { AluName, OpDef } from "../isa/table.js";
import type { Insn } from "../isa/instruction.js";
import type { Env } from "./env.js";
import type { VState } from "./state.js";
import { markPrecise } from "./precision.js";

/** The kernel's bpf_alu_string, for messages. */
const ALU_STRING: Record<AluName, string> = {
  add: "+=", sub: "-=", mul: "*=", div: "/=", sdiv: "s/=", or: "|=", and: "&=", lsh: "<<=", rsh: ">>=",
  mod: "%=", smod: "s%=", xor: "^=", mov: "=", arsh: "s>>=",
};

/** Register must have been written (check_reg_arg SRC_OP). */
export function readReg(st: VState, regno: number): Reg {
  const r = st.regs[regno]!;
  if (r.type === "not_init") reject(`R${regno} !read_ok`);
  return r;
}

type AluDef = Extract<OpDef, { kind: "alu" | "neg" | "movsx" | "end" }>;

export function checkAlu(env: Env, st: VState, ins: Insn, def: AluDef): void {
  const regs = st.regs;
  switch (def.kind) {
    case "neg":
    case "end": {
      const dst = readReg(st, ins.dst);
      // check_alu_op: "pointer arithmetic prohibited" is for loads without CAP_PERFMON
      // (is_pointer_value); for root a negated or byte-swapped pointer is an unknown scalar.
      if (isPointer(dst)) {
        regs[ins.dst] = UNKNOWN_SCALAR;
        return;
      }
      regs[ins.dst] = scalarReg(def.kind === "neg" ? scalarNeg(dst.s, def.wide) : scalarEnd(dst.s, def.order, def.bits));
      return;
    }
    case "movsx": {
      const src = readReg(st, ins.src);
      regs[ins.dst] = isPointer(src) ? UNKNOWN_SCALAR : scalarReg(scalarMovsx(src.s, def.bits, def.wide));
      return;
    }
    case "alu":
      return def.op === "mov" ? mov(env, st, ins, def.wide, def.reg) : binary(env, st, ins, def);
  }
}

function mov(env: Env, st: VState, ins: Insn, wide: boolean, reg: boolean): void {
  const regs = st.regs;
  if (!reg) {
    regs[ins.dst] = scalarReg(scalarAlu("mov", UNKNOWN_SCALAR.s, immScalar(ins.imm), wide));
    return;
  }
  const src = readReg(st, ins.src);
  // A copy of an unknown scalar shares an id with it, so that a comparison of one bounds
  // both (the kernel's find_equal_scalars / sync_linked_regs). A 32-bit copy is the same
  // value when the source already fits in 32 bits (check_alu_op, BPF_MOV32). A source linked
  // with an offset ("r0 = r2 + 1") starts a new link, its old one dropped
  // (assign_scalar_id_before_mov: only one constant per link).
  const fits = fitsBytes(src.s, wide ? 8 : 4);
  if (fits && src.type === "scalar" && !scalarIsConst(src.s) && ins.src !== ins.dst) {
    const linked = src.id && src.off === 0 ? src : { ...src, id: env.nextId(), off: 0 };
    regs[ins.src] = linked;
    regs[ins.dst] = linked;
    return;
  }
  if (wide) {
    regs[ins.dst] = src;
    return;
  }
  // w1 = w2: a pointer's low half is a meaningless scalar (allowed with CAP_PERFMON).
  regs[ins.dst] = scalarReg(scalarAlu("mov", UNKNOWN_SCALAR.s, isPointer(src) ? UNKNOWN_SCALAR.s : src.s, false));
}

function binary(env: Env, st: VState, ins: Insn, def: Extract<OpDef, { kind: "alu" }>): void {
  const regs = st.regs;
  const op = def.op;
  const bits = def.wide ? 64 : 32;
  if (!def.reg) {
    if ((op === "lsh" || op === "rsh" || op === "arsh") && (ins.imm < 0 || ins.imm >= bits)) reject(`invalid shift ${ins.imm}`);
    if ((op === "div" || op === "mod" || op === "sdiv" || op === "smod") && ins.imm === 0) reject("div by zero");
  }
  const dst = readReg(st, ins.dst);
  const src = def.reg ? readReg(st, ins.src) : scalarReg(immScalar(ins.imm));
  if (dst.type === "scalar" && src.type === "scalar") {
    const result = kernelTracks(op, src.s, def.wide) ? scalarReg(scalarAlu(op, dst.s, src.s, def.wide)) : UNKNOWN_SCALAR;
    regs[ins.dst] = linkAfterAlu(dst, src, op, def.wide, result);
    return;
  }
  if (isPointer(dst) && isPointer(src)) {
    // Two pointers combine only by subtraction, into a scalar (e.g. data_end - data).
    if (op === "sub") {
      regs[ins.dst] = UNKNOWN_SCALAR;
      return;
    }
    reject(`R${ins.dst} pointer ${ALU_STRING[op]} pointer prohibited`);
  }
  const ptrIsDst = isPointer(dst);
  // The scalar moves a pointer: its value decides what the pointer may reach.
  if (def.reg) markPrecise(env, st, ptrIsDst ? ins.src : ins.dst);
  regs[ins.dst] = pointerArith(env, ins.dst, op, def.wide, ptrIsDst ? dst : src, ptrIsDst ? src : dst, ptrIsDst);
}

/**
 * is_safe_to_compute_dst_reg_range: the kernel computes a result's bounds for add, sub, and, or,
 * xor and mul, and for shifts by a known amount below the width; anything else (div, mod, their
 * signed forms, shifts by a register that is not constant) gives an unknown scalar. scalar-alu.ts
 * could say more, soundly, but a verifier that accepts what the kernel rejects is not one the
 * differential tests can vouch for, so the results stay as the kernel's.
 */
function kernelTracks(op: AluName, src: Scalar, wide: boolean): boolean {
  switch (op) {
    case "add": case "sub": case "and": case "or": case "xor": case "mul": case "mov":
      return true;
    case "lsh": case "rsh": case "arsh": {
      const t = src.t;
      if (wide) return t.mh === 0 && t.ml === 0 && t.vh === 0 && t.vl >>> 0 < 64;
      return t.ml === 0 && t.vl >>> 0 < 32;
    }
    default:
      return false;
  }
}

/**
 * Linked scalars with a constant offset (kernel 6.11+, BPF_ADD_CONST): after `r2 = r1` the two
 * share an id; `r2 += 4` keeps the link as "r2 = r1 + 4" (off = 4), so a bound learnt on either
 * bounds the other (branch.ts setScalar). Like the kernel: 64-bit add/sub of a constant in s32
 * range, once (a second constant clears the link); any other change of the value clears it.
 */
function linkAfterAlu(dst: Reg, src: Reg, op: AluName, wide: boolean, result: Reg): Reg {
  if (dst.id === 0 || !wide || (op !== "add" && op !== "sub") || !scalarIsConst(src.s) || dst.off !== 0) return result;
  const v = constNumS(src.s);
  if (v < -0x80000000 || v > 0x7fffffff || (op === "sub" && v === -0x80000000)) return result;
  const off = op === "add" ? v : -v;
  return off === 0 ? { ...result, id: dst.id } : { ...result, id: dst.id, off };
}

/**
 * Types whose pointers may be moved by arithmetic (adjust_ptr_min_max_vals). A moved callback
 * address (func) is refused where it is used: a helper takes only the unmodified one.
 */
const OFFSETTABLE = new Set(["ctx", "stack", "packet", "packet_meta", "map_value", "map_key", "mem", "rdonly_mem", "func"]);

function pointerArith(env: Env, dst: number, op: AluName, wide: boolean, ptr: Reg, off: Reg, ptrIsDst: boolean): Reg {
  if (!wide) {
    if (op === "sub") return UNKNOWN_SCALAR;
    reject(`R${dst} 32-bit pointer arithmetic prohibited`);
  }
  if (isOrNull(ptr)) {
    reject(`R${dst} pointer arithmetic on ${typeName(ptr)} prohibited, null-check it first`);
  }
  const known = scalarIsConst(off.s);
  const okMapPtr = ptr.type === "map_ptr" && known && isConstValue(off.s, 0) && op === "add";
  if (!OFFSETTABLE.has(ptr.type) && !okMapPtr) reject(`R${dst} pointer arithmetic on ${typeName(ptr)} prohibited`);
  checkSaneOffset(off.s, ptr);
  switch (op) {
    case "add":
      return checkedMove(env, ptr, off.s, 1);
    case "sub":
      if (!ptrIsDst) reject(`R${dst} tried to subtract pointer from scalar`);
      if (ptr.type === "stack") reject(`R${dst} subtraction from stack pointer prohibited`);
      return checkedMove(env, ptr, off.s, -1);
    case "and":
    case "or":
    case "xor":
      return reject(`R${dst} bitwise operator ${ALU_STRING[op]} on pointer prohibited`);
    default:
      return reject(`R${dst} pointer arithmetic with ${ALU_STRING[op]} operator prohibited`);
  }
}

/** check_reg_sane_offset: the offset and the pointer's own offsets must stay far from overflow. */
function checkSaneOffset(off: Scalar, ptr: Reg): void {
  const name = typeName(ptr);
  const limit = MAX_VAR_OFF;
  if (scalarIsConst(off)) {
    const v = constNumS(off);
    if (v >= limit || v <= -limit) reject(`math between ${name} pointer and ${BigInt.asIntN(64, off.t.value)} is not allowed`);
  } else if (sminUnbounded(off)) {
    reject(`math between ${name} pointer and register with unbounded min value is not allowed`);
  } else if (sminNum(off) >= limit || sminNum(off) <= -limit) {
    reject(`value ${off.smin} makes ${name} pointer be out of bounds`);
  }
  if (ptr.off >= MAX_VAR_OFF || ptr.off <= -MAX_VAR_OFF) reject(`${name} pointer offset ${ptr.off} is not allowed`);
}

/** movePointer, then check_reg_sane_offset on the result too (adjust_ptr_min_max_vals ends with it). */
function checkedMove(env: Env, ptr: Reg, off: Scalar, sign: 1 | -1): Reg {
  const moved = movePointer(env, ptr, off, sign);
  checkSaneOffset(moved.s, moved);
  return moved;
}

/** ptr ± scalar: a constant moves the fixed offset; anything else the variable part. */
function movePointer(env: Env, ptr: Reg, off: Scalar, sign: 1 | -1): Reg {
  if (scalarIsConst(off)) {
    const v = constNumS(off) * sign;
    // A pointer known at or past data_end stays so when moved up; moved down it may not be
    // (the kernel copies the mark either way; forgetting it only explores more).
    if (ptr.range < 0 && v < 0) return { ...ptr, off: ptr.off + v, range: 0 };
    return { ...ptr, off: ptr.off + v };
  }
  const s = scalarAlu(sign === 1 ? "add" : "sub", ptr.s, off, true);
  if (ptr.type === "packet" || ptr.type === "packet_meta") {
    // Something variable was added: the new pointer starts a new range (id), proven afresh
    // by its own comparison with data_end.
    return { ...ptr, s, id: env.nextId(), range: 0 };
  }
  return { ...ptr, s };
}
