// Faults a JIT-compiled program stops on. The generated code stores a code, the instruction
// index and an argument in exported globals and executes `unreachable`; the engine catches the
// trap and turns it into a BpfRuntimeError that names the instruction. Traps V8 raises itself
// (out-of-bounds memory, misaligned atomics) carry no instruction index: wasm does not say where.

import { formatInsn } from "../vm/asm/disassembler.js";
import { BpfRuntimeError } from "../vm/errors.js";
import type { Insn } from "../vm/isa/instruction.js";
import { MAX_CALL_FRAMES } from "../vm/isa/opcodes.js";

export const Fault = {
  NONE: 0,
  /** A bpf-to-bpf call would need a ninth frame (kernel MAX_CALL_FRAMES = 8). */
  CALL_DEPTH: 1,
  /** `callx` to an id that is not a helper of the machine's table. */
  UNKNOWN_HELPER: 2,
} as const;
export type Fault = (typeof Fault)[keyof typeof Fault];

export interface FaultState {
  readonly code: number;
  readonly insn: number;
  readonly arg: bigint;
}

/** The module byte offset of the innermost wasm frame of a trap (V8: "wasm-function[3]:0x1a2"). */
export function trapOffset(err: Error): number | undefined {
  const match = /wasm-function\[\d+\]:0x([0-9a-f]+)/.exec(err.stack ?? "");
  return match ? parseInt(match[1]!, 16) : undefined;
}

/** "insn 3 (ldxw %r0, [%r1+4])", as the interpreter names a slot. */
function slotName(insns: readonly Insn[], insn: number): string {
  try {
    return `insn ${insn} (${formatInsn(insns, insn)})`;
  } catch {
    return `insn ${insn}`;
  }
}

/**
 * The BpfRuntimeError for a trap: from the fault globals if the generated code set them, else
 * from V8's message, at the instruction the trap's code offset maps to when that is known.
 */
export function runtimeError(
  err: WebAssembly.RuntimeError,
  fault: FaultState,
  insns: readonly Insn[],
  insnAt: (offset: number) => number | undefined,
): BpfRuntimeError {
  switch (fault.code) {
    case Fault.CALL_DEPTH:
      return new BpfRuntimeError(`${slotName(insns, fault.insn)}: the call stack is too deep (at most ${MAX_CALL_FRAMES} frames)`, {
        insn: fault.insn,
      });
    case Fault.UNKNOWN_HELPER:
      return new BpfRuntimeError(`${slotName(insns, fault.insn)}: callx: no helper with id ${BigInt.asUintN(64, fault.arg)}`, {
        insn: fault.insn,
      });
  }
  const offset = trapOffset(err);
  const insn = offset === undefined ? undefined : insnAt(offset);
  const what = `${describeTrap(err.message)} (wasm trap in JIT code)`;
  return insn === undefined
    ? new BpfRuntimeError(what)
    : new BpfRuntimeError(`${slotName(insns, insn)}: ${what}`, { insn });
}

/** A JS exception out of a helper, named after the call instruction when the stack shows it. */
export function helperError(err: unknown, insns: readonly Insn[], insnAt: (offset: number) => number | undefined): BpfRuntimeError {
  const why = err instanceof Error ? err.message : String(err);
  const offset = err instanceof Error ? trapOffset(err) : undefined;
  const insn = offset === undefined ? undefined : insnAt(offset);
  return insn === undefined
    ? new BpfRuntimeError(`helper failed: ${why}`)
    : new BpfRuntimeError(`${slotName(insns, insn)}: helper failed: ${why}`, { insn });
}

function describeTrap(message: string): string {
  if (/out of bounds/i.test(message)) return "memory access out of bounds";
  if (/unaligned/i.test(message)) return "misaligned atomic access (atomics need natural alignment)";
  return message;
}
