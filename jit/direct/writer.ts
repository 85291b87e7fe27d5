// Writing expressions of the direct builder (arena.ts) into function bodies and global
// initialisers: copy each node's bytes and fill its holes — a child is written in place, a label
// becomes its relative depth, names become indices, a mark records where an instruction's code
// starts. The loop itself is wasm (as/writer.ts, embedded as writer-binary.ts): it runs once per
// hole, and a program's first compile runs it before V8 has optimised any JavaScript.
//
// ArenaWriter copies the arena into the writer's memory once per module (again if an expression
// needs more room), then writes any expression of it.

import type { Expr } from "../ir.js";
import {
  B0, B1, FIELDS, H0, H1, ID_MASK, INSN, INSTANCE_FIELDS, NO_LABEL, REF_CLOSE, REF_FUNC, REF_GLOBAL, REF_LABEL, REF_MARK, REF_OPEN, REF_RUN,
  REF_SIG, type ExprArena,
} from "./arena.js";
import type { ByteSink } from "./bytes.js";
import { OTHERS, type Labels } from "./labels.js";
import { WRITER_WASM } from "./writer-binary.js";
import { Hole, packedTemplates } from "../wasm/template.js";

/** Indices the names resolve to, by interned id. */
export interface Resolved {
  readonly funcs: Int32Array;
  readonly globals: Int32Array;
  readonly sigs: Int32Array;
  readonly labels: Labels;
}

/** Where tagged or marked code starts in a function body: (offset, instruction) pairs. */
export type Marks = Int32Array;

interface WriterExports {
  write(...args: number[]): number;
  templates(instances: number, runs: number, index: number, codes: number, bounds: number): void;
  marks(): number;
  failedLabelId(): number;
  readonly [constant: string]: unknown;
}

/** Memory below this is the writer module's own (its stack and globals). */
const BASE = 1 << 16;
const PAGE = 1 << 16;
const NO_ROOM = -2;
const BAD_LABEL = -1;
/** A writer memory larger than this is not kept for the next module. */
const KEEP_BYTES = 16 << 20;

/** The arena's layout and write()'s results, as the wasm writer was built with them: checked when it loads. */
const SHARED_CONSTANTS: Record<string, number> = {
  FIELDS, B0, B1, H0, H1, INSN, ID_MASK, NO_LABEL, REF_LABEL, REF_OPEN, REF_CLOSE, REF_FUNC, REF_GLOBAL, REF_SIG, REF_MARK, REF_RUN,
  OTHER_LABELS: OTHERS, NO_ROOM, BAD_LABEL, INSTANCE_FIELDS,
  HOLE_DST: Hole.DST, HOLE_SRC: Hole.SRC, HOLE_IMM: Hole.IMM, HOLE_OFF: Hole.OFF, HOLE_NEG_OFF: Hole.NEG_OFF, HOLE_LABEL: Hole.LABEL,
};

interface Writer {
  readonly exports: WriterExports;
  readonly memory: WebAssembly.Memory;
}

let compiled: WebAssembly.Module | undefined;
let kept: Writer | undefined;

/**
 * A writer instance whose memory has at least `bytes`. The module (1.4 KB) is compiled once per
 * thread. A larger memory is a new instance on a new memory, never memory.grow: growing a
 * non-shared memory detaches its ArrayBuffer, and V8 then gives up, for the whole process, the
 * assumption that no ArrayBuffer is ever detached — every typed-array access in optimised
 * JavaScript gets slower (the interpreter by 40–60%, measured).
 */
function writerWith(bytes: number): Writer {
  if (kept && kept.memory.buffer.byteLength >= bytes) return kept;
  const module = compiled ?? new WebAssembly.Module(WRITER_WASM);
  const writer = instantiate(module, Math.ceil(bytes / PAGE));
  if (!compiled) {
    for (const [name, value] of Object.entries(SHARED_CONSTANTS)) {
      const theirs = (writer.exports[name] as WebAssembly.Global).value;
      if (theirs !== value) throw new Error(`direct writer: its ${name} is ${theirs}, ours ${value} (rebuild: npm run build:as)`);
    }
    compiled = module;
  }
  kept = writer;
  return writer;
}

function instantiate(module: WebAssembly.Module, pages: number): Writer {
  const memory = new WebAssembly.Memory({ initial: pages });
  return { memory, exports: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WriterExports };
}

export class ArenaWriter {
  private w!: Writer;
  private readonly at: Record<
    "nodes" | "bytes" | "holePos" | "holeRef" | "instances" | "runs" | "index" | "codes" | "bounds" | "funcs" | "globals" | "sigs" | "depthOf" | "scopes" | "stack" | "out",
    number
  >;
  private outCap: number;
  private marksCap: number;
  private marksAt = 0;
  private readonly templates = packedTemplates();

  constructor(
    private readonly arena: ExprArena,
    private readonly names: Resolved,
  ) {
    const { count, holes, len, instances, runCount } = arena;
    const templates = this.templates;
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
      instances: take(instances * INSTANCE_FIELDS * 4),
      runs: take(runCount * 8),
      index: take(templates.index.length * 4),
      codes: take(templates.codes.length * 2),
      bounds: take(templates.bounds.length * 4),
      funcs: take(names.funcs.length * 4),
      globals: take(names.globals.length * 4),
      sigs: take(names.sigs.length * 4),
      depthOf: take(names.labels.slots * 4),
      scopes: take((holes + 1) * 8),
      stack: take((count + 1) * 16),
      out: top,
    };
    this.outCap = len + 5 * holes + instances * templates.longest + 64;
    this.marksCap = holes + instances + 1;
    this.load();
  }

  /** Write `root` to `out`; with `marks`, return where its tagged and marked code starts. */
  write(root: Expr, out: ByteSink): void;
  write(root: Expr, out: ByteSink, marks: true): Marks;
  write(root: Expr, out: ByteSink, marks = false): Marks | void {
    const { at, names } = this;
    for (;;) {
      const w = this.w.exports;
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
        this.load();
        continue;
      }
      const mem = this.w.memory.buffer;
      out.bytes(new Uint8Array(mem, at.out, length));
      if (!marks) return;
      return new Int32Array(mem, this.marksAt, 2 * w.marks()).slice();
    }
  }

  /** Let a memory taken for a large program go. */
  dispose(): void {
    if (this.w.memory.buffer.byteLength > KEEP_BYTES && kept === this.w) kept = undefined;
  }

  /** A writer with room for the arena, out and the marks after it, and the arena copied in. */
  private load(): void {
    const { arena, names, at } = this;
    const { count, holes, len } = arena;
    this.marksAt = (at.out + this.outCap + 7) & ~7;
    this.w = writerWith(this.marksAt + this.marksCap * 8);
    const mem = this.w.memory.buffer;
    new Int32Array(mem, at.nodes, count * FIELDS).set(arena.nodes.subarray(0, count * FIELDS));
    new Uint8Array(mem, at.bytes, len).set(arena.bytes.subarray(0, len));
    new Int32Array(mem, at.holePos, holes).set(arena.holePos.subarray(0, holes));
    new Int32Array(mem, at.holeRef, holes).set(arena.holeRef.subarray(0, holes));
    new Int32Array(mem, at.instances, arena.instances * INSTANCE_FIELDS).set(arena.inst.subarray(0, arena.instances * INSTANCE_FIELDS));
    new Int32Array(mem, at.runs, arena.runCount * 2).set(arena.runs.subarray(0, arena.runCount * 2));
    const templates = this.templates;
    new Int32Array(mem, at.index, templates.index.length).set(templates.index);
    new Int16Array(mem, at.codes, templates.codes.length).set(templates.codes);
    new Int32Array(mem, at.bounds, templates.bounds.length).set(templates.bounds);
    this.w.exports.templates(at.instances, at.runs, at.index, at.codes, at.bounds);
    new Int32Array(mem, at.funcs, names.funcs.length).set(names.funcs);
    new Int32Array(mem, at.globals, names.globals.length).set(names.globals);
    new Int32Array(mem, at.sigs, names.sigs.length).set(names.sigs);
  }
}
