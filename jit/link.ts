// A machine as the JIT's modules see it in one thread: everything the modules of one machine
// share, and the import objects that bind them to it.
//
//   - the run-state globals (lower/context.ts RUN_GLOBALS): the running CPU, the tail-call
//     count, the frame bound, the fault registers — one set, because a tail call continues in
//     another module that must see the same run;
//   - the program table (`env.programs`): program id → the `tail` export of its module, filled
//     on demand (`tail.ensure`, the first time a tail call reaches an id) or when the engine
//     loads a program of machine.programs;
//   - the helper context { memory, cpu } every JS helper import closes over;
//   - the module registry: module name (names.ts) → the program behind it, so a fault in any
//     module is reported with that program's instruction.
//
// One link per machine object, kept in a WeakMap: a worker attaches its own machine object to
// the shared memory (vm/runtime/machine.ts attachMachine) and so gets its own link, as wasm
// tables and globals cannot be shared between threads anyway.

import type { Machine } from "../vm/engine.js";
import { BpfError } from "../vm/errors.js";
import { TailCalls } from "../vm/helpers/tailcall.js";
import type { Insn } from "../vm/isa/instruction.js";
import { WASM_PAGE } from "../vm/memory/layout.js";
import { compileSync, type JitOptions } from "./compile.js";
import { faultAt, helperError, runtimeError, trapSite } from "./faults.js";
import type { ImportPlan } from "./imports.js";
import { FAULT_ARG_GLOBAL, FAULT_GLOBAL, FAULT_INSN_GLOBAL, helperArity, RUN_GLOBALS, TAIL_CALLS_GLOBAL } from "./lower/context.js";
import { isSharedMemory, jitTarget, programInsns } from "./target.js";

/** A program as its faults are reported: its name, instructions and the code → instruction map. */
export interface ProgramInfo {
  readonly name: string;
  readonly insns: readonly Insn[];
  readonly insnAt: (offset: number) => number | undefined;
}

type Func = (...args: never[]) => unknown;

/** wasm hands i64 to JS as signed BigInts; helpers (as in the interpreter) take them unsigned. */
const u64 = (v: bigint): bigint => (v < 0n ? BigInt.asUintN(64, v) : v);

type Call5 = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
/**
 * A helper import takes only the helper's declared arguments (lower/context.ts helperArity), and
 * the JS function bound to it has exactly that many parameters: V8 calls a JS import through its
 * fast wrapper only when the arities match (else a 0-argument call cost 3× the 5-argument one).
 * The registers past them are not read by the helper; it is given 0.
 */
const BY_ARITY: ReadonlyArray<(call: Call5) => Func> = [
  (call) => () => call(0n, 0n, 0n, 0n, 0n),
  (call) => (r1: bigint) => call(r1, 0n, 0n, 0n, 0n),
  (call) => (r1: bigint, r2: bigint) => call(r1, r2, 0n, 0n, 0n),
  (call) => (r1: bigint, r2: bigint, r3: bigint) => call(r1, r2, r3, 0n, 0n),
  (call) => (r1: bigint, r2: bigint, r3: bigint, r4: bigint) => call(r1, r2, r3, r4, 0n),
  (call) => call,
];

const links = new WeakMap<Machine, JitLink>();

export class JitLink {
  /** The link of `machine` in this thread (created with `options` the first time: tail-call targets compile with them). */
  static of(machine: Machine, options: JitOptions = {}): JitLink {
    let link = links.get(machine);
    if (!link) {
      link = new JitLink(machine, options);
      links.set(machine, link);
    }
    return link;
  }

  readonly globals: Readonly<Record<string, WebAssembly.Global>>;
  readonly helperContext: { readonly memory: WebAssembly.Memory; cpu: number };
  private programTable: WebAssembly.Table | undefined;
  private readonly modules = new Map<string, ProgramInfo>();
  private tailCalls: TailCalls | undefined;

  private constructor(
    readonly machine: Machine,
    readonly options: JitOptions,
  ) {
    const globals: Record<string, WebAssembly.Global> = {};
    for (const [name, type] of RUN_GLOBALS) globals[name] = new WebAssembly.Global({ value: type, mutable: true }, type === "i64" ? 0n : 0);
    this.globals = globals;
    this.helperContext = { memory: machine.memory, cpu: 0 };
  }

  /** The program table, created on first use (most machines never tail-call). */
  get table(): WebAssembly.Table {
    this.programTable ??= new WebAssembly.Table({ element: "anyfunc", initial: 1 });
    return this.programTable;
  }

  /** Instantiate a module of this machine (synchronously: also used while a program runs). */
  instantiate(module: WebAssembly.Module, plan: ImportPlan, info: ProgramInfo): WebAssembly.Instance {
    const imports = this.imports(plan, info);
    try {
      return new WebAssembly.Instance(module, imports);
    } catch (err) {
      throw new BpfError(`cannot instantiate the JIT module of ${info.name} on this machine: ${(err as Error).message}`);
    }
  }

  /** Put `tail` (a module's `tail` export) in the program table under `id`. */
  place(id: number, tail: Func): void {
    const table = this.table;
    if (id >= table.length) table.grow(id + 1 - table.length);
    table.set(id, tail as never);
  }

  /** The import object of a module (imports.ts) bound to this machine. */
  private imports(plan: ImportPlan, info: ProgramInfo): WebAssembly.Imports {
    this.checkMemory(plan, info);
    this.modules.set(plan.module, info);
    const imports: Record<string, Record<string, WebAssembly.ExportValue | Func>> = {
      env: { memory: this.machine.memory },
      run: { ...this.globals },
      helpers: this.helperImports(plan, info),
    };
    if (plan.mapExports.length > 0) {
      const runtime = this.machine.maps?.runtime.exports as unknown as Record<string, Func> | undefined;
      if (!runtime) throw new BpfError(`the JIT module of ${info.name} calls the maps runtime, but the machine has no maps`);
      // The runtime instance's exported functions themselves: calls stay wasm-to-wasm.
      imports.maps = Object.fromEntries(plan.mapExports.map((name) => [name, runtime[name]!]));
    }
    if (plan.tailCalls) {
      imports.env!.programs = this.table;
      imports.tail = {
        ensure: (id: number, insn: number) => this.ensure(id >>> 0, insn, info),
        lookup: (r2: bigint, r3: bigint, insn: number) => this.lookup(u64(r2), u64(r3), insn, info),
      };
    }
    return imports as WebAssembly.Imports;
  }

  private checkMemory(plan: ImportPlan, info: ProgramInfo): void {
    const memory = this.machine.memory;
    const shared = isSharedMemory(memory);
    const pages = memory.buffer.byteLength / WASM_PAGE;
    if (shared !== plan.memory.shared || pages < plan.memory.pages) {
      const want = `${plan.memory.shared ? "a shared" : "an unshared"} memory of at least ${plan.memory.pages} pages`;
      throw new BpfError(`the JIT module of ${info.name} was compiled for ${want}; this machine has ${shared ? "a shared" : "an unshared"} memory of ${pages} pages`);
    }
  }

  /** JS helpers with the interpreter's fault wording, at the call instruction of this module. */
  private helperImports(plan: ImportPlan, info: ProgramInfo): Record<string, Func> {
    const ctx = this.helperContext;
    const out: Record<string, Func> = {};
    for (const id of plan.helpers) {
      // A kfunc is imported as a helper is; their ids do not overlap (vm/helpers/kfunc/ids.ts).
      const def = this.machine.helpers.get(id) ?? this.machine.helpers.kfunc(id);
      if (!def) throw new BpfError(`the JIT module of ${info.name} calls helper ${id}, which this machine does not have`);
      const call = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint): bigint => {
        try {
          return def.impl(ctx, u64(r1), u64(r2), u64(r3), u64(r4), u64(r5));
        } catch (err) {
          throw helperError(err, info.insns, info.insnAt, def);
        }
      };
      out[String(id)] = BY_ARITY[helperArity(this.machine.helpers, id)]!(call);
    }
    return out;
  }

  /** tail.lookup: the shared lookup (TailCalls.target) with this run's count. */
  private lookup(r2: bigint, r3: bigint, insn: number, caller: ProgramInfo): number {
    const maps = this.machine.maps;
    if (!maps) throw faultAt(caller.insns, insn, "bpf_tail_call: the machine has no maps, so no prog array to jump through");
    this.tailCalls ??= new TailCalls(maps, this.machine.programs);
    try {
      return this.tailCalls.target(r2, r3, this.globals[TAIL_CALLS_GLOBAL]!.value as number);
    } catch (err) {
      throw faultAt(caller.insns, insn, (err as Error).message);
    }
  }

  /**
   * tail.ensure: compile program `id` of machine.programs (synchronously: the run is waiting)
   * and place its entry in the table. Faults as the interpreter's tail calls fault.
   */
  private ensure(id: number, insn: number, caller: ProgramInfo): void {
    const program = this.machine.programs?.get(id);
    if (!program) {
      throw faultAt(caller.insns, insn, `bpf_tail_call: a PROG_ARRAY slot holds program id ${id}, which is not in the machine's program table`);
    }
    const name = program.name ?? `program ${id}`;
    try {
      const insns = programInsns(program, this.machine);
      const compiled = compileSync(insns, jitTarget(this.machine), this.options, name);
      const instance = this.instantiate(compiled.module, compiled.plan, { name, insns: program.insns, insnAt: compiled.insnAt });
      this.place(id, instance.exports.tail as Func);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw faultAt(caller.insns, insn, `bpf_tail_call: target program ${program.name ? `'${program.name}' ` : ""}(id ${id}) cannot run: ${why}`);
    }
  }

  /**
   * A trap or exception out of a run → a BpfError naming the program and instruction where it
   * happened (any module of the machine: the trap's stack frame names the module).
   */
  translate(err: unknown, entry: ProgramInfo): Error {
    if (err instanceof BpfError) return err;
    const site = trapSite(err);
    const info = (site?.module !== undefined ? this.modules.get(site.module) : undefined) ?? entry;
    if (err instanceof WebAssembly.RuntimeError) {
      const g = this.globals;
      const fault = { code: g[FAULT_GLOBAL]!.value as number, insn: g[FAULT_INSN_GLOBAL]!.value as number, arg: g[FAULT_ARG_GLOBAL]!.value as bigint };
      g[FAULT_GLOBAL]!.value = 0;
      return runtimeError(err, fault, info.insns, info.insnAt);
    }
    return helperError(err, info.insns, info.insnAt);
  }
}
