// Every module the JIT emits carries a unique name in its name section (WebAssembly core spec,
// appendix "Name section", subsection 0 = module name). V8 prints it in stack frames
// ("wasm://wasm/<name>-<hash>:wasm-function[2]:0x8c"), so a trap or a helper exception raised
// while a tail call runs another program's module is traced to the right program and
// instruction (faults.ts trapSite, link.ts).
//
// Names are unique per process and thread: the program's name, a counter and a random suffix
// (a worker's link holds modules compiled in the main thread and ones it compiled itself).

import { ByteSink } from "./direct/bytes.js";

let counter = 0;

/** A fresh module name for a program: [A-Za-z0-9_.] only, so stack frames parse back. */
export function moduleName(program: string): string {
  const base = program.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 40) || "program";
  const random = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, "0");
  return `${base}.${++counter}.${random}`;
}

/**
 * `binary` with a name section naming the module appended. A custom section may follow the code
 * section, so code offsets (the source map of the direct builder) do not move.
 */
export function withModuleName(binary: Uint8Array, name: string): Uint8Array {
  const sub = new ByteSink();
  sub.name(name);
  const payload = new ByteSink();
  payload.name("name");
  payload.byte(0); // subsection: module name
  payload.sized(sub);
  const section = new ByteSink();
  section.byte(0); // custom section
  section.sized(payload);
  const out = new Uint8Array(binary.length + section.length);
  out.set(binary);
  out.set(section.view(), binary.length);
  return out;
}
