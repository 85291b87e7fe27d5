// `ebpf-wasm plugin`: the bpf_conformance plugin protocol, so that the official runner
// (github.com/Alan-Jowett/bpf_conformance, src/bpf_conformance.cc) can drive any engine:
//
//   argv:   [MEMORY_HEX] [plugin options...] [--elf]
//           MEMORY_HEX is "xx  xx  ..." (absent when the test has no memory; older runners pass
//           it always, possibly empty, and pass the options as one argument "--engine jit")
//   stdin:  one line of hex bytes: the program (raw slots, or with --elf an ELF64 object whose
//           program is function `main` in `.text`, or in `xdp` when run with --xdp_prolog)
//   stdout: r0 in hex, exit status 0; on failure, the error on stderr and exit status 1.

import { decode, type Insn } from "../../../vm/isa/instruction.js";
import { engineNames, getEngine } from "../../../vm/engines.js";
import { conformanceInput, conformanceMachine, xdpInput } from "../../../vm/conformance/run.js";
import { elfFunction, parseElf } from "../../../vm/elf/index.js";
import { formatInsn } from "../../../vm/asm/disassembler.js";
import { baseHelpers } from "../../../vm/helpers/index.js";
import { programType } from "../../../vm/programs/index.js";
import { verify } from "../../../vm/verifier/index.js";
import { CliError, stringOption, type CommandSpec, type ParsedArgs } from "../args.js";
import type { Command, Io } from "../command.js";
import { formatHexBytes, parseHexBytes } from "../hex.js";
import { ENGINE_OPTIONS, engineOptions, UNVERIFIED_ACCESS_NOTE } from "../engine-options.js";

const spec: CommandSpec = {
  name: "plugin",
  summary: "Act as a bpf_conformance plugin (program as hex on stdin, r0 in hex on stdout)",
  usage: "plugin [MEMORY_HEX] [--engine NAME] [--elf] [--xdp] [--debug]",
  details: `Reads the program as hex bytes on stdin; MEMORY_HEX (optional) is the input memory as
hex bytes. The program runs with r1 = pointer to a copy of the memory and r2 = its length
(with --xdp, or an ELF program in section 'xdp': r1 = struct xdp_md over that memory).
Prints r0 in hex and exits 0; on failure prints the error on stderr and exits 1.
An ELF program (--elf) is VERIFIED first, as every object load path is (conformance type with
the memory's size, or xdp): the verifier refuses what the kernel's refuses (e.g. shift
immediates out of range, callx). --no-verify runs it unverified, for ISA conformance runs
(bpf_conformance_runner ... --elf true --plugin_options "--no-verify").
Use with: bpf_conformance_runner --plugin_path bin/bpf-conformance-plugin ...

${UNVERIFIED_ACCESS_NOTE}`,
  options: {
    engine: { type: "string", valueName: "NAME", default: "interpreter", description: `engine to run on (${engineNames().join(", ")})` },
    ...ENGINE_OPTIONS,
    elf: { type: "boolean", description: "stdin is a hex-encoded ELF64 relocatable object (function 'main')" },
    xdp: { type: "boolean", description: "run as XDP: r1 = struct xdp_md whose data/data_end frame the memory" },
    "no-verify": { type: "boolean", description: "with --elf: DO NOT VERIFY the program (ISA conformance experiments only)" },
    debug: { type: "boolean", description: "print the input and the program to stderr" },
  },
  maxPositionals: 1,
};

/**
 * Runners pass options in different shapes: an empty memory argument, or all plugin options as
 * one argument ("--engine jit"). Drop the empty ones and split option groups into words.
 */
export function normalizePluginArgv(argv: readonly string[]): string[] {
  return argv.flatMap((arg) => {
    const text = arg.trim();
    if (text === "") return [];
    return text.startsWith("-") && /\s/.test(text) ? text.split(/\s+/) : [arg];
  });
}

interface PluginProgram {
  readonly insns: Insn[];
  readonly xdp: boolean;
}

function loadProgram(bytes: Uint8Array, args: ParsedArgs): PluginProgram {
  if (args.options.elf !== true) return { insns: decode(bytes), xdp: args.options.xdp === true };
  const obj = parseElf(bytes);
  const xdpSection = obj.sectionsByName.get("xdp");
  const mainInXdp = xdpSection !== undefined && obj.symbols.some((s) => s.name === "main" && s.shndx === xdpSection.index);
  return { insns: elfFunction(obj, null, "main"), xdp: args.options.xdp === true || mainInXdp };
}

export const plugin: Command = {
  spec,
  normalize: normalizePluginArgv,
  async run(args, io) {
    const mem = args.positionals[0] === undefined ? new Uint8Array(0) : parseHexBytes(args.positionals[0], "memory argument");
    const stdin = await io.readStdin();
    const bytes = parseHexBytes(stdin, args.options.elf === true ? "ELF object on stdin" : "program on stdin");
    if (bytes.length === 0) throw new CliError("no program on stdin (expected hex bytes)");
    const program = loadProgram(bytes, args);
    if (args.options.debug === true) debugDump(io, mem, program);
    if (args.options.elf === true && args.options["no-verify"] !== true) verifyElfProgram(program, mem);

    const engine = await getEngine(stringOption(args, "engine")!, engineOptions(args));
    const machine = conformanceMachine();
    const loaded = await engine.load({ insns: program.insns, name: "plugin" }, machine);
    try {
      const input = program.xdp ? xdpInput(machine, mem) : conformanceInput(machine, mem);
      io.stdout(`${loaded.run(input).toString(16)}\n`);
    } finally {
      loaded.dispose();
    }
    return 0;
  },
};

/** The ELF load path verifies (issue: every load path verifies by default); raw bytecode is the
 * ISA-conformance path and runs as given. */
function verifyElfProgram(program: PluginProgram, mem: Uint8Array): void {
  const type = programType(program.xdp ? "xdp" : "conformance");
  const result = verify({ insns: program.insns, name: "main" }, { type, maps: [], helpers: baseHelpers(), memSize: mem.length });
  if (!result.accepted) throw new CliError(`the verifier rejected the program: ${result.message} (--no-verify runs it anyway)`);
}

function debugDump(io: Io, mem: Uint8Array, program: PluginProgram): void {
  io.stderr(`memory (${mem.length} bytes): ${formatHexBytes(mem)}\n`);
  io.stderr(`program (${program.insns.length} slots${program.xdp ? ", xdp" : ""}):\n`);
  program.insns.forEach((_, i) => io.stderr(`  ${String(i).padStart(4)}: ${formatInsn(program.insns, i)}\n`));
}
