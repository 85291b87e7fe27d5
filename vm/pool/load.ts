// A worker turning a ProgramRef into a SpanRunner on its CPU: the interpreter prepares the
// instructions itself; the JIT instantiates the module the main thread compiled (jit/modules.ts:
// no second compile — the WebAssembly.Module came by reference) against the shared memory and
// this worker's view of the machine (its helpers, maps runtime instance and run state).

import { decode } from "../isa/instruction.js";
import { BpfError } from "../errors.js";
import { Interpreter } from "../interpreter/engine.js";
import type { CpuRegion } from "../memory/layout.js";
import type { RuntimeMachine } from "../runtime/machine.js";
import { DriverSpanRunner, LoopSpanRunner, SkbDriverSpanRunner, type SpanRunner } from "./cpu-runner.js";
import type { ProgramRef } from "./protocol.js";

export async function loadRunner(ref: ProgramRef, machine: RuntimeMachine, cpu: CpuRegion): Promise<SpanRunner> {
  // Tail-call targets added to the machine after this worker attached to it.
  for (const [id, program] of ref.table) if (!machine.programs.has(id)) machine.programs.set(id, program);
  if (ref.engine === "interpreter") {
    const program = new Interpreter().loadSync({ insns: decode(ref.insns), name: ref.name }, machine);
    return new LoopSpanRunner(machine, cpu, program, ref.inPlace);
  }
  if (!ref.jit) throw new BpfError(`program '${ref.name}': a JIT program without its compiled module`);
  const { instantiate } = await import("../../jit/modules.js");
  const program = await instantiate(ref.jit, machine, cpu.cpu);
  // Timer callbacks it sets run here, later, compiled by this worker (vm/runtime/timers.ts).
  const { JitEngine } = await import("../../jit/engine.js");
  machine.timers.bind({ insns: decode(ref.insns), name: ref.name }, new JitEngine());
  // JS helpers read the CPU from the program's helper context: this instance only runs here.
  program.enter(cpu.cpu);
  const translate = (err: unknown): unknown => program.translate(err);
  if (machine.type.ctx?.name === "xdp_md") return new DriverSpanRunner(machine, cpu, program.exports.run, ref.inPlace, translate);
  const loop = new LoopSpanRunner(machine, cpu, program, ref.inPlace);
  // The precomputed contexts have no test-run socket (placements.ts): such a program runs in the loop.
  if (ref.readsSkbSocket) return loop;
  return new SkbDriverSpanRunner(cpu, machine.memory, program.exports.run, loop, machine, translate);
}
