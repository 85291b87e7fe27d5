// `ebpf-wasm disasm PROG.o`: the linked programs of an object in assembler syntax, with the
// source lines clang recorded in .BTF.ext (line_info) interleaved, function labels where each
// linked subprogram starts, and what each relocated instruction refers to (map, global data,
// callee). Programs that failed to link show their error.

import { formatInsn } from "../../../vm/asm/disassembler.js";
import { findProgram, type ObjectProgram } from "../../../vm/elf/load/index.js";
import type { LineInfo } from "../../../vm/btf/ext.js";
import { describe } from "../../../vm/isa/table.js";
import { stringOption, UsageError, type CommandSpec } from "../args.js";
import type { Command } from "../command.js";
import { readObject } from "../object-file.js";

const spec: CommandSpec = {
  name: "disasm",
  summary: "Disassemble the programs of a BPF object (.o), with source lines from .BTF.ext",
  usage: "disasm PROG.o [--program NAME] [--no-source]",
  details: `Each program is shown as it is loaded: the entry function, then the subprograms it calls
(bpf-to-bpf calls and callbacks), with instruction indices as the verifier counts them.
Map references show the map's name; source lines come from .BTF.ext line info when present.`,
  options: {
    program: { type: "string", valueName: "NAME", description: "only this program (function or section name)" },
    "no-source": { type: "boolean", description: "do not interleave source lines" },
  },
  maxPositionals: 1,
};

export const disasm: Command = {
  spec,
  async run(args, io) {
    const path = args.positionals[0];
    if (path === undefined) throw new UsageError("give the object file to disassemble");
    const obj = readObject(path);
    const name = stringOption(args, "program");
    const programs = name === undefined ? obj.programs : [findProgram(obj, name)];
    if (programs.length === 0) io.stdout(`${path}: no programs\n`);
    let failed = false;
    programs.forEach((p, k) => {
      if (k > 0) io.stdout("\n");
      io.stdout(formatProgram(p, args.options["no-source"] !== true));
      failed ||= p.error !== undefined;
    });
    return failed ? 1 : 0;
  },
};

function formatProgram(p: ObjectProgram, source: boolean): string {
  const type = p.type ?? (p.sectionType ? `${p.sectionType.kernel.toLowerCase()}, not run here` : "unknown type");
  const lines = [`${p.name}: section '${p.section}' (${type}), ${p.insns.length} slots`];
  if (p.error) return `${lines[0]}\n  cannot load: ${p.error.message}\n`;
  const starts = new Map(p.functions.map((f) => [f.at, f]));
  const notes = new Map(p.relocations.map((r) => [r.insn, r]));
  let lastLine: LineInfo | undefined;
  for (let i = 0; i < p.insns.length; i++) {
    const fn = starts.get(i);
    // Subprograms get a label (the entry function is the program, named in the header line).
    if (fn && i > 0) lines.push(`${fn.name}:${fn.section === p.section ? "" : `  ; from '${fn.section}'`}`);
    const line = source ? p.lines.get(i) : undefined;
    if (line && (line.line !== lastLine?.line || line.file !== lastLine?.file)) {
      lines.push(`  ; ${shortFile(line.file)}:${line.line}: ${line.source.trim()}`);
      lastLine = line;
    }
    const note = notes.get(i);
    const text = formatInsn(p.insns, i);
    // A kfunc call names its function itself (`call kfunc bpf_iter_num_new`).
    const comment = note && note.kind !== "kfunc"
      ? note.kind === "map" ? `map '${note.target}'`
        : note.kind === "map_value" ? `'${note.target}'+${note.offset}`
        : `${note.target}`
      : undefined;
    lines.push(`${String(i).padStart(6)}: ${text}${comment ? `  # ${comment}` : ""}`);
    if (describe(p.insns[i]!)?.kind === "lddw") i++;
  }
  return lines.join("\n") + "\n";
}

/** The file's base name: line info holds the absolute path clang compiled from. */
function shortFile(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1);
}
