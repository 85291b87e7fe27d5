// The spine every engine implements: load → (verify) → compile → run. The interpreter, the JIT
// and (later) the kernel engine all implement `Engine`, and one shared test suite runs against
// each (test/engines/*.test.ts), so "the JIT agrees with the interpreter" is a property of the
// code base, not of a test someone remembered to write.

import type { Insn } from "./isa/instruction.js";
import type { HelperTable } from "./helpers/registry.js";
import type { Layout } from "./memory/layout.js";

/** A program ready to run: its instruction slots (lddw = two slots) and a name for messages. */
export interface Program {
  readonly insns: readonly Insn[];
  readonly name?: string;
}

/** A range of the address space a run may touch: [start, end). */
export interface Region {
  readonly start: number;
  readonly end: number;
  readonly writable: boolean;
  /** What it is, for fault messages: "stack", "packet", "map 'flows' value"... */
  readonly name: string;
}

/** Where programs run: the one memory, its layout, and the helpers programs may call. */
export interface Machine {
  readonly memory: WebAssembly.Memory;
  readonly layout: Layout;
  readonly helpers: HelperTable;
}

export interface RunInput {
  /** r1..r5 at entry (missing ones are 0). r10 is set by the engine to the CPU's stack top. */
  readonly args?: readonly bigint[];
  /** The CPU (worker) the run is on: selects its stack, ctx and packet slot. Default 0. */
  readonly cpu?: number;
  /**
   * Memory the program may touch besides its own stack (input, packet, ctx, map values).
   * The interpreter checks every access against these; the JIT relies on the verifier.
   */
  readonly regions?: readonly Region[];
}

export interface LoadedProgram {
  /** Run once and return r0 as an unsigned 64-bit value. */
  run(input?: RunInput): bigint;
  /** Release what the engine holds (wasm instances, Binaryen modules). */
  dispose(): void;
}

export interface Engine {
  readonly name: string;
  load(program: Program, machine: Machine): Promise<LoadedProgram>;
}
