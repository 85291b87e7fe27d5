// Decoding for the JIT: every slot gets its `describe()` definition, and the structural rules
// the translation relies on are checked here, once, so the lowering can assume them:
// known opcodes, registers r0..r10, r10 never written (kernel: "frame pointer is read only"),
// `lddw` followed by its continuation slot (opcode 0, kernel: "invalid bpf_ld_imm64 insn").
// Jump and call targets are checked by cfg.ts, which knows the subprogram boundaries.
//
// The verifier (vm/verifier) proves much more; this is the minimum that keeps the JIT from
// emitting invalid wasm or crashing on a program that was never verified.

import { BpfError } from "../vm/errors.js";
import type { Insn } from "../vm/isa/instruction.js";
import { NUM_REGS, R10 } from "../vm/isa/opcodes.js";
import { describe, type OpDef } from "../vm/isa/table.js";

/** One slot: its definition, or `undefined` for the second slot of an `lddw`. */
export type Decoded = OpDef | undefined;

const hex = (n: number): string => "0x" + n.toString(16).padStart(2, "0");

export function decodeProgram(insns: readonly Insn[]): Decoded[] {
  if (insns.length === 0) throw new BpfError("program has no instructions");
  // Filled by push: `new Array(n)` of a large n makes V8 start with slow (dictionary) elements.
  const out: Decoded[] = [];
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    const def = describe(ins);
    if (!def) throw new BpfError(`unknown opcode ${hex(ins.opcode)} at insn ${i}`, { insn: i });
    checkRegisters(def, ins, i);
    out.push(def);
    if (def.kind === "lddw") {
      const next = insns[i + 1];
      if (!next) throw new BpfError(`lddw at insn ${i} has no second slot`, { insn: i });
      if (next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        throw new BpfError(`lddw at insn ${i}: second slot must be opcode 0 with only imm set`, { insn: i + 1 });
      }
      out.push(undefined);
      i++;
    }
  }
  return out;
}

/** The registers each kind reads (as `src`) and writes (as `dst`), for the r10/r11 checks. */
function checkRegisters(def: OpDef, ins: Insn, i: number): void {
  if (ins.dst >= NUM_REGS) bad(def, i, `invalid register r${ins.dst}`);
  if (ins.src >= NUM_REGS && usesSrcRegister(def)) bad(def, i, `invalid register r${ins.src}`);
  if (ins.dst === R10 && writesDst(def)) bad(def, i, "frame pointer r10 is read only");
  // Fetching atomics write the old value back into src (cmpxchg writes r0 instead).
  if (def.kind === "atomic" && def.fetch && def.aop !== "cmpxchg" && ins.src === R10) {
    bad(def, i, "frame pointer r10 is read only");
  }
}

function bad(def: OpDef, i: number, why: string): never {
  throw new BpfError(`${why} at insn ${i} (${def.mnemonic})`, { insn: i });
}

function usesSrcRegister(def: OpDef): boolean {
  switch (def.kind) {
    case "alu":
    case "jcond":
      return def.reg;
    case "movsx":
    case "ldx":
    case "stx":
    case "atomic":
      return true;
    case "ldpkt":
      return def.ind;
    default:
      return false;
  }
}

function writesDst(def: OpDef): boolean {
  return (
    def.kind === "alu" ||
    def.kind === "neg" ||
    def.kind === "movsx" ||
    def.kind === "end" ||
    def.kind === "lddw" ||
    def.kind === "ldx"
  );
}
