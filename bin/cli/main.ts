// The `ebpf-wasm` command line: a table of commands, each in its own file under commands/ and
// imported only when used (so `plugin`, spawned once per conformance test, starts quickly).
// Errors in the user's input are one line on stderr and a non-zero exit, never a stack trace.

import { BpfError } from "../../vm/errors.js";
import { CliError, formatHelp, parseArgs, UsageError, wantsHelp } from "./args.js";
import type { Command, Io } from "./command.js";
import { processIo } from "./io.js";

type CommandLoader = () => Promise<Command>;

/** One entry per command. */
const COMMANDS: Record<string, CommandLoader> = {
  conformance: async () => (await import("./commands/conformance.js")).conformance,
  plugin: async () => (await import("./commands/plugin.js")).plugin,
  run: async () => (await import("./commands/run.js")).run,
  fuzz: async () => (await import("./commands/fuzz.js")).fuzzCommand,
  bench: async () => (await import("./commands/bench.js")).bench,
  disasm: async () => (await import("./commands/disasm.js")).disasm,
  maps: async () => (await import("./commands/maps.js")).maps,
  verify: async () => (await import("./commands/verify.js")).verifyCommand,
};

async function usage(): Promise<string> {
  const specs = await Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).spec));
  const width = Math.max(...specs.map((s) => s.name.length)) + 2;
  return [
    "Usage: ebpf-wasm COMMAND [options]",
    "",
    "Commands:",
    ...specs.map((s) => `  ${s.name.padEnd(width)}${s.summary}`),
    "",
    "Run 'ebpf-wasm COMMAND --help' for a command's options.",
    "",
  ].join("\n");
}

/** Run the CLI with `argv` (without node and the script); returns the exit status. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(await usage());
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.stderr(`ebpf-wasm: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(", ")})\n`);
    return 2;
  }
  const command = await load();
  const args = command.normalize ? command.normalize(rest) : rest;
  if (wantsHelp(args)) {
    io.stdout(formatHelp(command.spec));
    return 0;
  }
  try {
    return await command.run(parseArgs(args, command.spec), io);
  } catch (err) {
    return report(err, name, io);
  }
}

function report(err: unknown, name: string, io: Io): number {
  if (err instanceof UsageError) {
    io.stderr(`ebpf-wasm ${name}: ${err.message}\nRun 'ebpf-wasm ${name} --help' for usage.\n`);
    return 2;
  }
  if (err instanceof CliError) {
    io.stderr(`ebpf-wasm ${name}: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof BpfError) {
    io.stderr(`ebpf-wasm ${name}: ${err.message}\n`);
    return 1;
  }
  // Anything else is a bug in ebpf-wasm, not in the input: say so, stack only on request.
  const message = err instanceof Error ? err.message : String(err);
  io.stderr(`ebpf-wasm ${name}: internal error: ${message}\n`);
  if (process.env.EBPF_WASM_DEBUG && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
  else io.stderr("(set EBPF_WASM_DEBUG=1 to see the stack trace)\n");
  return 70;
}
