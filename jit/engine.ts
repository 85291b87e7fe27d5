// The JIT as an `Engine` (vm/engine.ts): compile the program once to a WebAssembly.Module,
// instantiate it against the machine's memory and helpers, and run it through the module's
// `run` / `runBatch` exports. Runs see the same bytes as the interpreter (one memory).
//
// The compiled module is kept (`JitProgram.compiled.module`) so workers can instantiate the same
// module against the shared memory without compiling again.

import type { BatchInput, Engine, LoadedProgram, Machine, Program, RunInput } from "../vm/engine.js";
import { BpfError, BpfRuntimeError } from "../vm/errors.js";
import type { HelperContext } from "../vm/helpers/registry.js";
import type { Insn } from "../vm/isa/instruction.js";
import { resolveLddw } from "../vm/program/lddw.js";
import { validate } from "../vm/program/validate.js";
import { compile, type Compiled, type JitOptions } from "./compile.js";
import { helperError, runtimeError } from "./faults.js";
import { FAULT_ARG_GLOBAL, FAULT_GLOBAL, FAULT_INSN_GLOBAL } from "./lower/context.js";

/** What the generated module exports (entry.ts). */
export interface JitExports {
  run(r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint, fp: number): bigint;
  runBatch(desc: number, count: number, results: number, fp: number, ctx: number, dataOff: number, endOff: number): void;
  [FAULT_GLOBAL]: WebAssembly.Global;
  [FAULT_INSN_GLOBAL]: WebAssembly.Global;
  [FAULT_ARG_GLOBAL]: WebAssembly.Global;
}

const WASM_PAGE = 65536;

/** wasm returns i64 as a signed BigInt; engines return r0 unsigned. */
const u64 = (v: bigint): bigint => (v < 0n ? BigInt.asUintN(64, v) : v);
const NO_INPUT: RunInput = {};

export const isSharedMemory = (memory: WebAssembly.Memory): boolean =>
  typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;

export class JitEngine implements Engine {
  readonly name = "jit";

  constructor(readonly options: JitOptions = {}) {}

  async load(program: Program, machine: Machine): Promise<JitProgram> {
    const target = {
      pages: machine.memory.buffer.byteLength / WASM_PAGE,
      shared: isSharedMemory(machine.memory),
      helpers: machine.helpers,
    };
    const name = program.name ?? "program";
    // The same structural checks (and error messages) as every other engine; the JIT's own
    // decode/CFG checks then only guard direct users of compile().
    validate(program.insns, { helpers: machine.helpers });
    // Map references (lddw map_fd / map_value) become the same addresses the interpreter uses.
    const insns = resolveLddw(program.insns, machine.maps?.describe());
    const compiled = await compile(insns, target, this.options, name);
    return JitProgram.instantiate(compiled, machine, name, program.insns);
  }
}

/** A compiled program instantiated on one machine. */
export class JitProgram implements LoadedProgram {
  private disposed = false;

  private constructor(
    readonly compiled: Compiled,
    private readonly machine: Machine,
    /** The instance's exports: `run` and `runBatch` raw (fp = the CPU's stack top), for workers and benchmarks. */
    readonly exports: JitExports,
    private readonly helperContext: { memory: WebAssembly.Memory; cpu: number },
    readonly name: string,
    private readonly insns: readonly Insn[],
  ) {}

  static async instantiate(compiled: Compiled, machine: Machine, name: string, insns: readonly Insn[]): Promise<JitProgram> {
    const helperContext = { memory: machine.memory, cpu: 0 };
    const ctx: HelperContext = helperContext;
    const helpers: Record<string, (...args: bigint[]) => bigint> = {};
    for (const id of compiled.helpers) {
      const def = machine.helpers.get(id)!;
      // wasm hands i64 to JS as signed BigInts; helpers (as in the interpreter) get them unsigned.
      helpers[String(id)] = (r1, r2, r3, r4, r5) => def.impl(ctx, u64(r1!), u64(r2!), u64(r3!), u64(r4!), u64(r5!));
    }
    let instance: WebAssembly.Instance;
    try {
      instance = await WebAssembly.instantiate(compiled.module, { env: { memory: machine.memory }, helpers });
    } catch (err) {
      throw new BpfError(`cannot instantiate the JIT module of ${name}: ${(err as Error).message}`);
    }
    return new JitProgram(compiled, machine, instance.exports as unknown as JitExports, helperContext, name, insns);
  }

  run(input: RunInput = NO_INPUT): bigint {
    const fp = this.enter(input.cpu ?? 0);
    const a = input.args ?? [];
    if (a.length > 5) throw new BpfError(`at most 5 arguments (r1..r5), got ${a.length}`);
    try {
      return u64(this.exports.run(a[0] ?? 0n, a[1] ?? 0n, a[2] ?? 0n, a[3] ?? 0n, a[4] ?? 0n, fp));
    } catch (err) {
      throw this.translate(err);
    }
  }

  runBatch(batch: BatchInput): void {
    const fp = this.enter(batch.cpu ?? 0);
    const ctx = batch.ctx;
    try {
      this.exports.runBatch(batch.descAddr, batch.count, batch.resultsAddr, fp, ctx?.addr ?? 0, ctx?.dataOff ?? 0, ctx?.dataEndOff ?? 0);
    } catch (err) {
      throw this.translate(err);
    }
  }

  dispose(): void {
    this.disposed = true;
  }

  private readonly stackTops: number[] = [];

  /** Select the CPU: its stack top is r10 of frame 0, and helpers see its id. */
  private enter(cpu: number): number {
    if (this.disposed) throw new BpfError(`${this.name} was disposed`);
    this.helperContext.cpu = cpu;
    return (this.stackTops[cpu] ??= this.machine.layout.cpu(cpu).stackTop);
  }

  private translate(err: unknown): Error {
    if (err instanceof BpfError) return err;
    if (err instanceof WebAssembly.RuntimeError) {
      const x = this.exports;
      const fault = { code: x[FAULT_GLOBAL].value as number, insn: x[FAULT_INSN_GLOBAL].value as number, arg: x[FAULT_ARG_GLOBAL].value as bigint };
      x[FAULT_GLOBAL].value = 0;
      return runtimeError(err, fault, this.insns, this.compiled.insnAt);
    }
    // A helper threw: its stack still holds the wasm frame of the call instruction.
    return helperError(err, this.insns, this.compiled.insnAt);
  }
}
