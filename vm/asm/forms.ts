// The mnemonic map of the assembler, derived from the ISA table (vm/isa/table.ts) rather than
// written out a second time: every opcode the table knows is described with representative values
// of the field that refines it (off for sdiv/smod/movsx, imm for byte swaps and atomics, src for
// call kinds and lddw pseudo sources), and each definition found becomes a `Form` under its
// mnemonic. An opcode added to the table is therefore assemblable as soon as its kind has syntax.

import { Atomic } from "../isa/opcodes.js";
import { describe, knownOpcodes, type OpDef, type OpKind } from "../isa/table.js";
import type { Insn } from "../isa/instruction.js";

/** The field (besides the opcode byte) that selects an instruction, per kind (table.ts header). */
export type RefineField = "off" | "imm" | "src";

export const REFINED_BY: Partial<Record<OpKind, RefineField>> = {
  alu: "off", // off=1: sdiv/smod
  movsx: "off", // off=8/16/32: source width
  end: "imm", // imm=16/32/64: swap width
  atomic: "imm", // imm: the atomic operation
  call: "src", // src: helper / local / kfunc
  lddw: "src", // src: pseudo source
};

/** One encodable instruction: its opcode byte, the refining field's value, and its definition. */
export interface Form {
  readonly opcode: number;
  readonly def: OpDef;
  readonly field?: RefineField;
  readonly value: number;
}

/** A slot of this form with the given operand fields (the refining field is set from the form). */
export function slotOf(form: Form, fields: Partial<Insn> = {}): Insn {
  const ins: Insn = { opcode: form.opcode, dst: 0, src: 0, off: 0, imm: 0, ...fields };
  if (form.field) ins[form.field] = form.value;
  return ins;
}

// Values tried for each refining field. Atomic codes come from the opcode constants, with and
// without FETCH; the rest are the widths and flags the ISA uses.
const atomicCodes = Object.values(Atomic).flatMap((c) => [c, c | Atomic.FETCH]);
const TRIAL_VALUES: Record<RefineField, readonly number[]> = {
  off: [0, 1, 8, 16, 32, 64],
  imm: [0, 16, 32, 64, ...atomicCodes],
  src: Array.from({ length: 16 }, (_, i) => i),
};

/** The mnemonic a form is written with: atomics are written after `lock`. */
export const formKey = (def: OpDef): string => (def.kind === "atomic" ? `lock ${def.mnemonic}` : def.mnemonic);

function buildForms(): Map<string, Form[]> {
  const byKey = new Map<string, Form[]>();
  const seen = new Set<string>();
  for (const opcode of knownOpcodes()) {
    for (const field of ["off", "imm", "src"] as const) {
      for (const value of TRIAL_VALUES[field]) {
        const trial: Insn = { opcode, dst: 0, src: 0, off: 0, imm: 0, [field]: value };
        const def = describe(trial);
        if (!def) continue;
        const refine = REFINED_BY[def.kind];
        const form: Form = refine ? { opcode, def, field: refine, value: trial[refine] } : { opcode, def, value: 0 };
        const id = `${opcode}:${form.value}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const key = formKey(def);
        const list = byKey.get(key) ?? [];
        if (list.length > 0 && list[0]!.def.kind !== def.kind) {
          throw new Error(`mnemonic '${key}' names two kinds of instruction (${list[0]!.def.kind}, ${def.kind})`);
        }
        list.push(form);
        byKey.set(key, list);
      }
    }
  }
  return byKey;
}

/** Every mnemonic (atomics as `lock <op>`) → its forms. All forms of one mnemonic share a kind. */
export const FORMS: ReadonlyMap<string, readonly Form[]> = buildForms();

/**
 * Other spellings accepted for table mnemonics: uBPF and bpf_conformance write the
 * unconditional byte swap as `swapN`, and accept an explicit `64` suffix on ALU64 operations;
 * LLVM calls `ja32` `gotol`.
 */
function buildAliases(): Map<string, string> {
  const aliases = new Map<string, string>([["gotol", "ja32"]]);
  for (const [key, forms] of FORMS) {
    const def = forms[0]!.def;
    if (def.kind === "end" && def.order === "swap") aliases.set(key.replace(/^b/, ""), key);
    if ((def.kind === "alu" || def.kind === "neg") && def.wide) aliases.set(key + "64", key);
  }
  return aliases;
}

export const ALIASES: ReadonlyMap<string, string> = buildAliases();

/** The forms written with `mnemonic` (or one of its aliases), if any. */
export function formsOf(mnemonic: string): readonly Form[] | undefined {
  return FORMS.get(mnemonic) ?? FORMS.get(ALIASES.get(mnemonic) ?? "");
}
