// Runtime faults: every one names the instruction slot, the instruction as assembly, and what
// went wrong, e.g. `insn 3 (ldxw %r0, [%r1+4]): invalid read of 4 bytes at 0x1234: outside stack and input`.

import { formatInsn } from "../asm/disassembler.js";
import { BpfRuntimeError } from "../errors.js";
import type { Prepared } from "./state.js";

/** How a fault names a slot: its index and the instruction in assembler syntax. */
export function slotName(p: Prepared, pc: number): string {
  let text: string | undefined;
  try {
    text = formatInsn(p.insns, pc);
  } catch {
    text = p.defs[pc]?.mnemonic; // the disassembler refused: fall back to the mnemonic
  }
  return text ? `insn ${pc} (${text})` : `insn ${pc}`;
}

export function runtimeFault(p: Prepared, pc: number, reason: string, addr?: number): BpfRuntimeError {
  return new BpfRuntimeError(`${slotName(p, pc)}: ${reason}`, addr === undefined ? { insn: pc } : { insn: pc, addr });
}

/** Format an address (a number below 2^32, or the exact bigint when wider). */
export function hexAddr(addr: number | bigint): string {
  return `0x${addr.toString(16)}`;
}
