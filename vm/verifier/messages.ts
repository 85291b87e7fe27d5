// Messages and the verifier log. A rejection names the instruction index, the instruction as the
// disassembler prints it, the reason (in the kernel's words where the kernel has a check), and
// the path that led there. The log follows the kernel's levels: 1 prints every instruction as it
// is processed and the state at each branch; 2 adds the register state after every instruction.

import { formatInsn } from "../asm/disassembler.js";
import type { Insn } from "../isa/instruction.js";
import { regString } from "./regs.js";
import { Slot, type Frame, type VState } from "./state.js";

/** A rejection, thrown inside the verifier and turned into a VerifyResult at the top. */
export class VerifierReject extends Error {
  constructor(
    readonly reason: string,
    readonly insn: number | undefined,
  ) {
    super(reason);
    this.name = "VerifierReject";
  }
}

export const reject = (reason: string, insn?: number): never => {
  throw new VerifierReject(reason, insn);
};

/** The log keeps at most this many characters (the kernel's log buffer is bounded too). */
const LOG_LIMIT = 1 << 22;

export class Log {
  private readonly parts: string[] = [];
  private size = 0;
  truncated = false;

  constructor(
    readonly level: 0 | 1 | 2,
    private readonly insns: readonly Insn[],
  ) {}

  get on(): boolean {
    return this.level > 0 && !this.truncated;
  }

  line(text: string): void {
    if (this.truncated) return;
    if (this.size + text.length > LOG_LIMIT) {
      this.truncated = true;
      this.parts.push("... log truncated\n");
      return;
    }
    this.parts.push(text + "\n");
    this.size += text.length + 1;
  }

  insn(pc: number): void {
    if (this.on) this.line(`${pc}: ${disasm(this.insns, pc)}`);
  }

  state(st: VState, prefix = ""): void {
    if (this.on) this.line(`${prefix}${stateString(st)}`);
  }

  /** Always kept, at any level (the error at the end of the log). */
  always(text: string): void {
    this.parts.push(text + "\n");
  }

  toString(): string {
    return this.parts.join("");
  }
}

/** An instruction as the assembler writes it, for messages. */
export function disasm(insns: readonly Insn[], pc: number): string {
  try {
    return formatInsn(insns, pc);
  } catch {
    const i = insns[pc];
    return i ? `.insn 0x${i.opcode.toString(16)}, ${i.dst}, ${i.src}, ${i.off}, ${i.imm}` : "(end of program)";
  }
}

/** Registers that hold something, and the stack slots in use, as the kernel prints a state. */
export function stateString(st: VState): string {
  const out: string[] = [];
  st.frames.forEach((f, k) => {
    if (st.frames.length > 1) out.push(`frame${k}:`);
    f.regs.forEach((r, i) => {
      if (r.type !== "not_init") out.push(`R${i}=${regString(r)}`);
    });
    out.push(...stackStrings(f));
  });
  return out.join(" ");
}

const SLOT_CHAR = ["?", "r", "m", "0", "i", "d"]; // Slot.INVALID, SPILL, MISC, ZERO, ITER, DYNPTR

function stackStrings(f: Frame): string[] {
  const out: string[] = [];
  for (let k = 0; k < f.spills.length; k++) {
    const base = 512 - 8 * (k + 1);
    const sp = f.spills[k];
    if (sp?.type === "dynptr" && sp.range === 0) continue; // a dynptr shows at its first slot
    if (sp) {
      out.push(`fp${-8 * (k + 1)}=${regString(sp)}`);
      continue;
    }
    let s = "";
    let any = false;
    for (let b = 0; b < 8; b++) {
      const t = f.bytes[base + b]!;
      if (t !== Slot.INVALID) any = true;
      s += SLOT_CHAR[t];
    }
    if (any) out.push(`fp${-8 * (k + 1)}=${s}`);
  }
  return out;
}
