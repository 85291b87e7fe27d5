// What a CLI command is: a spec (options, help) and a run function. Output goes through `Io`
// so that commands do not write to the process directly and stay testable.

import type { CommandSpec, ParsedArgs } from "./args.js";

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of standard input as text. */
  readStdin(): Promise<string>;
}

export interface Command {
  readonly spec: CommandSpec;
  /** Rewrite argv before parsing, for callers with argument conventions of their own. */
  readonly normalize?: (argv: readonly string[]) => string[];
  /** Returns the exit status. Throws UsageError, CliError or BpfError for the user's mistakes. */
  run(args: ParsedArgs, io: Io): Promise<number>;
}
