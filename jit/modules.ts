// Compile once, instantiate anywhere (DESIGN.md "Workers"): the main thread compiles a program
// for a machine to a JitModule — the WebAssembly.Module plus plain data — and posts it to worker
// threads; each worker instantiates it against the same shared memory and its own view of the
// machine (vm/runtime/machine.ts attachMachine), for its CPU. No worker compiles again.
//
//   main:   const jm = await compileModule(program, machine)      // machine: shared memory
//           worker.postMessage({ jm, description: describeMachine(machine), memory, mapsModule })
//   worker: const machine = attachMachine(description, memory, mapsModule)
//           const prog = await instantiate(jm, machine, cpu)
//           prog.runBatch({ descAddr, count, resultsAddr, ctx: { addr, dataOff, dataEndOff } })
//
// Everything in a JitModule survives structured cloning (WebAssembly.Module is cloneable to
// workers in Node and browsers). The module imports the memory as shared with the layout's page
// count as its minimum and 65536 pages as its maximum, which the machine's memory satisfies.
// Tail-call targets are compiled by each thread's link on first use (link.ts).

import type { Machine, Program } from "../vm/engine.js";
import type { Insn } from "../vm/isa/instruction.js";
import { compile, type JitOptions, type SourceMap } from "./compile.js";
import { JitProgram } from "./engine.js";
import type { ImportPlan } from "./imports.js";
import { jitTarget, programInsns } from "./target.js";

/** A compiled program as plain, structured-clonable data. */
export interface JitModule {
  readonly module: WebAssembly.Module;
  /** What the module imports: a worker builds the import object from it. */
  readonly plan: ImportPlan;
  /** The program's name and instructions as loaded, for fault messages. */
  readonly name: string;
  readonly insns: readonly Insn[];
  /** Code offset → instruction (opt 0), so faults in a worker name the instruction too. */
  readonly sourceMap?: SourceMap;
  /** The options it was compiled with (tail-call targets in a worker compile with the same). */
  readonly options: JitOptions;
}

/** Check and compile `program` for `machine` (the creator's; shared memory for workers). */
export async function compileModule(program: Program, machine: Machine, options: JitOptions = {}): Promise<JitModule> {
  const name = program.name ?? "program";
  const compiled = await compile(programInsns(program, machine), jitTarget(machine), options, name);
  return {
    module: compiled.module,
    plan: compiled.plan,
    name,
    insns: program.insns.map((i) => ({ opcode: i.opcode, dst: i.dst, src: i.src, off: i.off, imm: i.imm })),
    ...(compiled.sourceMap ? { sourceMap: compiled.sourceMap } : {}),
    options,
  };
}

/**
 * Instantiate a JitModule on `machine` — in the thread that calls this (a worker passes its
 * attached machine) — for CPU `cpu`: runs without a CPU of their own use it.
 */
export function instantiate(jm: JitModule, machine: Machine, cpu = 0): Promise<JitProgram> {
  return JitProgram.instantiate(jm, machine, jm.name, jm.insns, { cpu, options: jm.options });
}
