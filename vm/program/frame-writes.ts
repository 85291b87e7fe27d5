// Writes to r10 in code no path reaches, after verification. The verifier refuses a write to r10
// on every path it explores (check_reg_arg); one in code it proved dead — a branch the
// verifier's bounds decide, as in the kernel's "map lookup and null branch prediction" — does
// not make the kernel refuse the program: it removes dead code after verifying
// (opt_remove_dead_code; sanitize_dead_code turns it into `ja -1` where it cannot). The engines
// refuse any write to r10 before running (validate.ts), so a verified program's remaining ones,
// dead by the verifier's proof, become `ja -1` traps here; every other slot keeps its index, so
// faults and the disassembly still name the same instructions.

import type { Insn } from "../isa/instruction.js";
import { Cls, JmpOp, R10 } from "../isa/opcodes.js";
import { describe } from "../isa/table.js";
import { writtenRegister } from "./validate.js";

/** sanitize_dead_code's trap: a jump to itself. */
const TRAP: Insn = { opcode: Cls.JMP | JmpOp.JA, dst: 0, src: 0, off: -1, imm: 0 };

/** A verified program's instructions with each (necessarily dead) write to r10 made a trap; the same array if it has none. */
export function trapDeadFrameWrites(insns: readonly Insn[]): readonly Insn[] {
  let out: Insn[] | undefined;
  for (let i = 0; i < insns.length; i++) {
    const def = describe(insns[i]!);
    if (!def) continue;
    if (writtenRegister(insns[i]!, def) === R10) {
      out ??= [...insns];
      out[i] = { ...TRAP };
      if (def.kind === "lddw") out[i + 1] = { ...TRAP };
    }
    if (def.kind === "lddw") i++;
  }
  return out ?? insns;
}
