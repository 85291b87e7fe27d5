// The fuzzing loop: N cases from one seed, each run by every engine (harness.ts); the first
// mismatch (or every one, with `keepGoing`) is minimised (minimize.ts) and turned into a
// reproducer (report.ts). Statistics say how much was tested and how fast.

import type { Engine } from "../engine.js";
import type { FuzzProgram } from "./ast.js";
import { emit } from "./emit.js";
import type { GenerateOptions } from "./generate.js";
import { caseSeed, Harness, makeCase, type FuzzCase, type Mismatch, type Outcome } from "./harness.js";
import { minimize } from "./minimize.js";
import { reproducer } from "./report.js";

export interface FuzzOptions {
  readonly iterations: number;
  readonly seed: number;
  readonly generate?: GenerateOptions;
  /** Go on after a mismatch (default: stop at the first). */
  readonly keepGoing?: boolean;
  /** Minimise mismatches before reporting them (default true). */
  readonly minimize?: boolean;
  /** Called every `progressEvery` cases (default 1000). */
  readonly onProgress?: (stats: FuzzStats) => void;
  readonly progressEvery?: number;
}

export interface FuzzStats {
  programs: number;
  /** Instruction slots run (summed over programs, counted once, not per engine). */
  slots: number;
  mismatches: number;
  /** Programs each engine's verifier refused (the kernel's): not mismatches. */
  refused: Record<string, number>;
  /** Cases where every engine faulted the same way (should be 0: programs are valid). */
  allFaulted: number;
  elapsedMs: number;
}

export interface Failure {
  readonly seed: number;
  readonly mismatch: Mismatch;
  /** The bpf_conformance-style reproducer (minimised unless disabled). */
  readonly reproducer: string;
}

export interface FuzzReport {
  readonly stats: FuzzStats;
  readonly failures: readonly Failure[];
  /** The first case each engine refused, to show what the kernel objects to. */
  readonly firstRefusals: Record<string, { seed: number; reason: string }>;
}

const statements = (p: FuzzProgram): number => {
  const count = (stmts: FuzzProgram["main"]): number =>
    stmts.reduce((n, s) => n + 1 + (s.k === "if" ? count(s.then) + count(s.otherwise) : s.k === "loop" ? count(s.body) : 0), 0);
  return count(p.main) + p.subs.reduce((n, s) => n + count(s.body), 0);
};

/** Minimise a failing case against the two engines that disagree, and write its reproducer. */
export async function explain(harness: Harness, c: FuzzCase, outcome: Outcome, shrink = true): Promise<Failure> {
  const mismatch = outcome.mismatch!;
  const pair = harness.engines.filter((e) => mismatch.engines.includes(e.name));
  const engines = pair.length >= 2 ? pair : harness.engines;
  let program = c.program;
  let shrunk: { from: number; to: number; tries: number } | undefined;
  if (shrink) {
    const still = async (candidate: FuzzProgram): Promise<boolean> => {
      // The minimiser never changes memLen, so the input fits every candidate.
      const o = await harness.runInsns(emit(candidate).insns, c.input, `case ${c.seed} (shrinking)`, engines);
      return o.mismatch?.what === mismatch.what;
    };
    const result = await minimize(program, still);
    program = result.program;
    shrunk = { from: statements(c.program), to: statements(program), tries: result.tries };
  }
  // A memory difference becomes an r0 difference in the reproducer (conformance files check r0).
  // Where the shrunk program differs may not be where the original did: ask again.
  const now = shrink ? (await harness.runInsns(emit(program).insns, c.input, `case ${c.seed}`)).mismatch ?? mismatch : mismatch;
  const resultFrom = now.what === "memory" && now.at !== undefined ? now.at & ~7 : undefined;
  const insns = emit(program, { resultFrom }).insns;
  const final = await harness.runInsns(insns, c.input, `case ${c.seed}`);
  const shown = final.mismatch ?? now;
  return {
    seed: c.seed,
    mismatch: now,
    reproducer: reproducer({ seed: c.seed, program, insns, input: c.input, mismatch: shown, original: now, runs: final.runs, shrunk, resultFrom }),
  };
}

/**
 * The generator options for a set of engines: atomics on the input memory only when the kernel
 * is not among them (it refuses them on packets, and refusals would hide what else it checks).
 */
export function generateOptionsFor(engines: readonly Engine[], base: GenerateOptions = {}): GenerateOptions {
  return { ...base, memoryAtomics: base.memoryAtomics ?? !engines.some((e) => e.name === "kernel") };
}

export async function fuzz(engines: readonly Engine[], options: FuzzOptions): Promise<FuzzReport> {
  const harness = new Harness(engines);
  const stats: FuzzStats = { programs: 0, slots: 0, mismatches: 0, refused: {}, allFaulted: 0, elapsedMs: 0 };
  const failures: Failure[] = [];
  const firstRefusals: Record<string, { seed: number; reason: string }> = {};
  const every = options.progressEvery ?? 1000;
  const generate = generateOptionsFor(engines, options.generate);
  const started = performance.now();
  for (let i = 0; i < options.iterations; i++) {
    const c = makeCase(caseSeed(options.seed, i), generate);
    const insns = emit(c.program).insns;
    const outcome = await harness.runInsns(insns, c.input, `case ${c.seed}`);
    stats.programs++;
    stats.slots += insns.length;
    for (const run of outcome.runs) {
      if (!run.refused) continue;
      stats.refused[run.engine] = (stats.refused[run.engine] ?? 0) + 1;
      firstRefusals[run.engine] ??= { seed: c.seed, reason: run.refused };
    }
    if (outcome.mismatch) {
      stats.mismatches++;
      if (outcome.mismatch.what === "all-faulted") stats.allFaulted++;
      failures.push(await explain(harness, c, outcome, options.minimize ?? true));
      if (!options.keepGoing) break;
    }
    if (options.onProgress && stats.programs % every === 0) {
      stats.elapsedMs = performance.now() - started;
      options.onProgress(stats);
    }
  }
  stats.elapsedMs = performance.now() - started;
  return { stats, failures, firstRefusals };
}
