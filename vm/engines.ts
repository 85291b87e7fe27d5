// Engines by name, for the CLI (--engine E), the shared engine test suite and the benchmarks.
// Each entry is a factory so that heavy engines (the JIT loads Binaryen, ~74 MB) are only
// imported when asked for. One line per engine; the JIT and kernel entries are added by their
// owners.

import { BpfError } from "./errors.js";
import type { Engine } from "./engine.js";

export type EngineFactory = () => Promise<Engine>;

const ENGINES: Record<string, EngineFactory> = {
  interpreter: async () => new (await import("./interpreter/engine.js")).Interpreter(),
  jit: async () => new (await import("../jit/engine.js")).JitEngine(),
  kernel: async () => (await import("./node/kernel/engine.js")).kernelEngine(),
};

/** Names of all known engines, in registration order. */
export function engineNames(): string[] {
  return Object.keys(ENGINES);
}

/** The engine called `name`; a BpfError listing the known names if there is none. */
export async function getEngine(name: string): Promise<Engine> {
  const factory = Object.hasOwn(ENGINES, name) ? ENGINES[name] : undefined;
  if (!factory) throw new BpfError(`unknown engine '${name}' (known: ${engineNames().join(", ")})`);
  return factory();
}
