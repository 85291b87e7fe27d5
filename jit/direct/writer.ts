// Writing expressions of the direct builder (arena.ts) into function bodies and global
// initialisers: copy each node's bytes and fill its holes — a child is written in place, a label
// becomes its relative depth, names become indices, a mark records where an instruction's code
// starts. The loop itself is wasm (as/writer.ts, embedded as writer-binary.ts): it runs once per
// hole, and a program's first compile runs it before V8 has optimised any JavaScript.
//
// ArenaWriter copies the arena into the writer's memory once per module, then writes any
// expression of it.

import type { Expr } from "../ir.js";
import { FIELDS, ID_MASK, NO_LABEL, REF_CLOSE, REF_FUNC, REF_GLOBAL, REF_LABEL, REF_MARK, REF_OPEN, REF_SIG, type ExprArena } from "./arena.js";
import type { ByteSink } from "./bytes.js";
import { OTHERS, type Labels } from "./labels.js";
import { WRITER_WASM } from "./writer-binary.js";

/** Indices the names resolve to, by interned id. */
export interface Resolved {
  readonly funcs: Int32Array;
  readonly globals: Int32Array;
  readonly sigs: Int32Array;
  readonly labels: Labels;
}

/** Where tagged or marked code starts in a function body: (offset, instruction) pairs. */
export interface Marks {
  readonly pairs: Int32Array;
  readonly length: number;
}

interface WriterExports {
  readonly memory: WebAssembly.Memory;
  write(...args: number[]): number;
  marks(): number;
  failedLabelId(): number;
  readonly [constant: string]: unknown;
}

/** The arena layout as the wasm writer was built with it: checked against ours when it loads. */
const LAYOUT: Record<string, number> = {
  FIELDS, ID_MASK, NO_LABEL, REF_LABEL, REF_OPEN, REF_CLOSE, REF_FUNC, REF_GLOBAL, REF_SIG, REF_MARK, OTHER_LABELS: OTHERS,
};

let instance: WriterExports | undefined;

/** The writer module: compiled once per thread (1.4 KB, well under a millisecond). */
function writer(): WriterExports {
  if (instance) return instance;
  const exports = new WebAssembly.Instance(new WebAssembly.Module(WRITER_WASM)).exports as unknown as WriterExports;
  for (const [name, value] of Object.entries(LAYOUT)) {
    const theirs = (exports[name] as WebAssembly.Global).value;
    if (theirs !== value) throw new Error(`direct writer: its ${name} is ${theirs}, the arena's ${value} (rebuild: npm run build:as)`);
  }
  instance = exports;
  return exports;
}

/** Memory below this is the writer module's own (its stack and globals). */
const BASE = 1 << 16;
const NO_ROOM = -2;
/** A writer memory larger than this is dropped after use. */
const KEEP_BYTES = 16 << 20;
const BAD_LABEL = -1;

export class ArenaWriter {
  private readonly w = writer();
  private readonly at: Record<"nodes" | "bytes" | "holePos" | "holeRef" | "funcs" | "globals" | "sigs" | "depthOf" | "scopes" | "stack" | "out", number>;
  private outCap: number;
  private marksCap: number;
  private marksAt = 0;

  constructor(
    private readonly arena: ExprArena,
    private readonly names: Resolved,
  ) {
    const { count, holes, len } = arena;
    let top = BASE;
    const take = (bytes: number): number => {
      const at = top;
      top += (bytes + 7) & ~7;
      return at;
    };
    this.at = {
      nodes: take(count * FIELDS * 4),
      bytes: take(len),
      holePos: take(holes * 4),
      holeRef: take(holes * 4),
      funcs: take(names.funcs.length * 4),
      globals: take(names.globals.length * 4),
      sigs: take(names.sigs.length * 4),
      depthOf: take(names.labels.slots * 4),
      scopes: take((holes + 1) * 8),
      stack: take((count + 1) * 16),
      out: top,
    };
    this.outCap = len + 5 * holes + 64;
    this.marksCap = holes + 1;
    this.reserve();
    const mem = this.w.memory.buffer;
    new Int32Array(mem, this.at.nodes, count * FIELDS).set(arena.nodes.subarray(0, count * FIELDS));
    new Uint8Array(mem, this.at.bytes, len).set(arena.bytes.subarray(0, len));
    new Int32Array(mem, this.at.holePos, holes).set(arena.holePos.subarray(0, holes));
    new Int32Array(mem, this.at.holeRef, holes).set(arena.holeRef.subarray(0, holes));
    new Int32Array(mem, this.at.funcs, names.funcs.length).set(names.funcs);
    new Int32Array(mem, this.at.globals, names.globals.length).set(names.globals);
    new Int32Array(mem, this.at.sigs, names.sigs.length).set(names.sigs);
  }

  /** Write `root` to `out`; with `marks`, return where its tagged and marked code starts. */
  write(root: Expr, out: ByteSink): void;
  write(root: Expr, out: ByteSink, marks: true): Marks;
  write(root: Expr, out: ByteSink, marks = false): Marks | void {
    const { at, w, names } = this;
    for (;;) {
      const length = w.write(
        root, at.nodes, at.bytes, at.holePos, at.holeRef, at.funcs, at.globals, at.sigs, at.depthOf,
        names.labels.slots, names.labels.arithmeticSlots, at.scopes, at.stack, at.out, at.out + this.outCap,
        marks ? this.marksAt : 0, this.marksCap,
      );
      if (length === BAD_LABEL) {
        throw new Error(`DirectModule: branch to '${names.labels.name(w.failedLabelId())}' outside its scope`);
      }
      if (length === NO_ROOM) {
        this.outCap *= 2;
        this.marksCap *= 2;
        this.reserve();
        continue;
      }
      const mem = w.memory.buffer;
      out.bytes(new Uint8Array(mem, at.out, length));
      if (!marks) return;
      const count = w.marks();
      return { pairs: new Int32Array(mem, this.marksAt, 2 * count).slice(), length: count };
    }
  }

  /** Let a memory grown for a large program go (wasm memories do not shrink). */
  dispose(): void {
    if (this.w.memory.buffer.byteLength > KEEP_BYTES && instance === this.w) instance = undefined;
  }

  /** Room for out and the marks after it. */
  private reserve(): void {
    this.marksAt = (this.at.out + this.outCap + 7) & ~7;
    const need = this.marksAt + this.marksCap * 8;
    const memory = this.w.memory;
    if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  }
}

