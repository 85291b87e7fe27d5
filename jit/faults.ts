// Faults a JIT-compiled program stops on. The generated code stores a code, the instruction
// index and an argument in exported globals and executes `unreachable`; the engine catches the
// trap and turns it into a BpfRuntimeError that names the instruction. Traps V8 raises itself
// (out-of-bounds memory, misaligned atomics) carry no instruction index: wasm does not say where.

import { formatInsn } from "../vm/asm/disassembler.js";
import { BpfRuntimeError } from "../vm/errors.js";
import type { Insn } from "../vm/isa/instruction.js";
import { MAX_CALL_FRAMES, STACK_FRAMES } from "../vm/isa/opcodes.js";
import { isKfunc } from "../vm/helpers/kfunc/defs.js";

export const Fault = {
  NONE: 0,
  /** A bpf-to-bpf call would need a ninth frame (kernel MAX_CALL_FRAMES = 8). */
  CALL_DEPTH: 1,
  /** `callx` to an id that is not a helper of the machine's table. */
  UNKNOWN_HELPER: 2,
  /** bpf_loop's r2 is not the address of one of the program's callbacks (lower/loop.ts). */
  NOT_CALLBACK: 3,
  /** The run's loops used up its instruction budget (JitOptions.maxInsns); arg = the budget. */
  BUDGET: 4,
  /** A tail call whose target's MAX_CALL_FRAMES would not fit on the CPU's stack; arg = the frame. */
  TAIL_CALL_DEPTH: 5,
} as const;
export type Fault = (typeof Fault)[keyof typeof Fault];

export interface FaultState {
  readonly code: number;
  readonly insn: number;
  readonly arg: bigint;
}

/** Where a trap happened: a module byte offset, and the module's name when it has one. */
export interface TrapSite {
  /** The name in the module's name section (jit/names.ts): which program's module. */
  readonly module?: string;
  readonly offset: number;
}

/**
 * The innermost wasm frame of an error's stack. V8 writes a frame of a module with a name
 * section as "wasm://wasm/<name>-<hash>:wasm-function[3]:0x1a2", and without one as
 * "wasm://wasm/<hash>:wasm-function[3]:0x1a2".
 */
export function trapSite(err: unknown): TrapSite | undefined {
  const stack = err instanceof Error ? (err.stack ?? "") : "";
  const match = /wasm:\/\/wasm\/(?:([^\s:()]+)-)?[0-9a-f]+:wasm-function\[\d+\]:0x([0-9a-f]+)/.exec(stack);
  if (!match) return undefined;
  return match[1] === undefined ? { offset: parseInt(match[2]!, 16) } : { module: match[1], offset: parseInt(match[2]!, 16) };
}

/** The module byte offset of the innermost wasm frame of a trap (V8: "wasm-function[3]:0x1a2"). */
export function trapOffset(err: Error): number | undefined {
  return trapSite(err)?.offset;
}

/** "insn 3 (ldxw %r0, [%r1+4])", as the interpreter names a slot. */
export function slotName(insns: readonly Insn[], insn: number): string {
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
    case Fault.TAIL_CALL_DEPTH:
      return new BpfRuntimeError(
        `${slotName(insns, fault.insn)}: tail call in frame ${fault.arg}: no room for the target's ${MAX_CALL_FRAMES} frames (a CPU's stack holds ${STACK_FRAMES}: ${MAX_CALL_FRAMES} and one per tail call)`,
        { insn: fault.insn },
      );
    case Fault.UNKNOWN_HELPER:
      return new BpfRuntimeError(`${slotName(insns, fault.insn)}: callx: no helper with id ${BigInt.asUintN(64, fault.arg)}`, {
        insn: fault.insn,
      });
    case Fault.NOT_CALLBACK:
      return new BpfRuntimeError(
        `${slotName(insns, fault.insn)}: bpf_loop: R2 (0x${BigInt.asUintN(64, fault.arg).toString(16)}) is not the address of a callback of this program`,
        { insn: fault.insn },
      );
    case Fault.BUDGET:
      return new BpfRuntimeError(
        `${slotName(insns, fault.insn)}: instruction budget exhausted: this loop took the run past ${fault.arg} instructions ` +
          `(the JIT counts each loop iteration as its loop's length; a runaway loop?); raise maxInsns (--max-insns) to allow longer runs`,
        { insn: fault.insn },
      );
  }
  const offset = trapOffset(err);
  const insn = offset === undefined ? undefined : insnAt(offset);
  const what = `${describeTrap(err.message)} (wasm trap in JIT code)`;
  return insn === undefined
    ? new BpfRuntimeError(what)
    : new BpfRuntimeError(`${slotName(insns, insn)}: ${what}`, { insn });
}

/**
 * A JS exception out of a helper, worded as the interpreter words it ("helper NAME (#ID) failed:
 * why") and named after the call instruction when the stack shows it.
 */
export function helperError(
  err: unknown,
  insns: readonly Insn[],
  insnAt: (offset: number) => number | undefined,
  helper?: { readonly name: string; readonly id: number },
): BpfRuntimeError {
  const why = err instanceof Error ? err.message : String(err);
  const offset = trapSite(err)?.offset;
  const insn = offset === undefined ? undefined : insnAt(offset);
  const what = helper ? `${isKfunc(helper) ? "kfunc" : "helper"} ${helper.name} (#${helper.id}) failed: ${why}` : `helper failed: ${why}`;
  return insn === undefined ? new BpfRuntimeError(what) : new BpfRuntimeError(`${slotName(insns, insn)}: ${what}`, { insn });
}

/** A fault the JIT's JS imports raise at a known instruction (tail-call lookups). */
export function faultAt(insns: readonly Insn[], insn: number, why: string): BpfRuntimeError {
  return new BpfRuntimeError(`${slotName(insns, insn)}: ${why}`, { insn });
}

function describeTrap(message: string): string {
  if (/out of bounds/i.test(message)) return "memory access out of bounds";
  if (/unaligned/i.test(message)) return "misaligned atomic access (atomics need natural alignment)";
  return message;
}
