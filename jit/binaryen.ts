// Lazy access to Binaryen. The package is ~74 MB of wasm+JS and takes 0.3–0.5 s to initialise
// (it has a top-level await inside), so it is imported dynamically the first time something
// compiles: loading the runtime, or running programs on the interpreter, never pays for it.
//
// Binaryen reports its own failures (an abort, a validation report) by printing to the console
// functions it captured when it was evaluated. A bug in our IR must surface as a BpfError
// carrying that text, not as noise on stderr (issue 3, "Bad input"), so the console functions are
// swapped for forwarders while the module evaluates; `quietly()` routes what Binaryen prints
// into a buffer. The global console is restored as soon as the import resolves.

import type binaryenNs from "binaryen";

export type Binaryen = typeof binaryenNs;
export type BinaryenModule = binaryenNs.Module;

/** What Binaryen printed while `quietly` ran (empty when it printed nothing). */
let captured: string[] | undefined;
let loading: Promise<Binaryen> | undefined;
let loaded: Binaryen | undefined;

/**
 * The features every module we emit uses. Atomics: eBPF atomic instructions on the (possibly
 * shared) memory. Bulk memory and bulk-memory-opt: Binaryen 118+ splits memory.copy/fill into
 * the latter and the optimiser emits them. Sign-ext: movsx, ldsx, sdiv. Mutable globals: the
 * imported run-state and fault globals. Reference types: the program table tail calls go
 * through (table.get / ref.is_null / table.size before call_indirect).
 */
export function features(bn: Binaryen): number {
  const F = bn.Features;
  return F.Atomics | F.BulkMemory | F.BulkMemoryOpt | F.SignExt | F.MutableGlobals | F.ReferenceTypes;
}

/** Binaryen, imported on first use (later calls share the one instance). */
export function loadBinaryen(): Promise<Binaryen> {
  loading ??= importQuietly().then((bn) => (loaded = bn));
  return loading;
}

/** Binaryen if an earlier loadBinaryen() finished: what synchronous compiles (tail-call targets) use. */
export function binaryenIfLoaded(): Binaryen | undefined {
  return loaded;
}

async function importQuietly(): Promise<Binaryen> {
  const original = { log: console.log, error: console.error, warn: console.warn };
  const forward =
    (to: (...args: unknown[]) => void) =>
    (...args: unknown[]): void => {
      if (captured) captured.push(args.map(String).join(" "));
      else to.apply(console, args);
    };
  console.log = forward(original.log);
  console.error = forward(original.error);
  console.warn = forward(original.warn);
  try {
    return (await import("binaryen")).default;
  } catch (err) {
    loading = undefined;
    throw err;
  } finally {
    console.log = original.log;
    console.error = original.error;
    console.warn = original.warn;
  }
}

/** Run `fn` with Binaryen's console output captured; returns its result and what it printed. */
export function quietly<T>(fn: () => T): { value?: T; error?: unknown; printed: string } {
  const outer = captured;
  captured = [];
  const mine = captured;
  try {
    return { value: fn(), printed: mine.join("\n") };
  } catch (error) {
    return { error, printed: mine.join("\n") };
  } finally {
    captured = outer;
  }
}
