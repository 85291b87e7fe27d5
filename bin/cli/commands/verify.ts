// `ebpf-wasm verify PROG.o`: load an object and run the verifier (vm/verifier) on its programs
// with the object's maps, as BPF_PROG_LOAD would. Exit status: 0 when every selected program is
// accepted, 1 when one is rejected (or is of a type we do not run: reported as `unsupported`,
// never as accepted), 2 when the object or a selected program cannot be loaded.

import { BpfError } from "../../../vm/errors.js";
import { findProgram, verifyObjectProgram, type ProgramVerification } from "../../../vm/elf/load/index.js";
import { nodeHelperTables } from "../../../vm/elf/load/machine.node.js";
import { CliError, stringOption, UsageError, type CommandSpec, type ParsedArgs } from "../args.js";
import type { Command } from "../command.js";
import { readObject, TYPE_OPTION } from "../object-file.js";
import { withGlobalData } from "./run-object.js";

const spec: CommandSpec = {
  name: "verify",
  summary: "Verify the programs of a BPF object (.o) with its maps, as the kernel would at load",
  usage: "verify PROG.o [--program NAME] [--map NAME=FILE.json] [--log 1|2] [--json]",
  details: `Every program of the object (or the one named) is verified for its program type with the
object's maps in fd order. Programs of types that do not run here (kprobe, tracepoint, ...) are
reported as 'unsupported'. Exit status: 0 every selected program accepted, 1 one rejected or
unsupported, 2 the object (or a selected program) cannot be loaded.
--json prints one JSON object per program and line:
{name, section, type, status, accepted, insn, message, processed_insns, ms}.`,
  options: {
    program: { type: "string", valueName: "NAME", description: "verify only this program (function or section name)" },
    log: { type: "number", valueName: "LEVEL", description: "print the verifier log: 1 instructions and branch states, 2 state after every instruction" },
    json: { type: "boolean", description: "one JSON object per program" },
    map: {
      type: "string",
      valueName: "NAME=FILE.json",
      description: "global data (.rodata, .data, .bss) to verify with, [{\"key\": \"00000000\", \"value\": HEX}], as `run --map` sets it: a frozen .rodata's const volatile values are constants to the verifier (repeatable)",
    },
    type: TYPE_OPTION,
  },
  maxPositionals: 1,
};

function logLevel(args: ParsedArgs): 0 | 1 | 2 {
  const level = args.options.log;
  if (level === undefined) return 0;
  if (level !== 1 && level !== 2) throw new UsageError(`--log takes 1 or 2, got '${String(level)}'`);
  return level;
}

export const verifyCommand: Command = {
  spec,
  async run(args, io) {
    const path = args.positionals[0];
    if (path === undefined) throw new UsageError("give the object file to verify");
    const log = logLevel(args);
    const { obj, inits } = withGlobalData(readObject(path, 2, args), args);
    // Other maps' entries change nothing the verifier looks at.
    if (inits.length) throw new UsageError(`--map ${inits[0]!.map}: verify takes global data (.rodata, .data, .bss) only; a map's entries do not change verification`);
    const name = stringOption(args, "program");
    let selected = obj.programs;
    if (name !== undefined) {
      try {
        selected = [findProgram(obj, name)];
      } catch (err) {
        if (err instanceof BpfError) throw new CliError(`cannot load '${path}': ${err.message}`, 2);
        throw err;
      }
    }
    if (selected.length === 0) throw new CliError(`cannot load '${path}': the object has no programs`, 2);
    const helpers = nodeHelperTables();
    const results = selected.map((p) => verifyObjectProgram(obj, p, { helpers, log }));
    for (const v of results) io.stdout(args.options.json === true ? `${JSON.stringify(jsonOf(v, log))}\n` : textOf(v, log));
    return exitStatus(results);
  },
};

function exitStatus(results: readonly ProgramVerification[]): number {
  if (results.some((v) => v.status === "error")) return 2;
  return results.every((v) => v.status === "accepted") ? 0 : 1;
}

const ms = (v: ProgramVerification): number | null => (v.result ? Math.round(v.result.ms * 1000) / 1000 : null);

function jsonOf(v: ProgramVerification, log: number): Record<string, unknown> {
  const p = v.program;
  return {
    name: p.name,
    section: p.section,
    type: p.type ?? (p.sectionType ? p.sectionType.kernel.toLowerCase() : null),
    status: v.status,
    accepted: v.status === "accepted",
    insn: v.insn ?? null,
    message: v.message ?? null,
    processed_insns: v.result?.processedInsns ?? null,
    ms: ms(v),
    ...(log > 0 && v.result ? { log: v.result.log } : {}),
  };
}

function textOf(v: ProgramVerification, log: number): string {
  const p = v.program;
  const head = `${p.name} (section '${p.section}'${p.type ? `, ${p.type}` : ""})`;
  const lines: string[] = [];
  if (log > 0 && v.result) lines.push(`--- verifier log of ${p.name} ---`, v.result.log.trimEnd(), "---");
  switch (v.status) {
    case "accepted":
      lines.push(`ACCEPT ${head}: ${v.result!.processedInsns} insns processed, ${p.insns.length} slots, ${ms(v)} ms`);
      break;
    case "rejected":
      lines.push(`REJECT ${head}: ${v.message}`);
      break;
    case "unsupported":
      lines.push(`UNSUPPORTED ${head}: ${v.message}`);
      break;
    case "error":
      lines.push(`ERROR ${head}: cannot load: ${v.message}`);
      break;
  }
  return lines.join("\n") + "\n";
}
