// Reserved-field rules: fields an opcode does not use must be zero. These are the kernel's
// checks in kernel/bpf/verifier.c (check_alu_op, check_cond_jmp_op, the BPF_JA/BPF_CALL/BPF_EXIT
// cases of do_check, check_ld_abs, check_ld_imm, and the LDX/ST/STX cases), with its wording,
// so a program the kernel refuses for an encoding reason is refused here for the same reason.
// One rule per instruction kind of vm/isa/table.ts.

import type { Insn } from "../isa/instruction.js";
import { Cls, cls } from "../isa/opcodes.js";
import type { OpDef, OpKind } from "../isa/table.js";

type Rule<K extends OpKind> = (ins: Insn, def: Extract<OpDef, { kind: K }>) => string | undefined;

const RULES: { [K in OpKind]: Rule<K> } = {
  // check_alu_op: X forms must have imm == 0, K forms src == 0; `off` selects sdiv/smod and
  // movsx, which describe() has already checked.
  alu: (ins, def) => {
    const what = def.op === "mov" ? "BPF_MOV" : "BPF_ALU";
    if (def.reg ? ins.imm !== 0 : ins.src !== 0) return `${what} uses reserved fields`;
    return undefined;
  },
  movsx: (ins) => (ins.imm !== 0 ? "BPF_MOV uses reserved fields" : undefined),
  neg: (ins) => (ins.src !== 0 || ins.off !== 0 || ins.imm !== 0 ? "BPF_NEG uses reserved fields" : undefined),
  end: (ins) => (ins.src !== 0 || ins.off !== 0 ? "BPF_END uses reserved fields" : undefined),
  // BPF_JA: JMP|JA takes its offset in `off`, JMP32|JA (gotol) in `imm`; the other must be 0.
  ja: (ins, def) =>
    ins.src !== 0 || ins.dst !== 0 || (def.long ? ins.off !== 0 : ins.imm !== 0)
      ? "BPF_JA uses reserved fields"
      : undefined,
  // check_cond_jmp_op: src is BPF_MAY_GOTO (0), dst and imm are 0. `may_goto +0` (clang 20 emits
  // it) only spends the budget: allowed since 6.13, as here.
  maygoto: (ins) => (ins.src !== 0 || ins.dst !== 0 || ins.imm !== 0 ? `invalid may_goto imm ${ins.imm}` : undefined),
  jcond: (ins, def) =>
    (def.reg ? ins.imm !== 0 : ins.src !== 0) ? "BPF_JMP/JMP32 uses reserved fields" : undefined,
  call: (ins, def) =>
    ins.dst !== 0 || (def.target !== "kfunc" && ins.off !== 0) ? "BPF_CALL uses reserved fields" : undefined,
  // callx (0x8d) is not in the kernel; LLVM puts the register in dst, so src/off/imm are unused.
  callx: (ins) => (ins.src !== 0 || ins.off !== 0 || ins.imm !== 0 ? "BPF_CALLX uses reserved fields" : undefined),
  exit: (ins) =>
    ins.src !== 0 || ins.dst !== 0 || ins.off !== 0 || ins.imm !== 0 ? "BPF_EXIT uses reserved fields" : undefined,
  lddw: (ins) => (ins.off !== 0 ? "BPF_LD_IMM64 uses reserved fields" : undefined),
  // check_ld_abs: dst must be 0 (the result goes to r0); LD_ABS has no source register.
  ldpkt: (ins, def) =>
    ins.dst !== 0 || ins.off !== 0 || (!def.ind && ins.src !== 0) ? "BPF_LD_[ABS|IND] uses reserved fields" : undefined,
  ldx: (ins) => (ins.imm !== 0 ? "BPF_LDX uses reserved fields" : undefined),
  st: (ins) => (ins.src !== 0 ? "BPF_ST uses reserved fields" : undefined),
  stx: (ins) => (ins.imm !== 0 ? "BPF_STX uses reserved fields" : undefined),
  atomic: () => undefined, // every field is used; describe() has checked imm
};

/** The kernel's complaint about an encoding's unused fields, or undefined if it is clean. */
export function reservedFieldViolation(ins: Insn, def: OpDef): string | undefined {
  return (RULES[def.kind] as Rule<OpKind>)(ins, def);
}

/**
 * Why describe() refused an opcode byte that does exist: one of its refining fields (off, imm,
 * src) holds a value no instruction uses.
 */
export function refinementViolation(ins: Insn): string {
  const opcode = ins.opcode;
  const klass = cls(opcode);
  const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(2, "0")}`;
  if (klass === Cls.ALU || klass === Cls.ALU64) {
    if ((opcode & 0xf0) === 0xd0) return `BPF_END uses reserved fields (imm ${ins.imm}: byte-swap width must be 16, 32 or 64)`;
    return `invalid BPF_ALU opcode ${hex(opcode)} with off ${ins.off}`;
  }
  if (klass === Cls.STX) return `BPF_ATOMIC uses invalid atomic opcode ${hex(ins.imm)}`;
  if (klass === Cls.JMP) return `BPF_CALL uses reserved fields (src ${ins.src} is not a call kind)`;
  if (klass === Cls.LD) return `invalid bpf_ld_imm64 pseudo source ${ins.src}`;
  return `unknown opcode ${hex(opcode)}`;
}
