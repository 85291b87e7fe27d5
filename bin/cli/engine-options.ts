// Options every engine-taking command shares (`--opt` for the JIT, `--max-insns` for the
// interpreter and the JIT), parsed in one place.

import { DEFAULT_MAX_INSNS } from "../../vm/engine.js";
import type { EngineOptions } from "../../vm/engines.js";
import { positiveInt, UsageError, type OptionSpec, type ParsedArgs } from "./args.js";

export const OPT_OPTION: OptionSpec = {
  type: "number",
  valueName: "0-3",
  default: 0,
  description: "JIT optimisation level: 0 none (fastest compile), 1-3 Binaryen's passes",
};

export const MAX_INSNS_OPTION: OptionSpec = {
  type: "number",
  valueName: "N",
  default: DEFAULT_MAX_INSNS,
  description: "instruction budget of a run: a run past it stops with an error (the JIT counts loop iterations × loop length)",
};

/**
 * What an unverified run's bad memory access does on each engine (docs/memory-model.md), for the
 * help of every command that runs programs without the verifier.
 */
export const UNVERIFIED_ACCESS_NOTE = `Unverified programs: the interpreter checks every load and store against the run's regions
(stack frames, input memory) and stops a bad one with an error naming the instruction; the JIT
does not check (proving bounds is the verifier's job, as in the kernel), so a bad access reads or
writes elsewhere in the machine's WebAssembly memory, never outside it. Run a suspect program on
the interpreter to find its bad access.`;

/** The options of a command that runs programs on any engine. */
export const ENGINE_OPTIONS = { opt: OPT_OPTION, "max-insns": MAX_INSNS_OPTION } as const;

export function engineOptions(args: ParsedArgs): Required<EngineOptions> {
  const opt = args.options["opt"] ?? 0;
  if (opt !== 0 && opt !== 1 && opt !== 2 && opt !== 3) throw new UsageError(`--opt takes 0, 1, 2 or 3, got '${String(opt)}'`);
  const maxInsns = args.options["max-insns"] === undefined ? DEFAULT_MAX_INSNS : positiveInt(args, "max-insns");
  return { opt, maxInsns };
}
