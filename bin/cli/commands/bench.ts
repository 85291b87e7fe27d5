// `ebpf-wasm bench`: the line-rate benchmark (bench/line-rate) on any combination of programs,
// packet corpora, engines and worker counts, printing the table and ratios and optionally writing
// the JSON rows (--json FILE) and the Markdown + SVG report (--report DIR).

import { DEFAULT_CORPORA } from "../../../bench/line-rate/corpora.js";
import { presetOptions, workerCounts, type Preset } from "../../../bench/line-rate/index.js";
import { ALL_PROGRAMS, DEFAULT_PROGRAMS } from "../../../bench/line-rate/programs.js";
import { runLineRate, type EngineName, type EngineRun } from "../../../bench/line-rate/suite.js";
import { machineInfo } from "../../../bench/report/machine.js";
import { formatTable } from "../../../bench/report/table.js";
import { lineRateJson, writeJson, writeReports } from "../../../bench/report/write.js";
import { positiveInt, stringOption, UsageError, type CommandSpec, type ParsedArgs } from "../args.js";
import type { Command } from "../command.js";
import { engineOptions, OPT_OPTION } from "../engine-options.js";

const ENGINES: readonly EngineName[] = ["interpreter", "jit", "kernel"];

const spec: CommandSpec = {
  name: "bench",
  summary: "Line-rate benchmark: Mpps, ns/packet, Gbit/s of programs × packet corpora × engines × workers",
  usage: "bench [--program P[,P...]] [--pcap FILE[,FILE...]] [--gen SPEC] [--corpus C[,C...]] [--engines E[,E...]] [--workers N[,N...]] [--json FILE] [--report DIR]",
  details: `Programs: corpus/programs names (${DEFAULT_PROGRAMS.join(", ")} by default; 'all' for every one), NAME:FUNCTION, or
a path to a clang-compiled .o (PATH.o or PATH.o:FUNCTION). Packets: --corpus picks built-in
corpora (flood64, imix, tcpdump); --pcap adds capture files, --gen a corpus/gen spec (e.g.
imix:20k:seed=2). Without any of them: ${DEFAULT_CORPORA.join(", ")}.
The interpreter and the JIT run on the per-CPU worker pool with each worker count of --workers;
the kernel (BPF_PROG_TEST_RUN, when bpf() is usable) runs a sample of each corpus on one CPU.
Each figure is the median over timed rounds after an explicit warm-up, with min and max.
Before timing, the JIT's r0 is checked against the interpreter's on every packet, and the
kernel's on its sample, which both replay in order from the program's initial maps (so
programs with state compare too).`,
  options: {
    program: { type: "string", valueName: "P,...", description: "programs to run" },
    corpus: { type: "string", valueName: "C,...", description: "built-in corpora: flood64, imix, tcpdump" },
    pcap: { type: "string", valueName: "FILE,...", description: "pcap/pcapng files, each one corpus" },
    gen: { type: "string", valueName: "SPEC", description: "a generated corpus (corpus/gen spec)" },
    engines: { type: "string", valueName: "E,...", default: "interpreter,jit,kernel", description: "engines: interpreter, jit, kernel" },
    workers: { type: "string", valueName: "N,...", description: `worker counts for the interpreter and the JIT (default: ${workerCounts().join(",")} for the JIT, 1 for the interpreter)` },
    preset: { type: "string", valueName: "NAME", default: "default", description: "timing preset: quick, default, long" },
    rounds: { type: "number", valueName: "R", description: "timed rounds per measurement (overrides the preset)" },
    "round-ms": { type: "number", valueName: "MS", description: "wall time of one timed round (overrides the preset)" },
    "warmup-ms": { type: "number", valueName: "MS", description: "least warm-up before timing, at most 5 times that (overrides the preset)" },
    "kernel-repeat": { type: "number", valueName: "N", description: "BPF_PROG_TEST_RUN repeat per packet" },
    "kernel-sample": { type: "number", valueName: "N", description: "packets of each corpus the kernel runs" },
    opt: OPT_OPTION,
    json: { type: "string", valueName: "FILE", description: "write the machine and one row per measurement as JSON" },
    report: { type: "string", valueName: "DIR", description: "write line-rate.json, line-rate.md and line-rate.svg into DIR" },
  },
  maxPositionals: 0,
};

const list = (text: string | undefined): string[] => (text ?? "").split(",").map((s) => s.trim()).filter(Boolean);

function engineRuns(args: ParsedArgs): EngineRun[] {
  const names = list(stringOption(args, "engines"));
  for (const n of names) if (!ENGINES.includes(n as EngineName)) throw new UsageError(`unknown engine '${n}' (engines: ${ENGINES.join(", ")})`);
  if (names.length === 0) throw new UsageError("--engines names no engine");
  const given = stringOption(args, "workers");
  const workers = given === undefined ? undefined : list(given).map((w) => {
    const n = Number(w);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--workers: '${w}' is not a worker count (1..256)`);
    return n;
  });
  return names.map((engine) => ({
    engine: engine as EngineName,
    workers: engine === "kernel" ? [1] : workers ?? (engine === "jit" ? workerCounts() : [1]),
  }));
}

function corpora(args: ParsedArgs): string[] {
  const named = list(stringOption(args, "corpus"));
  for (const c of named) if (!DEFAULT_CORPORA.includes(c)) throw new UsageError(`unknown corpus '${c}' (built-in: ${DEFAULT_CORPORA.join(", ")}; use --pcap or --gen for others)`);
  const gen = stringOption(args, "gen");
  const out = [...named, ...list(stringOption(args, "pcap")), ...(gen ? [`gen:${gen}`] : [])];
  return out.length > 0 ? out : DEFAULT_CORPORA;
}

function programs(args: ParsedArgs): string[] {
  const named = list(stringOption(args, "program"));
  if (named.includes("all")) return ALL_PROGRAMS;
  return named.length > 0 ? named : DEFAULT_PROGRAMS;
}

export const bench: Command = {
  spec,
  async run(args, io) {
    const preset = stringOption(args, "preset") as Preset;
    if (!["quick", "default", "long"].includes(preset)) throw new UsageError(`unknown preset '${preset}' (quick, default, long)`);
    const { opt } = engineOptions(args);
    const log = (line: string): void => io.stderr(`${line}\n`);
    const base = presetOptions(preset, log);
    const override = (name: string): number | undefined => (args.options[name] === undefined ? undefined : positiveInt(args, name));
    const rounds = override("rounds");
    const roundMs = override("round-ms");
    const warmupMs = override("warmup-ms");
    const timing = (t: typeof base.timing.jit): typeof base.timing.jit => ({
      roundMs: roundMs ?? t.roundMs,
      rounds: rounds ?? t.rounds,
      warmupMs: warmupMs ?? t.warmupMs,
      // A given warm-up also bounds the wait for stable rounds (at 5 times it).
      maxWarmupMs: warmupMs !== undefined ? warmupMs * 5 : t.maxWarmupMs,
    });
    const options = {
      ...base,
      programs: programs(args),
      corpora: corpora(args),
      engines: engineRuns(args),
      timing: { interpreter: timing(base.timing.interpreter), jit: timing(base.timing.jit) },
      kernel: { ...base.kernel, repeat: override("kernel-repeat") ?? base.kernel.repeat, sample: override("kernel-sample") ?? base.kernel.sample },
      jit: { opt },
    };
    const machine = machineInfo();
    const result = await runLineRate(options);
    io.stdout(`${formatTable(result, machine)}\n`);
    const doc = lineRateJson(result, machine, { preset, programs: options.programs, corpora: options.corpora, engines: options.engines, timing: options.timing, kernel: options.kernel, jit: options.jit });
    const json = stringOption(args, "json");
    if (json) {
      writeJson(json, doc);
      io.stderr(`wrote ${json}\n`);
    }
    const report = stringOption(args, "report");
    if (report) io.stderr(`wrote ${writeReports(report, doc).join(", ")}\n`);
    return result.rows.length > 0 ? 0 : 1;
  },
};
