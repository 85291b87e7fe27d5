// `ebpf-wasm run`: run one program as the conformance program type (r1 = pointer to a copy of
// the input memory, r2 = its length) N times on an engine, and report r0 and timing. This is
// how engines are compared on any program: `--json` prints r0 (hex), ns_per_run (the median of
// the rounds' means) and, for the interpreter, insns_per_run.
//
// With an object file as argument (`run PROG.o ...`) it runs one of the object's programs over
// packets instead: run-object.ts.

import { basename } from "node:path";
import { assemble } from "../../../vm/asm/assembler.js";
import { conformanceInput, conformanceMachine } from "../../../vm/conformance/run.js";
import { elfFunction, parseElf } from "../../../vm/elf/index.js";
import { engineNames, getEngine } from "../../../vm/engines.js";
import { decode, type Insn } from "../../../vm/isa/instruction.js";
import { positiveInt, stringOption, UsageError, type CommandSpec, type ParsedArgs } from "../args.js";
import type { Command } from "../command.js";
import { parseHexBytes } from "../hex.js";
import { readBytes, readText } from "../io.js";
import { joinMapOptions, OBJECT_OPTIONS, runObject } from "./run-object.js";
import { ENGINE_OPTIONS, engineOptions, UNVERIFIED_ACCESS_NOTE } from "../engine-options.js";

const spec: CommandSpec = {
  name: "run",
  summary: "Run a BPF object's program over packets, or a raw program N times (r0 and ns per run)",
  usage: `run PROG.o [--program NAME] [--pcap FILE | --gen SPEC] [--engine interpreter|jit|kernel] [--map NAME=FILE.json]
                 [--out FILE.pcap] [--json] [--per-packet] [--no-verify] [--timers-ms MS]
       ebpf-wasm run (--raw PROG.bin | --asm PROG.s | --elf PROG.o) [--mem FILE | --mem-hex HEX] [--engine NAME] [--repeat N] [--json]`,
  details: `With PROG.o: the program (xdp, tc/classifier, socket filter, cgroup_skb or lwt_in/out/xmit) is loaded with its maps,
global data and PROG_ARRAY slots, VERIFIED, and run once per packet; the report has the verdict
counts by name, the number of packets, every map's entries after the run ({key, value} hex
strings; per-CPU values as arrays, one per CPU) and the time spent in runs. --engine kernel runs
it in the Linux kernel (BPF_PROG_TEST_RUN) instead. --no-verify skips verification and says so.

With --raw/--asm/--elf: the program runs as the conformance program type: r1 = pointer to a copy
of the input memory, r2 = its length. It runs once for r0 (and, on the interpreter, the executed
instruction count), then --repeat times split into --rounds timed rounds; ns_per_run is the
median over rounds. The input is restored before each round, not before each run, so a program
that writes its input sees its own earlier writes within a round.

${UNVERIFIED_ACCESS_NOTE}`,
  options: {
    raw: { type: "string", valueName: "FILE", description: "raw bytecode: little-endian 8-byte instruction slots" },
    asm: { type: "string", valueName: "FILE", description: "assembly source (the conformance .data syntax)" },
    elf: { type: "string", valueName: "FILE", description: "ELF object: function 'main' (in .text or any code section)" },
    mem: { type: "string", valueName: "FILE", description: "input memory: the bytes of FILE" },
    "mem-hex": { type: "string", valueName: "HEX", description: "input memory as hex bytes" },
    engine: { type: "string", valueName: "NAME", default: "interpreter", description: `engine to run on (${engineNames().join(", ")})` },
    ...ENGINE_OPTIONS,
    repeat: { type: "number", valueName: "N", default: 1000, description: "timed runs" },
    rounds: { type: "number", valueName: "R", default: 10, description: "timed rounds the runs are split into (at most N)" },
    json: { type: "boolean", description: "print one JSON object instead of text" },
    ...OBJECT_OPTIONS,
  },
  maxPositionals: 1,
};

function readProgram(args: ParsedArgs): { insns: Insn[]; path: string } {
  const given = (["raw", "asm", "elf"] as const).filter((k) => stringOption(args, k) !== undefined);
  if (given.length !== 1) throw new UsageError(given.length === 0 ? "give the program with --raw, --asm or --elf" : `give only one of --${given.join(", --")}`);
  const kind = given[0]!;
  const path = stringOption(args, kind)!;
  if (kind === "asm") return { insns: assemble(readText(path, "assembly file")), path };
  const bytes = readBytes(path, kind === "raw" ? "bytecode file" : "ELF object");
  return { insns: kind === "raw" ? decode(bytes) : elfFunction(parseElf(bytes), null, "main"), path };
}

function readMemory(args: ParsedArgs): Uint8Array {
  const file = stringOption(args, "mem");
  const hex = stringOption(args, "mem-hex");
  if (file !== undefined && hex !== undefined) throw new UsageError("give only one of --mem, --mem-hex");
  if (file !== undefined) return readBytes(file, "memory file");
  return hex !== undefined ? parseHexBytes(hex, "--mem-hex") : new Uint8Array(0);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export const run: Command = {
  spec,
  normalize: joinMapOptions,
  async run(args, io) {
    const object = args.positionals[0];
    if (object !== undefined) {
      const conformanceOnly = ["raw", "asm", "elf", "mem", "mem-hex"].filter((k) => args.options[k] !== undefined);
      if (conformanceOnly.length > 0) throw new UsageError(`--${conformanceOnly[0]} is for raw programs; with an object file give --program, --pcap or --gen`);
      return runObject(object, args, io);
    }
    const objectOnly = Object.keys(OBJECT_OPTIONS).filter((k) => args.options[k] !== undefined);
    if (objectOnly.length > 0) throw new UsageError(`--${objectOnly[0]} needs an object file: ebpf-wasm run PROG.o --${objectOnly[0]} ...`);
    const repeat = positiveInt(args, "repeat");
    const rounds = Math.min(positiveInt(args, "rounds"), repeat);
    const { insns, path } = readProgram(args);
    const mem = readMemory(args);
    const engineName = stringOption(args, "engine")!;
    const engine = await getEngine(engineName, engineOptions(args));
    const machine = conformanceMachine();

    const t0 = performance.now();
    const loaded = await engine.load({ insns, name: basename(path) }, machine);
    const loadMs = performance.now() - t0;
    try {
      const r0 = loaded.run(conformanceInput(machine, mem));
      const executed = (loaded as { executed?: unknown }).executed;
      const insnsPerRun = typeof executed === "number" ? executed : undefined;
      const perRound: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const n = Math.floor(repeat / rounds) + (r < repeat % rounds ? 1 : 0);
        const input = conformanceInput(machine, mem);
        const start = process.hrtime.bigint();
        for (let i = 0; i < n; i++) loaded.run(input);
        perRound.push(Number(process.hrtime.bigint() - start) / n);
      }
      const nsPerRun = median(perRound);
      const report = {
        engine: engineName,
        program: path,
        slots: insns.length,
        repeat,
        rounds,
        r0: `0x${r0.toString(16)}`,
        ns_per_run: round3(nsPerRun),
        ...(insnsPerRun !== undefined ? { insns_per_run: insnsPerRun, ns_per_insn: round3(nsPerRun / insnsPerRun) } : {}),
        load_ms: round3(loadMs),
      };
      io.stdout(args.options.json === true ? `${JSON.stringify(report)}\n` : formatText(report));
    } finally {
      loaded.dispose();
    }
    return 0;
  },
};

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function formatText(r: Record<string, unknown>): string {
  const lines = [
    `r0           ${String(r.r0)}`,
    `engine       ${String(r.engine)} (load ${String(r.load_ms)} ms)`,
    `runs         ${String(r.repeat)} in ${String(r.rounds)} rounds`,
    `ns/run       ${String(r.ns_per_run)} (median of rounds)`,
  ];
  if (r.insns_per_run !== undefined) lines.push(`insns/run    ${String(r.insns_per_run)}`, `ns/insn      ${String(r.ns_per_insn)}`);
  return lines.join("\n") + "\n";
}
