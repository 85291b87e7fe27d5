// Plumbing for the JIT's runtime tests: machines with maps (vm/runtime), programs from assembly,
// and the same program run on the interpreter (the oracle) and the JIT, compared.

import { expect } from "vitest";
import { JitEngine, type JitProgram } from "../../jit/engine.js";
import type { JitOptions } from "../../jit/compile.js";
import { assemble } from "../../vm/asm/index.js";
import type { Engine, LoadedProgram, Program } from "../../vm/engine.js";
import { BpfError } from "../../vm/errors.js";
import { Interpreter } from "../../vm/interpreter/index.js";
import type { MapSpec } from "../../vm/maps/types.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { createNodeMachine, type NodeMachineOptions } from "../../vm/runtime/machine.node.js";
import { PacketRunner, type PacketInput, type RunnerOptions } from "../../vm/runtime/run.js";

export type EngineName = "interpreter" | "jit";
export const ENGINE_NAMES: readonly EngineName[] = ["interpreter", "jit"];

export const interp = new Interpreter({ maxInsns: 10_000_000 });
/** The JIT with Binaryen's validator on: every module the tests compile is checked too. */
export const jit = new JitEngine({ validate: true });
export const engine = (name: EngineName, options?: JitOptions): Engine => (name === "jit" ? (options ? new JitEngine({ validate: true, ...options }) : jit) : interp);

export function machine(type: ProgramTypeName, maps: readonly MapSpec[] = [], options: Partial<NodeMachineOptions> = {}): RuntimeMachine {
  return createNodeMachine({ type, maps, cpus: 2, packetMax: 2048, ...options });
}

export const program = (source: string, name = "test"): Program => ({ insns: assemble(source), name });

export async function load(name: EngineName, m: RuntimeMachine, source: string, options?: JitOptions): Promise<LoadedProgram> {
  return engine(name, options).load(program(source), m);
}

export async function runner(name: EngineName, m: RuntimeMachine, source: string, options: RunnerOptions = {}, jitOptions?: JitOptions): Promise<PacketRunner> {
  return new PacketRunner(m, await load(name, m, source, jitOptions), options);
}

/** A JIT-loaded program's import plan: which helpers went through JS, which runtime exports were imported. */
export const planOf = (p: LoadedProgram): JitProgram["compiled"]["plan"] => (p as JitProgram).compiled.plan!;

/** r0 as hex, or the BpfError message: what two engines must agree on. */
export function outcome(fn: () => bigint): string {
  try {
    return "0x" + fn().toString(16);
  } catch (err) {
    if (err instanceof BpfError) return "error: " + err.message;
    throw err;
  }
}

export const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);
export const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([BigInt.asUintN(64, n)]).buffer);
export const readU64 = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);

/** A 60-byte Ethernet/IPv4 frame. */
export function frame(length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
  for (let k = 14; k < length; k++) f[k] = k & 0xff;
  return f;
}

/** The bytes of the machine's maps arena: two machines that did the same things hold the same bytes. */
export const arena = (m: RuntimeMachine): Uint8Array =>
  new Uint8Array(m.memory.buffer, m.layout.mapsBase, m.layout.mapsSize).slice();

/** The first index where a and b differ, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k;
  return -1;
}

export interface Step {
  readonly source: string;
  readonly cpu?: number;
  readonly packet?: PacketInput;
}

/**
 * Run `steps` in order on two identical machines, one per engine, each step a program run once
 * on one packet; expect the same r0 (or fault) at every step and the same maps arena at the end.
 * Returns the outcomes and the JIT programs (for their import plans).
 */
export async function agree(
  type: ProgramTypeName,
  maps: readonly MapSpec[],
  steps: readonly Step[],
  setup: (m: RuntimeMachine) => void = () => {},
  jitOptions?: JitOptions,
): Promise<{ outcomes: string[]; jitPrograms: LoadedProgram[]; machines: Record<EngineName, RuntimeMachine> }> {
  const machines = { interpreter: machine(type, maps), jit: machine(type, maps) };
  setup(machines.interpreter);
  setup(machines.jit);
  const outcomes: string[] = [];
  const jitPrograms: LoadedProgram[] = [];
  for (const [k, step] of steps.entries()) {
    const got: string[] = [];
    for (const name of ENGINE_NAMES) {
      const m = machines[name];
      const r = await runner(name, m, step.source, { cpu: step.cpu ?? 0 }, jitOptions);
      if (name === "jit") jitPrograms.push(r.program);
      got.push(outcome(() => r.run(step.packet ?? frame()).retval));
    }
    expect(got[1], `step ${k}: ${step.source}`).toBe(got[0]);
    outcomes.push(got[0]!);
  }
  expect(firstDifference(arena(machines.jit), arena(machines.interpreter)), "first differing byte of the maps arena").toBe(-1);
  return { outcomes, jitPrograms, machines };
}
