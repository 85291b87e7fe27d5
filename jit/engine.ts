// The JIT as an `Engine` (vm/engine.ts): compile the program once to a WebAssembly.Module,
// instantiate it against the machine (link.ts: memory, run state, helpers, maps runtime, program
// table), and run it through the module's `run` / `runBatch` exports. Runs see the same bytes as
// the interpreter (one memory).
//
// The compiled module is kept (`JitProgram.compiled.module`, with its ImportPlan) so workers can
// instantiate the same module against the shared memory without compiling again (modules.ts).

import type { BatchInput, Engine, LoadedProgram, Machine, Program, RunInput } from "../vm/engine.js";
import { BpfError } from "../vm/errors.js";
import type { Insn } from "../vm/isa/instruction.js";
import { WASM_PAGE } from "../vm/memory/layout.js";
import { loadBinaryen } from "./binaryen.js";
import { compile, sourceLookup, type Compiled, type JitOptions } from "./compile.js";
import { planOf, type ImportPlan } from "./imports.js";
import { JitLink, type ProgramInfo } from "./link.js";
import { isSharedMemory, jitTarget, programInsns } from "./target.js";

export { isSharedMemory } from "./target.js";

/** What the generated module exports (entry.ts). */
export interface JitExports {
  run(r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, fp: number, cpu: number): bigint;
  runBatch(desc: number, count: number, results: number, fp: number, ctx: number, dataOff: number, endOff: number, cpu: number): void;
  /** The entry function for tail calls (r1..r5, r10, r0, r6..r9) → r0: what the program table holds. */
  tail: (...regs: bigint[]) => bigint;
}

/** wasm returns i64 as a signed BigInt; engines return r0 unsigned. */
const u64 = (v: bigint): bigint => (v < 0n ? BigInt.asUintN(64, v) : v);
const NO_INPUT: RunInput = {};

export class JitEngine implements Engine {
  readonly name = "jit";

  constructor(readonly options: JitOptions = {}) {}

  async load(program: Program, machine: Machine): Promise<JitProgram> {
    const name = program.name ?? "program";
    // The same structural checks (and error messages) as every other engine, and map references
    // (lddw map_fd / map_value) resolved to the addresses the interpreter uses.
    const insns = programInsns(program, machine);
    const compiled = await compile(insns, jitTarget(machine), this.options, name);
    const jit = await JitProgram.instantiate(compiled, machine, name, program.insns, { options: this.options });
    // A program of the machine's table serves tail calls into it too: no second compile.
    const id = machine.programs?.idOf(program);
    if (id !== undefined) jit.link.place(id, jit.exports.tail);
    // Timer callbacks of this program run later through this engine (vm/runtime/timers.ts).
    machine.timers?.bind(program, this);
    return jit;
  }
}

/** What instantiate() needs of a compilation: the module; the plan and source map when known. */
export type CompiledModule = Pick<Compiled, "module"> & Partial<Pick<Compiled, "plan" | "insnAt" | "sourceMap" | "helpers">>;

export interface InstantiateOptions {
  /** The CPU run() uses when its input names none (a worker's own CPU). Default 0. */
  readonly cpu?: number;
  /** The options tail-call targets of this machine are compiled with (the first instance's win). */
  readonly options?: JitOptions;
}

/** A compiled program instantiated on one machine. */
export class JitProgram implements LoadedProgram {
  private disposed = false;
  private readonly stackTops: number[] = [];

  private constructor(
    /** The module, its import plan and the helper ids it imports as JS functions. */
    readonly compiled: CompiledModule & { readonly plan: ImportPlan; readonly helpers: readonly number[] },
    readonly link: JitLink,
    /** The instance's exports: `run` and `runBatch` raw (fp = the CPU's stack top), for workers and benchmarks. */
    readonly exports: JitExports,
    private readonly info: ProgramInfo,
    private readonly defaultCpu: number,
  ) {}

  get name(): string {
    return this.info.name;
  }

  /**
   * Instantiate `compiled` on `machine` (in this thread: a worker passes its attached machine).
   * `insns` are the program's instructions as loaded (for fault messages).
   */
  static async instantiate(
    compiled: CompiledModule,
    machine: Machine,
    name: string,
    insns: readonly Insn[],
    options: InstantiateOptions = {},
  ): Promise<JitProgram> {
    const jitOptions = options.options ?? {};
    // Tail-call targets compile synchronously while a run waits: have Binaryen ready if they need it.
    if ((jitOptions.opt ?? 0) > 0 || jitOptions.backend === "binaryen") await loadBinaryen();
    const link = JitLink.of(machine, jitOptions);
    const plan: ImportPlan =
      compiled.plan ?? planOf(compiled.module, name, { pages: machine.memory.buffer.byteLength / WASM_PAGE, shared: isSharedMemory(machine.memory) });
    const insnAt = compiled.insnAt ?? (compiled.sourceMap ? sourceLookup(compiled.sourceMap) : (): undefined => undefined);
    const info: ProgramInfo = { name, insns, insnAt };
    const instance = link.instantiate(compiled.module, plan, info);
    const cpu = options.cpu ?? 0;
    machine.layout.cpu(cpu); // a RangeError naming the CPUs the layout has
    return new JitProgram({ ...compiled, plan, helpers: plan.helpers }, link, instance.exports as unknown as JitExports, info, cpu);
  }

  run(input: RunInput = NO_INPUT): bigint {
    const cpu = input.cpu ?? this.defaultCpu;
    const fp = this.enter(cpu);
    const a = input.args ?? [];
    if (a.length > 5) throw new BpfError(`at most 5 arguments (r1..r5), got ${a.length}`);
    try {
      return u64(this.exports.run(a[0] ?? 0n, a[1] ?? 0n, a[2] ?? 0n, a[3] ?? 0n, a[4] ?? 0n, fp, cpu));
    } catch (err) {
      throw this.translate(err);
    }
  }

  runBatch(batch: BatchInput): void {
    const cpu = batch.cpu ?? this.defaultCpu;
    const fp = this.enter(cpu);
    const ctx = batch.ctx;
    try {
      this.exports.runBatch(batch.descAddr, batch.count, batch.resultsAddr, fp, ctx?.addr ?? 0, ctx?.dataOff ?? 0, ctx?.dataEndOff ?? 0, cpu);
    } catch (err) {
      throw this.translate(err);
    }
  }

  dispose(): void {
    this.disposed = true;
  }

  /** Select the CPU: its stack top is r10 of frame 0, and JS helpers see its id. */
  enter(cpu: number): number {
    if (this.disposed) throw new BpfError(`${this.info.name} was disposed`);
    this.link.helperContext.cpu = cpu;
    return (this.stackTops[cpu] ??= this.link.machine.layout.cpu(cpu).stackTop);
  }

  /** A trap or exception out of `run` / `runBatch` (or a raw export call) → a BpfError naming the instruction. */
  translate(err: unknown): Error {
    return this.link.translate(err, this.info);
  }
}
