// A mismatch as a reproducer: a bpf_conformance `.data` file (vm/conformance/datafile.ts) that
// runs on its own — `-- asm` is the program with r3..r5 loaded from the memory at the top (the
// harness passes them as arguments; a conformance runner only sets r1 = memory and r2 = length,
// which is what the fuzz program expects), `-- mem` the input region, `-- result` the r0 of the
// reference (what most engines answer; the kernel on a tie) — with each engine's answer
// and the first differing byte, named, in `#` comments above.

import { disassemble } from "../asm/disassembler.js";
import { Cls, Mode, Size } from "../isa/opcodes.js";
import { insn, type Insn } from "../isa/instruction.js";
import { DUMP_STACK, type FuzzProgram } from "./ast.js";
import type { FuzzInput } from "./generate.js";
import { describeOffset, type EngineRun, type Mismatch } from "./harness.js";

const hex64 = (v: bigint): string => "0x" + BigInt.asUintN(64, v).toString(16).padStart(16, "0");

/**
 * Where the reproducer keeps r3..r5: the dump slots of r3..r5 (memLen + 512 + 24..48), which
 * the program only writes at exit. Loading them from memory rather than baking them in with
 * lddw keeps them unknown to a verifier, as they are when the harness passes them: the kernel
 * verifies the reproducer exactly as it verified the case.
 */
export const argsOffset = (memLen: number): number => memLen + DUMP_STACK + 3 * 8;

/** The program with r3..r5 loaded from the memory at `argsOffset` first. */
export function withArgLoads(insns: readonly Insn[], memLen: number): Insn[] {
  const at = argsOffset(memLen);
  const head = [3, 4, 5].map((r, k) => insn(Cls.LDX | Mode.MEM | Size.DW, r, 1, at + 8 * k));
  // Local calls are pc-relative and the head is prepended to everything: no offsets change.
  return [...head, ...insns];
}

/** The input memory with r3..r5 stored where withArgLoads() reads them. */
export function withArgValues(memory: Uint8Array, args: readonly bigint[], memLen: number): Uint8Array {
  const out = memory.slice();
  const view = new DataView(out.buffer);
  for (let r = 3; r <= 5; r++) view.setBigUint64(argsOffset(memLen) + 8 * (r - 3), BigInt.asUintN(64, args[r - 1] ?? 0n), true);
  return out;
}

function hexLines(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 32) {
    lines.push([...bytes.subarray(i, i + 32)].map((b) => b.toString(16).padStart(2, "0")).join(" "));
  }
  return lines.join("\n");
}

function describeRun(run: EngineRun, memLen: number, base: EngineRun | undefined): string {
  if (run.refused) return `${run.engine}: refused by the verifier: ${run.refused.split("\n")[0]}`;
  if (run.error) return `${run.engine}: ${run.error}`;
  let text = `${run.engine}: r0 = ${hex64(run.r0!)}`;
  if (base && base !== run && base.memory && run.memory) {
    const diffs: string[] = [];
    for (let i = 0; i < run.memory.length && diffs.length < 4; i++) {
      if (run.memory[i] !== base.memory[i]) diffs.push(`${describeOffset(i, memLen)} = 0x${run.memory[i]!.toString(16)} (${base.engine}: 0x${base.memory[i]!.toString(16)})`);
    }
    if (diffs.length) text += `; differs at ${diffs.join(", ")}`;
  }
  return text;
}

const sameResult = (a: EngineRun, b: EngineRun): boolean =>
  a.r0 === b.r0 && a.memory !== undefined && b.memory !== undefined && a.memory.every((v, i) => v === b.memory![i]);

/**
 * The run whose r0 goes into `-- result`: the answer most engines give; on a tie the kernel's
 * (the authority on semantics), else the first engine's. A majority beats the kernel because the
 * kernel's verifier can be wrong about what a program does (it prunes paths it thinks equivalent
 * and removes code it thinks dead).
 */
function referenceRun(runs: readonly EngineRun[]): EngineRun | undefined {
  const ok = runs.filter((x) => x.r0 !== undefined);
  const votes = (run: EngineRun): number => ok.filter((x) => sameResult(x, run)).length;
  const best = Math.max(0, ...ok.map(votes));
  const leaders = ok.filter((x) => votes(x) === best);
  return leaders.find((x) => x.engine === "kernel") ?? leaders[0];
}

/** The kernel disagrees and every other engine (at least two) agrees with each other. */
function kernelAlone(runs: readonly EngineRun[]): boolean {
  const kernel = runs.find((x) => x.engine === "kernel" && x.r0 !== undefined);
  const others = runs.filter((x) => x.engine !== "kernel" && x.r0 !== undefined);
  return !!kernel && others.length >= 2 && others.every((x) => sameResult(x, others[0]!)) && !sameResult(kernel, others[0]!);
}

export interface ReproducerInput {
  readonly seed: number;
  readonly program: FuzzProgram;
  readonly insns: readonly Insn[];
  readonly input: FuzzInput;
  /** The mismatch as the reproducer shows it. */
  readonly mismatch: Mismatch;
  /** The mismatch as found (differs when `resultFrom` turned a memory difference into r0). */
  readonly original?: Mismatch;
  readonly runs: readonly EngineRun[];
  /** The program returns the 8 bytes at this region offset as r0 (see emit.ts). */
  readonly resultFrom?: number;
  /** Statement counts before and after minimising, and the engine runs it took. */
  readonly shrunk?: { readonly from: number; readonly to: number; readonly tries: number };
}

export function reproducer(r: ReproducerInput): string {
  const reference = referenceRun(r.runs);
  const suspect = kernelAlone(r.runs);
  const found = r.original ?? r.mismatch;
  const lines = [
    `# differential fuzzing mismatch (${found.what}) between ${found.engines.join(" and ")}: ${found.detail}` +
      (found.what === "memory" && found.at !== undefined ? ` (${describeOffset(found.at, r.program.memLen)})` : ""),
    `# case seed ${r.seed}${r.shrunk ? `; minimised from ${r.shrunk.from} to ${r.shrunk.to} statements in ${r.shrunk.tries} runs` : ""}`,
    `# memory: ${r.program.memLen} bytes of input, then ${r.input.memory.length - r.program.memLen} bytes where the program dumps its stack and registers`,
    `# r1 = memory, r2 = ${r.input.memory.length} (its length); r3..r5 are loaded from memory offset ${argsOffset(r.program.memLen)} by the first three instructions`,
    ...(r.resultFrom === undefined ? [] : [`# so that r0 shows it, main ends by loading r0 from the 8 bytes at memory offset ${r.resultFrom}`]),
    ...r.runs.map((run) => `# ${describeRun(run, r.program.memLen, reference)}`),
    ...(suspect
      ? ["# every engine but the kernel agrees: suspect the kernel's verifier (its log at level 2, and", "# `bpftool prog dump xlated`, show whether it pruned a path and removed live code as dead)"]
      : []),
    "-- asm",
    disassemble(withArgLoads(r.insns, r.program.memLen), { labels: true }).trimEnd(),
    "-- mem",
    hexLines(withArgValues(r.input.memory, r.input.args, r.program.memLen)),
  ];
  if (reference?.r0 !== undefined) lines.push("-- result", hex64(reference.r0));
  return lines.join("\n") + "\n";
}
