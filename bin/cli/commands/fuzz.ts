// `ebpf-wasm fuzz`: differential fuzzing (vm/fuzz). Random valid programs from a seed run on
// every engine named; the first mismatch is minimised and printed as a reproducer (a
// bpf_conformance .data file: asm + input memory + the reference r0). Exit status 0 when no
// engine disagreed, 1 on a mismatch.

import { writeFileSync } from "node:fs";
import type { Engine } from "../../../vm/engine.js";
import { engineNames, getEngine } from "../../../vm/engines.js";
import {
  caseSeed, emit, expectedKeys, explain, fuzz, generateOptionsFor, Harness, makeCase, MAX_STMTS, tally, type FuzzReport, type FuzzStats,
} from "../../../vm/fuzz/index.js";
import { CliError, positiveInt, stringOption, UsageError, type CommandSpec, type ParsedArgs } from "../args.js";
import type { Command, Io } from "../command.js";

const spec: CommandSpec = {
  name: "fuzz",
  summary: "Differential fuzzing: random valid programs on several engines, compared",
  usage: "fuzz [--engines interpreter,jit[,kernel]] [--iterations N] [--seed S] [--keep-going] [--replay CASE] [--out FILE] [--json]",
  details: `Each program is a conformance program (r1 = memory, r2 = its length) made from the seed:
ALU/ALU32 with every operator and edge immediates, JMP/JMP32 with every condition, stack and
memory loads/stores of every size, atomics, byte swaps, sdiv/smod, movsx, ldsx, local calls and
bounded loops. Engines are compared on r0, the memory (including a dump of main's registers and
written stack bytes) and, where the engine runs on the machine's stack, the whole stack.
The kernel engine needs bpf() (root, build/bpf-runner); programs its verifier refuses are
counted, not compared. A mismatch is minimised and printed as a .data reproducer; '--replay
CASE' reruns the one case named in a reproducer ('case seed CASE').`,
  options: {
    engines: { type: "string", valueName: "LIST", default: "interpreter,jit", description: `comma-separated engines, at least two (${engineNames().join(", ")})` },
    iterations: { type: "number", valueName: "N", default: 1000, description: "programs to generate and run" },
    seed: { type: "number", valueName: "S", default: 1, description: "seed of the run (same seed, same programs)" },
    "max-stmts": { type: "number", valueName: "N", default: 40, description: "largest program, in statements of main" },
    "keep-going": { type: "boolean", description: "continue after a mismatch (report them all)" },
    "no-minimize": { type: "boolean", description: "print mismatches as found, without shrinking them" },
    replay: { type: "number", valueName: "CASE", description: "run only the case with this case seed" },
    out: { type: "string", valueName: "FILE", description: "also write the first reproducer to FILE" },
    coverage: { type: "boolean", description: "print how often each instruction was generated" },
    json: { type: "boolean", description: "print the statistics as one JSON object" },
  },
  maxPositionals: 0,
};

async function loadEngines(list: string): Promise<Engine[]> {
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length < 2) throw new UsageError(`--engines needs at least two engines to compare, got '${list}'`);
  if (new Set(names).size !== names.length) throw new UsageError(`--engines names an engine twice: '${list}'`);
  const engines: Engine[] = [];
  for (const name of names) {
    const engine = await getEngine(name); // unknown name: BpfError listing the known ones
    const status = (engine as { available?: () => { ok: boolean; reason: string } }).available?.();
    if (status && !status.ok) throw new CliError(`engine '${name}' is not available here: ${status.reason}`);
    engines.push(engine);
  }
  return engines;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

/** --max-stmts: a positive integer up to the generator's bound. */
function maxStmtsOption(args: ParsedArgs): number {
  const n = positiveInt(args, "max-stmts");
  if (n > MAX_STMTS) throw new UsageError(`option '--max-stmts' is at most ${MAX_STMTS} (programs of that many statements already run to tens of thousands of instructions), got ${n}`);
  return n;
}

function summary(stats: FuzzStats, engines: readonly Engine[]): string {
  const rate = stats.programs / Math.max(stats.elapsedMs / 1000, 1e-9);
  const refused = Object.entries(stats.refused).map(([e, n]) => `; ${e} verifier refused ${n}`).join("");
  const kernel = engines.some((e) => e.name === "kernel") && !stats.refused["kernel"] ? "; kernel verifier refused 0" : "";
  return `${stats.programs} programs (${stats.slots} instructions) in ${seconds(stats.elapsedMs)} s: ` +
    `${rate.toFixed(0)} programs/s; ${stats.mismatches} mismatch${stats.mismatches === 1 ? "" : "es"}${refused}${kernel}\n`;
}

function printReport(report: FuzzReport, engines: readonly Engine[], args: ParsedArgs, io: Io): void {
  for (const failure of report.failures) io.stdout(failure.reproducer + "\n");
  const out = stringOption(args, "out");
  if (out && report.failures[0]) {
    try {
      writeFileSync(out, report.failures[0].reproducer);
    } catch (err) {
      throw new CliError(`cannot write '${out}': ${(err as Error).message}`);
    }
  }
  if (args.options.json === true) {
    io.stdout(JSON.stringify({ ...report.stats, engines: engines.map((e) => e.name), firstRefusals: report.firstRefusals }) + "\n");
    return;
  }
  io.stdout(summary(report.stats, engines));
  for (const [engine, first] of Object.entries(report.firstRefusals)) {
    io.stdout(`first ${engine} refusal: case ${first.seed}: ${first.reason.split("\n")[0]}\n`);
  }
}

async function replay(engines: Engine[], seed: number, args: ParsedArgs, io: Io): Promise<number> {
  const harness = new Harness(engines);
  const c = makeCase(seed, generateOptionsFor(engines, { maxStmts: maxStmtsOption(args) }));
  const outcome = await harness.runCase(c);
  if (!outcome.mismatch) {
    for (const run of outcome.runs) {
      const what = run.refused ? `refused: ${run.refused}` : run.error ?? `r0 = 0x${run.r0!.toString(16)}`;
      io.stdout(`${run.engine}: ${what}\n`);
    }
    io.stdout(`case ${seed}: engines agree\n`);
    return 0;
  }
  io.stdout((await explain(harness, c, outcome, args.options["no-minimize"] !== true)).reproducer);
  return 1;
}

function printCoverage(args: ParsedArgs, io: Io): void {
  const counts = new Map<string, number>();
  const n = positiveInt(args, "iterations");
  const seed = Number(args.options.seed);
  for (let i = 0; i < n; i++) tally(emit(makeCase(caseSeed(seed, i), { maxStmts: maxStmtsOption(args) }).program).insns, counts);
  const keys = [...expectedKeys()].sort();
  const width = Math.max(...keys.map((k) => k.length)) + 2;
  for (const key of keys) io.stdout(`${key.padEnd(width)}${counts.get(key) ?? 0}\n`);
  const missing = keys.filter((k) => !counts.has(k));
  io.stdout(`${keys.length - missing.length} of ${keys.length} instructions generated in ${n} programs${missing.length ? ` (missing: ${missing.join(", ")})` : ""}\n`);
}

export const fuzzCommand: Command = {
  spec,
  async run(args, io) {
    const seed = args.options.seed;
    if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new UsageError(`option '--seed' needs an integer from 0 to 4294967295, got '${String(seed)}'`);
    }
    const iterations = positiveInt(args, "iterations");
    const maxStmts = maxStmtsOption(args);
    if (args.options.coverage === true) {
      printCoverage(args, io);
      return 0;
    }
    const engines = await loadEngines(stringOption(args, "engines")!);
    const replayed = args.options.replay;
    if (replayed !== undefined) {
      if (typeof replayed !== "number" || !Number.isSafeInteger(replayed) || replayed < 0 || replayed > 0xffffffff) {
        throw new UsageError(`option '--replay' needs a case seed from 0 to 4294967295, got '${String(replayed)}'`);
      }
      return replay(engines, replayed, args, io);
    }
    if (args.options.json !== true) io.stderr(`fuzz: ${engines.map((e) => e.name).join(" vs ")}, seed ${seed}, ${iterations} programs\n`);
    const progress = args.options.json !== true && process.stderr.isTTY;
    const report = await fuzz(engines, {
      iterations,
      seed,
      generate: { maxStmts },
      keepGoing: args.options["keep-going"] === true,
      minimize: args.options["no-minimize"] !== true,
      progressEvery: 1000,
      onProgress: progress ? (s) => io.stderr(`  ${s.programs} programs, ${s.mismatches} mismatches, ${seconds(s.elapsedMs)} s\n`) : undefined,
    });
    printReport(report, engines, args, io);
    return report.stats.mismatches === 0 ? 0 : 1;
  },
};
