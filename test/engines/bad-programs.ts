// Programs every engine must refuse before running (issue 2, "Bad input"), each with the slot
// the refusal must name and words its reason must contain. Built from raw slots, since the
// assembler (rightly) will not write most of them.

import { insn, type Insn } from "../../vm/isa/instruction.js";

const EXIT = insn(0x95);
const MOV_R0_0 = insn(0xb7, 0, 0, 0, 0);
const LDDW = 0x18;

export interface BadProgram {
  readonly name: string;
  readonly insns: Insn[];
  /** The slot the error must name (BpfError.where.insn and "insn N" in the message). */
  readonly insn: number;
  readonly reason: RegExp;
}

export const BAD_PROGRAMS: readonly BadProgram[] = [
  { name: "empty program", insns: [], insn: 0, reason: /empty program/ },
  { name: "unknown opcode", insns: [MOV_R0_0, insn(0x8c), EXIT], insn: 1, reason: /unknown opcode 0x8c/ },
  { name: "unknown opcode 0xff", insns: [insn(0xff), EXIT], insn: 0, reason: /unknown opcode 0xff/ },
  { name: "sdiv with off 2", insns: [insn(0x3f, 0, 1, 2), EXIT], insn: 0, reason: /invalid BPF_ALU opcode/ },
  { name: "byte swap of 8 bits", insns: [insn(0xdc, 0, 0, 0, 8), EXIT], insn: 0, reason: /BPF_END uses reserved fields/ },
  { name: "invalid atomic operation", insns: [insn(0xdb, 10, 1, -8, 0x02), EXIT], insn: 0, reason: /invalid atomic opcode 0x02/ },
  { name: "K-source add with src set", insns: [insn(0x07, 0, 1, 0, 1), EXIT], insn: 0, reason: /BPF_ALU uses reserved fields/ },
  { name: "X-source add with imm set", insns: [insn(0x0f, 0, 1, 0, 1), EXIT], insn: 0, reason: /BPF_ALU uses reserved fields/ },
  { name: "mov with imm and src", insns: [insn(0xb7, 0, 2, 0, 1), EXIT], insn: 0, reason: /BPF_MOV uses reserved fields/ },
  { name: "neg with imm set", insns: [MOV_R0_0, insn(0x87, 0, 0, 0, 1), EXIT], insn: 1, reason: /BPF_NEG uses reserved fields/ },
  { name: "exit with dst set", insns: [MOV_R0_0, insn(0x95, 1)], insn: 1, reason: /BPF_EXIT uses reserved fields/ },
  { name: "ja with imm set", insns: [insn(0x05, 0, 0, 0, 3), EXIT], insn: 0, reason: /BPF_JA uses reserved fields/ },
  { name: "jeq K with src set", insns: [MOV_R0_0, insn(0x15, 0, 1, 0, 0), EXIT], insn: 1, reason: /BPF_JMP\/JMP32 uses reserved fields/ },
  { name: "register r11", insns: [insn(0xb7, 11, 0, 0, 1), EXIT], insn: 0, reason: /R11 is invalid/ },
  { name: "source register r12", insns: [insn(0xbf, 0, 12), EXIT], insn: 0, reason: /R12 is invalid/ },
  { name: "write to r10", insns: [insn(0xb7, 10, 0, 0, 0), EXIT], insn: 0, reason: /frame pointer is read only/ },
  { name: "load into r10", insns: [insn(0x79, 10, 1, 0, 0), EXIT], insn: 0, reason: /frame pointer is read only/ },
  { name: "fetching atomic into r10", insns: [insn(0xdb, 1, 10, 0, 0x01), EXIT], insn: 0, reason: /frame pointer is read only/ },
  { name: "jump past the end", insns: [MOV_R0_0, insn(0x05, 0, 0, 5), EXIT], insn: 1, reason: /jump out of range from insn 1 to 7/ },
  { name: "jump before the start", insns: [MOV_R0_0, insn(0x15, 0, 0, -3, 0), EXIT], insn: 1, reason: /jump out of range from insn 1 to -1/ },
  { name: "gotol out of range", insns: [insn(0x06, 0, 0, 0, 100), EXIT], insn: 0, reason: /jump out of range from insn 0 to 101/ },
  {
    name: "jump into the middle of lddw",
    insns: [insn(0x05, 0, 0, 1), insn(LDDW, 0, 0, 0, 1), insn(0, 0, 0, 0, 2), EXIT],
    insn: 0,
    reason: /jump into the middle of ldimm64 insn 1/,
  },
  { name: "lddw missing its second half", insns: [MOV_R0_0, EXIT, insn(LDDW, 0, 0, 0, 1)], insn: 2, reason: /no second slot/ },
  {
    name: "lddw second half with an opcode",
    insns: [insn(LDDW, 0, 0, 0, 1), insn(0xb7, 0, 0, 0, 2), EXIT],
    insn: 0,
    reason: /invalid bpf_ld_imm64 insn/,
  },
  { name: "call to an unknown helper", insns: [insn(0x85, 0, 0, 0, 9999), EXIT], insn: 0, reason: /unknown#9999/ },
  { name: "local call out of range", insns: [insn(0x85, 0, 1, 0, 10), EXIT], insn: 0, reason: /call to invalid destination/ },
  {
    name: "local call into the middle of lddw",
    insns: [insn(0x85, 0, 1, 0, 2), EXIT, insn(LDDW, 0, 0, 0, 1), insn(0, 0, 0, 0, 0), EXIT],
    insn: 0,
    reason: /call into the middle of ldimm64 insn 2/,
  },
  { name: "kfunc call", insns: [insn(0x85, 0, 2, 0, 1), EXIT], insn: 0, reason: /kfunc/ },
  { name: "falls off the end", insns: [MOV_R0_0, insn(0x07, 0, 0, 0, 1)], insn: 1, reason: /last insn is not an exit or jmp/ },
  {
    name: "ends with lddw",
    insns: [insn(LDDW, 0, 0, 0, 1), insn(0, 0, 0, 0, 2)],
    insn: 0,
    reason: /last insn is not an exit or jmp/,
  },
  {
    name: "subprogram falls off its end",
    insns: [insn(0x85, 0, 1, 0, 1), EXIT, MOV_R0_0],
    insn: 2,
    reason: /falls off the end of the subprogram at insn 2/,
  },
  {
    name: "jump across a subprogram boundary",
    insns: [insn(0x85, 0, 1, 0, 2), insn(0x05, 0, 0, 1), EXIT, MOV_R0_0, EXIT],
    insn: 1,
    reason: /jump out of range from insn 1 to 3 \(outside its subprogram/,
  },
];
