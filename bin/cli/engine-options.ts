// Options every engine-taking command shares (`--opt` for the JIT), parsed in one place.

import type { EngineOptions } from "../../vm/engines.js";
import { UsageError, type OptionSpec, type ParsedArgs } from "./args.js";

export const OPT_OPTION: OptionSpec = {
  type: "number",
  valueName: "0-3",
  default: 0,
  description: "JIT optimisation level: 0 none (fastest compile), 1-3 Binaryen's passes",
};

export function engineOptions(args: ParsedArgs): Required<EngineOptions> {
  const opt = args.options["opt"] ?? 0;
  if (opt !== 0 && opt !== 1 && opt !== 2 && opt !== 3) throw new UsageError(`--opt takes 0, 1, 2 or 3, got '${String(opt)}'`);
  return { opt };
}
