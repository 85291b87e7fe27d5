// The disassembler: instruction slots → the assembler's syntax, one instruction per line.
//
// Whatever it prints assembles back to the same bytes. An instruction is printed in its normal
// syntax only when that syntax can say everything its slot holds: a known opcode, registers
// r0..r10, and zero in every field the instruction does not use (the kernel's "reserved
// fields"). Anything else is printed as a raw `.insn OPCODE, DST, SRC, OFF, IMM` line with the
// reason as a comment, so invalid bytecode is shown plainly instead of throwing.

import { BpfError } from "../errors.js";
import type { Insn } from "../isa/instruction.js";
import { NUM_REGS, Pseudo } from "../isa/opcodes.js";
import { describe, knownOpcodes, type OpDef } from "../isa/table.js";
import { REFINED_BY } from "./forms.js";
import { formatImm, formatRel } from "./numbers.js";
import { SYNTAX, type Field, type TargetPrinter } from "./syntax.js";

export interface DisassembleOptions {
  /** Prefix each line with its slot index (`  12: `); the assembler accepts and checks these. */
  indices?: boolean;
  /** Name jump and call targets `L<slot>` and print those labels, instead of `+N`/`-N`. */
  labels?: boolean;
}

const FIELDS: readonly Field[] = ["dst", "src", "off", "imm"];
const KNOWN = new Set(knownOpcodes());

/**
 * Slots that are the second half of a well-formed lddw (printed with their first half). A slot
 * counts only if the lddw before it is itself an instruction start, scanning from slot 0 as a
 * loader does.
 */
function secondHalves(insns: readonly Insn[]): Set<number> {
  const halves = new Set<number>();
  for (let i = 0; i < insns.length; i++) {
    const def = describe(insns[i]!);
    if (def?.kind === "lddw" && invalidReason(insns, i, def) === undefined) halves.add(++i);
  }
  return halves;
}

/** Whether slot i is the second half of a well-formed lddw (scans slots 0..i-1 only). */
function isSecondHalf(insns: readonly Insn[], i: number): boolean {
  for (let j = 0; j < i; j++) {
    const def = describe(insns[j]!);
    if (def?.kind === "lddw" && invalidReason(insns, j, def) === undefined && ++j === i) return true;
  }
  return false;
}

/** Why slot i cannot be printed in the normal syntax, or undefined if it can. */
function invalidReason(insns: readonly Insn[], i: number, def: OpDef | undefined): string | undefined {
  const ins = insns[i]!;
  if (!def) {
    const hex = "0x" + ins.opcode.toString(16).padStart(2, "0");
    return KNOWN.has(ins.opcode)
      ? `opcode ${hex} is not defined for off=${ins.off} imm=${ins.imm} src=${ins.src}`
      : `unknown opcode ${hex}`;
  }
  const used = new Set<Field>(SYNTAX[def.kind].uses(def));
  const refine = REFINED_BY[def.kind];
  if (refine) used.add(refine);
  for (const f of FIELDS) {
    if (!used.has(f) && ins[f] !== 0) return `${def.mnemonic}: reserved field ${f}=${ins[f]} must be 0`;
  }
  for (const f of ["dst", "src"] as const) {
    if (used.has(f) && ins[f] >= NUM_REGS && !(f === "src" && refine === "src")) {
      return `${def.mnemonic}: register r${ins[f]} does not exist`;
    }
  }
  if (def.kind === "lddw") {
    const next = insns[i + 1];
    if (!next) return "lddw without its second slot (end of program)";
    for (const f of ["opcode", "dst", "src", "off"] as const) {
      if (next[f] !== 0) return `lddw: second slot has ${f}=${next[f]}, must be 0`;
    }
  }
  return undefined;
}

function rawSlot(ins: Insn): string {
  return `.insn 0x${ins.opcode.toString(16).padStart(2, "0")}, ${ins.dst}, ${ins.src}, ${ins.off}, ${formatImm(ins.imm)}`;
}

/** The pc-relative field a jump/call/lddw-func slot carries, if it has one. */
function relField(ins: Insn, def: OpDef): number | undefined {
  switch (def.kind) {
    case "ja":
      return def.long ? ins.imm : ins.off;
    case "jcond":
    case "maygoto":
      return ins.off;
    case "call":
      return def.target === "local" ? ins.imm : undefined;
    case "lddw":
      return def.pseudo === Pseudo.FUNC ? ins.imm : undefined; // a callback's address
    default:
      return undefined;
  }
}

function formatAt(insns: readonly Insn[], i: number, target: TargetPrinter): string {
  const ins = insns[i]!;
  const def = describe(ins);
  const why = invalidReason(insns, i, def);
  if (why !== undefined || !def) return `${rawSlot(ins)}  # invalid: ${why}`;
  return SYNTAX[def.kind].format(ins, def, target, insns[i + 1]);
}

/**
 * One instruction (slot i) in assembler syntax; jumps as `+N`/`-N`. An lddw reads both of its
 * slots; its second slot, asked for on its own, is shown as the raw slot it is.
 */
export function formatInsn(insns: readonly Insn[], i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= insns.length) {
    throw new BpfError(`no instruction slot ${i}: the program has ${insns.length} slots`, { insn: i });
  }
  if (isSecondHalf(insns, i)) return `${rawSlot(insns[i]!)}  # second slot of the lddw at ${i - 1}`;
  return formatAt(insns, i, formatRel);
}

/** The whole program, one instruction per line (an lddw's second slot is not printed). */
export function disassemble(insns: readonly Insn[], options: DisassembleOptions = {}): string {
  const halves = secondHalves(insns);
  const starts = insns.map((_, i) => i).filter((i) => !halves.has(i));
  const targets = options.labels ? labelTargets(insns, starts, halves) : new Set<number>();
  const lines: string[] = [];
  for (const i of starts) {
    if (targets.has(i)) lines.push(`L${i}:`);
    const target: TargetPrinter = (rel) => (targets.has(i + 1 + rel) ? `L${i + 1 + rel}` : formatRel(rel));
    const text = formatAt(insns, i, target);
    lines.push(options.indices ? `${String(i).padStart(4)}: ${text}` : text);
  }
  if (targets.has(insns.length)) lines.push(`L${insns.length}:`);
  return lines.join("\n") + (lines.length > 0 ? "\n" : "");
}

/** Slots that some valid jump, local call or callback lddw targets (and that a label can name). */
function labelTargets(insns: readonly Insn[], starts: readonly number[], halves: Set<number>): Set<number> {
  const targets = new Set<number>();
  for (const i of starts) {
    const def = describe(insns[i]!);
    if (!def || invalidReason(insns, i, def) !== undefined) continue;
    const rel = relField(insns[i]!, def);
    if (rel === undefined) continue;
    const t = i + 1 + rel;
    if (t >= 0 && t <= insns.length && !halves.has(t)) targets.add(t);
  }
  return targets;
}
