// Engines by name, for the CLI (--engine E), the shared engine test suite and the benchmarks.
// Each entry is a factory so that heavy engines (the JIT loads Binaryen, ~74 MB) are only
// imported when asked for. One line per engine; the JIT and kernel entries are added by their
// owners.

import { BpfError } from "./errors.js";
import type { Engine } from "./engine.js";

/** Options an engine may take; the others ignore them. */
export interface EngineOptions {
  /** JIT optimisation level: 0 = none (the default), 1–3 = Binaryen's passes (docs/jit.md). */
  readonly opt?: 0 | 1 | 2 | 3;
  /** Instruction budget of a run (interpreter and JIT; default DEFAULT_MAX_INSNS, vm/engine.ts). */
  readonly maxInsns?: number;
}

export type EngineFactory = (options: EngineOptions) => Promise<Engine>;

const ENGINES: Record<string, EngineFactory> = {
  interpreter: async (o) => new (await import("./interpreter/engine.js")).Interpreter(defined({ maxInsns: o.maxInsns })),
  jit: async (o) => new (await import("../jit/engine.js")).JitEngine(defined({ opt: o.opt, maxInsns: o.maxInsns })),
  kernel: async () => (await importKernelEngine()).kernelEngine(),
};

/** `options` without its undefined fields (exactOptionalPropertyTypes). */
function defined<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/**
 * The kernel engine is Node-only (bpf() through a native helper process; it imports node:fs and
 * node:child_process). Its path is a variable with the bundlers' ignore comments so that
 * bundling this module for a browser does not follow it into Node built-ins (docs/browser.md);
 * where it cannot load, the error says why.
 */
const KERNEL_ENGINE_MODULE = "./node/kernel/engine.js";

async function importKernelEngine(): Promise<typeof import("./node/kernel/engine.js")> {
  try {
    return await import(/* @vite-ignore */ /* webpackIgnore: true */ KERNEL_ENGINE_MODULE);
  } catch (err) {
    throw new BpfError(`cannot load the kernel engine, which needs Node.js on Linux (bpf() through a native helper process): ${(err as Error).message}`);
  }
}

/** Names of all known engines, in registration order. */
export function engineNames(): string[] {
  return Object.keys(ENGINES);
}

/** The engine called `name`; a BpfError listing the known names if there is none. */
export async function getEngine(name: string, options: EngineOptions = {}): Promise<Engine> {
  const factory = Object.hasOwn(ENGINES, name) ? ENGINES[name] : undefined;
  if (!factory) throw new BpfError(`unknown engine '${name}' (known: ${engineNames().join(", ")})`);
  return factory(options);
}
