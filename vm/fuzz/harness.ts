// The differential harness: one fuzz case (program + input) run by several engines on one
// Machine, comparing what each leaves behind:
//
//   r0              all 64 bits (the kernel engine recovers them through its wrapper)
//   memory          the program's input memory and the dump area after it, where main's
//                   epilogue stored its registers r0..r8 and its written stack bytes (emit.ts):
//                   this is how the kernel's stack and registers become comparable
//   stack           the machine's whole stack area (all frames), for engines that run on the
//                   machine's stack (not the kernel: `stackVisible === false`)
//
// Before each engine runs, the stack area is zeroed and the input copied in, so every engine
// starts from identical bytes. A program the kernel verifier refuses is not a mismatch: it is
// counted (`refused`) and the kernel sits that case out.

import type { Engine, LoadedProgram, Machine, Region } from "../engine.js";
import { BpfError } from "../errors.js";
import { baseHelpers } from "../helpers/index.js";
import type { Insn } from "../isa/instruction.js";
import { Layout } from "../memory/layout.js";
import { DUMP_STACK, regionSize, type FuzzProgram } from "./ast.js";
import { emit } from "./emit.js";
import { generateInput, generateProgram, type FuzzInput, type GenerateOptions } from "./generate.js";
import { Random } from "./random.js";

export interface FuzzCase {
  /** The case's own seed: `makeCase(seed)` rebuilds it. */
  readonly seed: number;
  readonly program: FuzzProgram;
  readonly input: FuzzInput;
}

/** The seed of iteration `i` of a run seeded `seed` (distinct runs do not share cases). */
export function caseSeed(seed: number, i: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x2c1b3c6d);
  z = Math.imul(z ^ (z >>> 12), 0x297a2d39);
  return (z ^ (z >>> 15)) >>> 0;
}

export function makeCase(seed: number, options: GenerateOptions = {}): FuzzCase {
  const rng = new Random(seed);
  const program = generateProgram(rng, options);
  return { seed, program, input: generateInput(rng, program, regionSize(program)) };
}

export type Observed = "r0" | "memory" | "stack" | "error";

export interface EngineRun {
  readonly engine: string;
  /** The kernel verifier refused the program: not compared. */
  readonly refused?: string;
  /** Load or run failed (a BpfError message). */
  readonly error?: string;
  readonly r0?: bigint;
  readonly memory?: Uint8Array;
  readonly stack?: Uint8Array;
}

export interface Mismatch {
  readonly what: Observed | "all-faulted";
  readonly engines: readonly [string, string];
  readonly detail: string;
  /** The first differing byte (memory: offset in the region; stack: offset in the stack area). */
  readonly at?: number;
}

export interface Outcome {
  readonly runs: readonly EngineRun[];
  readonly mismatch?: Mismatch;
}

/** Whether an engine runs on the machine's stack (the kernel does not). */
const stackVisible = (engine: Engine): boolean => (engine as { stackVisible?: boolean }).stackVisible !== false;

/** A verifier refusal by the kernel engine (duck-typed: core code does not import vm/node). */
const refusal = (err: unknown): string | undefined =>
  err instanceof BpfError && (err as { verifierRefused?: boolean }).verifierRefused === true ? err.message : undefined;

const message = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

export function fuzzMachine(): Machine {
  const layout = new Layout({ cpus: 1, packetMax: 4096 });
  return { layout, memory: layout.createMemory(), helpers: baseHelpers() };
}

export class Harness {
  readonly machine: Machine;

  constructor(readonly engines: readonly Engine[], machine?: Machine) {
    if (engines.length < 2) throw new BpfError(`differential fuzzing needs at least two engines, got ${engines.length}`);
    this.machine = machine ?? fuzzMachine();
  }

  /** Emit and run a case on every engine, and compare. */
  async runCase(c: FuzzCase): Promise<Outcome> {
    return this.runInsns(emit(c.program).insns, c.input, `case ${c.seed}`);
  }

  async runInsns(insns: readonly Insn[], input: FuzzInput, name: string, engines = this.engines): Promise<Outcome> {
    const runs: EngineRun[] = [];
    for (const engine of engines) runs.push(await this.runOne(engine, insns, input, name));
    return { runs, mismatch: compare(engines, runs) };
  }

  private async runOne(engine: Engine, insns: readonly Insn[], input: FuzzInput, name: string): Promise<EngineRun> {
    const { memory, layout } = this.machine;
    const cpu = layout.cpu(0);
    const start = cpu.packetData;
    const region: Region = { start, end: start + input.memory.length, writable: true, name: "input" };
    let loaded: LoadedProgram;
    try {
      loaded = await engine.load({ insns, name }, this.machine);
    } catch (err) {
      const refused = refusal(err);
      return refused ? { engine: engine.name, refused } : { engine: engine.name, error: `load: ${message(err)}` };
    }
    try {
      new Uint8Array(memory.buffer, cpu.stackBase, cpu.stackTop - cpu.stackBase).fill(0);
      new Uint8Array(memory.buffer, start, input.memory.length).set(input.memory);
      const r0 = loaded.run({ args: [BigInt(start), ...input.args.slice(1)], regions: [region] });
      return {
        engine: engine.name,
        r0,
        memory: new Uint8Array(memory.buffer, start, input.memory.length).slice(),
        stack: new Uint8Array(memory.buffer, cpu.stackBase, cpu.stackTop - cpu.stackBase).slice(),
      };
    } catch (err) {
      return { engine: engine.name, error: `run: ${message(err)}` };
    } finally {
      loaded.dispose();
    }
  }
}

const hex64 = (v: bigint): string => "0x" + v.toString(16).padStart(16, "0");

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** What byte `at` of a fuzz region is: input memory, a dumped stack byte, or a dumped register. */
export function describeOffset(at: number, memLen: number): string {
  if (at < memLen) return `memory[${at}]`;
  if (at < memLen + DUMP_STACK) return `stack r10${at - memLen - DUMP_STACK} (dumped)`;
  const k = at - memLen - DUMP_STACK;
  return `register r${k >> 3} byte ${k & 7} (dumped)`;
}

function compare(engines: readonly Engine[], runs: readonly EngineRun[]): Mismatch | undefined {
  const active = runs.map((run, k) => ({ run, engine: engines[k]! })).filter((x) => !x.run.refused);
  if (active.length === 0) return undefined;
  if (active.every((x) => x.run.error)) {
    const [a, b] = [active[0]!, active[1] ?? active[0]!];
    return { what: "all-faulted", engines: [a.engine.name, b.engine.name], detail: a.run.error! };
  }
  const base = active[0]!;
  for (const other of active.slice(1)) {
    const pair = [base.engine.name, other.engine.name] as const;
    const a = base.run;
    const b = other.run;
    if (a.error || b.error) {
      if (a.error && b.error) continue;
      return { what: "error", engines: pair, detail: `${pair[0]}: ${a.error ?? "ok"} | ${pair[1]}: ${b.error ?? "ok"}` };
    }
    if (a.r0 !== b.r0) return { what: "r0", engines: pair, detail: `r0 ${hex64(a.r0!)} vs ${hex64(b.r0!)}` };
    const m = firstDiff(a.memory!, b.memory!);
    if (m >= 0) return { what: "memory", engines: pair, at: m, detail: `byte ${m}: 0x${a.memory![m]!.toString(16)} vs 0x${b.memory![m]!.toString(16)}` };
    if (stackVisible(base.engine) && stackVisible(other.engine)) {
      const s = firstDiff(a.stack!, b.stack!);
      if (s >= 0) {
        const fromTop = a.stack!.length - s;
        return { what: "stack", engines: pair, at: s, detail: `stack byte top-${fromTop} (frame ${Math.floor((fromTop - 1) / 512)}): 0x${a.stack![s]!.toString(16)} vs 0x${b.stack![s]!.toString(16)}` };
      }
    }
  }
  return undefined;
}
