// Structural validation: the checks every engine needs before it runs a program, whatever it
// later proves about values. A program that passes has only known opcodes with clean encodings,
// registers r0..r10 with r10 never written, jumps that land on an instruction of their own
// subprogram (never on lddw's second slot), local calls and callback addresses (lddw func) that
// land on an instruction, known helpers, and subprograms that cannot fall off their end. Each
// refusal is a BpfError naming the instruction slot and the reason, in the kernel's words where
// the kernel has a check (kernel/bpf/verifier.c: check_subprogs, check_cfg, check_alu_op, ...).
//
// What it does not check is the verifier's job (issue 6): types, bounds, uninitialised reads,
// loops. Constant division by zero and out-of-range shift immediates are accepted, as RFC 9669
// defines their results and the conformance suite runs them.

import { BpfError } from "../errors.js";
import type { Insn } from "../isa/instruction.js";
import { NUM_REGS, Pseudo, R10 } from "../isa/opcodes.js";
import { describe, jumpTarget, knownOpcodes, type OpDef } from "../isa/table.js";
import { kernelHelperName, notImplemented } from "../verifier/helper-names.js";
import { kfuncName } from "../helpers/kfunc/ids.js";
import { refinementViolation, reservedFieldViolation } from "./reserved.js";
import { localCallTarget, subprogramOf, subprograms, type Subprogram } from "./subprograms.js";

/** The kernel's limit on program size (BPF_COMPLEXITY_LIMIT_INSNS). */
export const MAX_INSNS = 1_000_000;

/** Anything that can say whether a helper id exists (a HelperTable does). */
export interface HelperLookup {
  has(id: number): boolean;
  /** The kfunc with this id (`call kfunc id`), if the machine has one. */
  kfunc(id: number): unknown;
}

export interface ValidateOptions {
  /** Helpers the program may call; without it, helper ids are not checked. */
  readonly helpers?: HelperLookup;
  /**
   * Leave writes to r10 to the caller: the verifier refuses them on the paths it explores, as
   * the kernel's check_reg_arg does, so one in code no path reaches is no reason to refuse the
   * program (frame-writes.ts then turns it into a trap before an engine gets it).
   */
  readonly frameWritesOnPaths?: boolean;
}

const KNOWN_OPCODES = new Set(knownOpcodes());

/** check_reg_arg's refusal of a write to r10. */
export const FRAME_WRITE = "frame pointer is read only";

const fail = (i: number, reason: string): never => {
  throw new BpfError(`insn ${i}: ${reason}`, { insn: i });
};

/** A program that passed validate(): each slot's definition (lddw's second slot: undefined) and its subprograms. */
export interface ValidatedProgram {
  readonly defs: ReadonlyArray<OpDef | undefined>;
  readonly subprograms: Subprogram[];
}

/**
 * Check a program's structure. Returns its subprograms (as subprograms() does) so callers need
 * not split it again; throws a BpfError at the first problem, in slot order.
 */
export function validate(insns: readonly Insn[], options: ValidateOptions = {}): Subprogram[] {
  return validateProgram(insns, options).subprograms;
}

/** validate(), keeping what it decoded: for a caller that goes on to translate the program (the JIT). */
export function validateProgram(insns: readonly Insn[], options: ValidateOptions = {}): ValidatedProgram {
  if (insns.length === 0) throw new BpfError("empty program: no instructions", { insn: 0 });
  if (insns.length > MAX_INSNS) {
    throw new BpfError(`program has ${insns.length} instructions, more than the limit of ${MAX_INSNS}`, { insn: MAX_INSNS });
  }
  const defs = decodeAll(insns, options.frameWritesOnPaths === true);
  const subs = subprograms(insns);
  for (let i = 0; i < insns.length; i++) {
    const def = defs[i];
    if (def) checkFlow(insns, defs, subs, i, def, options);
  }
  for (const sub of subs) checkEnd(defs, sub);
  return { defs, subprograms: subs };
}

/** Describe every slot, checking encodings; lddw's second slot maps to undefined. */
function decodeAll(insns: readonly Insn[], frameWritesOnPaths: boolean): Array<OpDef | undefined> {
  const defs: Array<OpDef | undefined> = new Array(insns.length);
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    const def = describe(ins);
    if (!def) fail(i, KNOWN_OPCODES.has(ins.opcode) ? refinementViolation(ins) : `unknown opcode 0x${ins.opcode.toString(16).padStart(2, "0")}`);
    checkRegisters(i, ins, def!, frameWritesOnPaths);
    const reserved = reservedFieldViolation(ins, def!);
    if (reserved) fail(i, reserved);
    defs[i] = def;
    if (def!.kind === "lddw") {
      checkSecondHalf(insns, i);
      i++; // the second slot is data, not an instruction
    }
  }
  return defs;
}

function checkRegisters(i: number, ins: Insn, def: OpDef, frameWritesOnPaths: boolean): void {
  // check_reg_arg: "R%d is invalid". call's src field is the call kind, not a register.
  if (ins.dst >= NUM_REGS) fail(i, `R${ins.dst} is invalid`);
  if (ins.src >= NUM_REGS && def.kind !== "call") fail(i, `R${ins.src} is invalid`);
  if (!frameWritesOnPaths && writtenRegister(ins, def) === R10) fail(i, FRAME_WRITE);
}

/** The register an instruction writes (besides r0 for calls), if any. */
export function writtenRegister(ins: Insn, def: OpDef): number | undefined {
  switch (def.kind) {
    case "alu":
    case "neg":
    case "movsx":
    case "end":
    case "lddw":
    case "ldx":
      return ins.dst;
    case "atomic":
      // Fetching atomics return the old value in src; cmpxchg returns it in r0.
      return def.fetch && def.aop !== "cmpxchg" ? ins.src : undefined;
    default:
      return undefined;
  }
}

function checkSecondHalf(insns: readonly Insn[], i: number): void {
  const next = insns[i + 1];
  if (!next) fail(i, "invalid bpf_ld_imm64 insn: lddw has no second slot (program ends)");
  // check_ld_imm / resolve_pseudo_ldimm64: the second slot carries only imm.
  if (next!.opcode !== 0 || next!.dst !== 0 || next!.src !== 0 || next!.off !== 0) {
    fail(i, `invalid bpf_ld_imm64 insn: second slot (insn ${i + 1}) must have opcode 0 and only imm set`);
  }
}

function checkFlow(
  insns: readonly Insn[],
  defs: ReadonlyArray<OpDef | undefined>,
  subs: readonly Subprogram[],
  i: number,
  def: OpDef,
  options: ValidateOptions,
): void {
  const ins = insns[i]!;
  const target = jumpTarget(ins, def, i);
  if (target !== undefined) {
    checkTarget(insns, defs, i, target, "jump");
    const sub = subs[subprogramOf(subs, i)]!;
    if (target < sub.start || target >= sub.end) {
      fail(i, `jump out of range from insn ${i} to ${target} (outside its subprogram, insns ${sub.start}..${sub.end - 1})`);
    }
  } else if (def.kind === "lddw" && def.pseudo === Pseudo.FUNC) {
    // A callback's address names a subprogram like a local call does (add_subprog).
    checkTarget(insns, defs, i, localCallTarget(insns, i), "call");
  } else if (def.kind === "call") {
    if (def.target === "local") checkTarget(insns, defs, i, localCallTarget(insns, i), "call");
    else if (def.target === "kfunc") {
      // off indexes the fd_array for a module's BTF (0: vmlinux); this runtime's kfuncs are all "vmlinux".
      if (ins.off !== 0) fail(i, `kfunc call with BTF fd index ${ins.off}: kernel module kfuncs are not supported`);
      if (options.helpers && !options.helpers.kfunc(ins.imm)) fail(i, unknownKfunc(ins.imm));
    }
    else if (options.helpers && !options.helpers.has(ins.imm)) fail(i, unknownHelper(ins.imm));
  }
}

/**
 * A kfunc id the machine has no kfunc for: the kernel's message (add_kfunc_call → fetch_kfunc_meta:
 * the id names no FUNC in vmlinux BTF), and the kfunc's name when the id is one of this runtime's.
 */
function unknownKfunc(id: number): string {
  const name = kfuncName(id);
  return name
    ? `calling kernel function ${name} is not allowed (kfunc ${id} is not in this machine's table)`
    : `kernel btf_id ${id} is not a function (no kfunc of this runtime has this id)`;
}

/** A helper id the machine has no helper for: the kernel's name for it when the id is one of Linux's. */
function unknownHelper(id: number): string {
  const name = id === 0 ? undefined : kernelHelperName(id);
  return name ? notImplemented(name, id) : `invalid func unknown#${id} (no helper with this id)`;
}

function checkTarget(
  insns: readonly Insn[],
  defs: ReadonlyArray<OpDef | undefined>,
  i: number,
  target: number,
  what: "jump" | "call",
): void {
  if (target < 0 || target >= insns.length) {
    fail(i, what === "jump"
      ? `jump out of range from insn ${i} to ${target}`
      : `call to invalid destination: insn ${target} is outside the program (0..${insns.length - 1})`);
  }
  if (defs[target] === undefined) fail(i, `${what} into the middle of ldimm64 insn ${target - 1}`);
}

/** check_subprogs: a subprogram must end in exit or an unconditional jump. */
function checkEnd(defs: ReadonlyArray<OpDef | undefined>, sub: Subprogram): void {
  const last = sub.end - 1;
  const def = defs[last];
  if (def?.kind === "exit" || def?.kind === "ja") return;
  const at = def ? last : last - 1; // the lddw owning a second slot
  fail(at, `last insn is not an exit or jmp: execution falls off the end of ${sub.start === 0 ? "the program" : `the subprogram at insn ${sub.start}`}`);
}
