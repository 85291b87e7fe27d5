// Command-line parsing shared by every command: `--name value`, `--name=value`, boolean
// `--flag`, `-h`/`--help`, `--` to end options. Each command declares its options once (type,
// value name, description) and gets both parsing and its --help text from that declaration.

export type OptionType = "string" | "number" | "boolean";

export interface OptionSpec {
  readonly type: OptionType;
  readonly description: string;
  /** Shown in help: `--engine NAME`. */
  readonly valueName?: string;
  readonly default?: string | number | boolean;
}

export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Usage line(s) after `ebpf-wasm `, e.g. `conformance [DIR|FILE...] [options]`. */
  readonly usage: string;
  /** Paragraphs after the usage line. */
  readonly details?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Most positionals accepted (Infinity for lists). */
  readonly maxPositionals: number;
}

export type OptionValue = string | number | boolean | undefined;

export interface ParsedArgs {
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly positionals: readonly string[];
}

/** Bad usage: the message is shown with a pointer to --help, and the exit status is 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the user can fix (missing file, bad input): message only, exit status 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const wantsHelp = (argv: readonly string[]): boolean => {
  const end = argv.indexOf("--");
  const opts = end < 0 ? argv : argv.slice(0, end);
  return opts.includes("--help") || opts.includes("-h");
};

export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const options: Record<string, OptionValue> = {};
  for (const [name, opt] of Object.entries(spec.options)) options[name] = opt.default;
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("--") || arg === "-") {
      if (arg.startsWith("-") && arg !== "-" && !/^-\d/.test(arg)) throw new UsageError(`unknown option '${arg}'`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const opt = Object.hasOwn(spec.options, name) ? spec.options[name] : undefined;
    if (!opt) throw new UsageError(`unknown option '--${name}'`);
    if (opt.type === "boolean") {
      options[name] = eq < 0 ? true : parseBoolean(name, arg.slice(eq + 1));
      continue;
    }
    let text: string;
    if (eq >= 0) text = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`option '--${name}' needs a value (${opt.valueName ?? opt.type})`);
      text = next;
      i++;
    }
    options[name] = opt.type === "number" ? parseNumber(name, text) : text;
  }
  if (positionals.length > spec.maxPositionals) {
    throw new UsageError(
      spec.maxPositionals === 0
        ? `unexpected argument '${positionals[0]}'`
        : `too many arguments: ${positionals.length} (at most ${spec.maxPositionals})`,
    );
  }
  return { options, positionals };
}

function parseBoolean(name: string, text: string): boolean {
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  throw new UsageError(`option '--${name}' takes true or false, got '${text}'`);
}

function parseNumber(name: string, text: string): number {
  const value = Number(text.replace(/_/g, ""));
  if (text.trim() === "" || !Number.isFinite(value)) throw new UsageError(`option '--${name}' needs a number, got '${text}'`);
  return value;
}

/** A positive integer option (counts, sizes). */
export function positiveInt(args: ParsedArgs, name: string): number {
  const value = args.options[name];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`option '--${name}' needs a positive integer, got '${String(value)}'`);
  }
  return value;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options[name];
  return typeof value === "string" ? value : undefined;
}

/** The --help text of a command, generated from its spec. */
export function formatHelp(spec: CommandSpec): string {
  const lines = [`Usage: ebpf-wasm ${spec.usage}`, "", spec.summary];
  if (spec.details) lines.push("", spec.details.trim());
  const rows: Array<[string, string]> = Object.entries(spec.options).map(([name, opt]) => {
    const head = `--${name}${opt.type === "boolean" ? "" : ` ${opt.valueName ?? opt.type.toUpperCase()}`}`;
    const dflt = opt.default === undefined || opt.type === "boolean" ? "" : ` (default: ${String(opt.default)})`;
    return [head, opt.description + dflt];
  });
  rows.push(["--help", "show this help"]);
  const width = Math.max(...rows.map(([head]) => head.length)) + 2;
  lines.push("", "Options:", ...rows.map(([head, text]) => `  ${head.padEnd(width)}${text}`));
  return lines.join("\n") + "\n";
}
