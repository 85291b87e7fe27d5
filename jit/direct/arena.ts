// The direct builder's expression store (direct/module.ts). An expression is a node: a result
// type and a range of the arena — bytes of its encoding in stack-machine order (operands first),
// with *holes* where something is only known when the function is written: a child written
// elsewhere, a branch label (→ relative depth), a function, global or signature name (→ index),
// the opening or closing of a labelled scope, a run of templated instructions (recorded as
// template ids and fields: the writer fills them in).
//
// Why ranges: the lowering builds operands before the expression that uses them, mostly in the
// order they are written (`i64.add(local.get 1, i64.const 5)`). When a node's first operands are
// exactly the last bytes of the arena, in order, the node simply starts where they start — its
// encoding is then already in place and costs the writer one copy, not a walk over a tree. Only
// operands built out of order (an `if`'s arms before its condition), prefixes that must precede
// operands (`block`, `loop`, `if`) and tagged expressions (the source map needs to know where
// they start) become child holes.
//
// A node's range never changes once closed, so a node used twice is written twice, correctly.
//
// Thousands of nodes are built per program, most of them on a compile's first run through this
// code, before V8 has optimised it: the frequent shapes (a leaf with an immediate, a unary or
// binary operator, a memory access) are single methods that check capacity once and write their
// bytes in place.

import type { Expr, Type } from "../ir.js";
import type { TemplateId } from "../wasm/template.js";

// Hole references: a child node is -(id + 1); anything else is kind << 24 | id.
export const REF_LABEL = 1 << 24; // relative depth of a label
export const REF_OPEN = 2 << 24; // a labelled scope opens (id NO_LABEL: a scope without a label)
export const REF_CLOSE = 3 << 24;
export const REF_FUNC = 4 << 24; // function index
export const REF_GLOBAL = 5 << 24; // global index
export const REF_SIG = 6 << 24; // type index of a call_indirect signature
export const REF_MARK = 7 << 24; // no bytes: eBPF instruction id starts here (the source map)
export const REF_RUN = 8 << 24; // a run of template instances (its index)
export const ID_MASK = 0xffffff;
export const NO_LABEL = ID_MASK;

// A node is six int32s: byte range [B0, B1), hole range [H0, H1), result type, and the eBPF
// instruction it is tagged with (-1: none).
export const FIELDS = 6;
export const B0 = 0;
export const B1 = 1;
export const H0 = 2;
export const H1 = 3;
const TYPE = 4;
export const INSN = 5;

// A template instance is six int32s: template id, dst local, src local, imm, off, and the eBPF
// instruction whose code starts there (-1: none). A run is two: its first instance and the end.
export const INSTANCE_FIELDS = 6;

/** Bytes one node's fixed part may take: opcode, prefix, memarg (align + u32 offset), LEBs. */
const NODE_ROOM = 32;

/** Initial room per eBPF instruction (measured about 8.5 bytes, 2.1 holes, 4.6 nodes): growing costs copies. */
const PER_INSN = { bytes: 12, holes: 3, nodes: 6 };

export class ExprArena {
  bytes: Uint8Array<ArrayBuffer>;
  len = 0;
  holePos: Int32Array<ArrayBuffer>;
  holeRef: Int32Array<ArrayBuffer>;
  holes = 0;
  nodes: Int32Array<ArrayBuffer>;
  count = 0;
  inst: Int32Array<ArrayBuffer>;
  instances = 0;
  runs: Int32Array<ArrayBuffer>;
  runCount = 0;
  // Start of the node under construction.
  private b0 = 0;
  private h0 = 0;
  private runFirst = 0;

  /** `insns`: the program's size, to start with room for it. */
  constructor(insns = 0) {
    this.bytes = new Uint8Array(Math.max(1 << 12, insns * PER_INSN.bytes));
    this.holePos = new Int32Array(Math.max(1 << 10, insns * PER_INSN.holes));
    this.holeRef = new Int32Array(this.holePos.length);
    this.nodes = new Int32Array(FIELDS * Math.max(1 << 10, insns * PER_INSN.nodes));
    this.inst = new Int32Array(INSTANCE_FIELDS * Math.max(1 << 10, insns));
    this.runs = new Int32Array(Math.max(1 << 10, insns));
  }

  // ---- reading nodes ----

  typeOf(e: Expr): Type {
    return this.nodes[e * FIELDS + TYPE]!;
  }

  insnOf(e: Expr): number {
    return this.nodes[e * FIELDS + INSN]!;
  }

  tag(e: Expr, insn: number): void {
    this.nodes[e * FIELDS + INSN] = insn;
  }

  // ---- the frequent shapes, each in one piece ----

  /** `op imm` (unsigned LEB) with no operands: local.get. */
  leafU32(op: number, imm: number, type: Type): Expr {
    if (this.len + NODE_ROOM > this.bytes.length) this.growBytes(NODE_ROOM);
    const b0 = this.len;
    this.bytes[this.len++] = op;
    if (imm >>> 0 < 0x80) this.bytes[this.len++] = imm;
    else this.u32(imm);
    return this.node(b0, this.holes, type);
  }

  /** `op imm` (signed LEB of an int32) with no operands: i32.const, small i64.const. */
  leafS32(op: number, imm: number, type: Type): Expr {
    if (this.len + NODE_ROOM > this.bytes.length) this.growBytes(NODE_ROOM);
    const b0 = this.len;
    this.bytes[this.len++] = op;
    this.s32(imm);
    return this.node(b0, this.holes, type);
  }

  /** `a; op`: unary operators, drop. */
  unary(a: Expr, op: number, type: Type): Expr {
    this.open1(a);
    this.bytes[this.len++] = op;
    return this.close(type);
  }

  /** `a; op imm` (unsigned LEB): local.set, local.tee. */
  unaryU32(a: Expr, op: number, imm: number, type: Type): Expr {
    this.open1(a);
    this.bytes[this.len++] = op;
    if (imm >>> 0 < 0x80) this.bytes[this.len++] = imm;
    else this.u32(imm);
    return this.node(this.b0, this.h0, type);
  }

  /** `a; b; op`: binary operators and comparisons. */
  binary(a: Expr, b: Expr, op: number, type: Type): Expr {
    this.open2(a, b);
    this.bytes[this.len++] = op;
    return this.node(this.b0, this.h0, type);
  }

  /** `ptr; op align offset`: loads. */
  load(ptr: Expr, op: number, alignLog2: number, offset: number, type: Type): Expr {
    this.open1(ptr);
    this.bytes[this.len++] = op;
    this.bytes[this.len++] = alignLog2;
    this.u32(offset);
    return this.close(type);
  }

  /** `ptr; value; op align offset`: stores. */
  store(ptr: Expr, value: Expr, op: number, alignLog2: number, offset: number, type: Type): Expr {
    this.open2(ptr, value);
    this.bytes[this.len++] = op;
    this.bytes[this.len++] = alignLog2;
    this.u32(offset);
    return this.close(type);
  }

  /**
   * Templated instructions (../wasm/template.ts) in the node under construction: beginRun, an
   * instance per instruction, endRun. Only their template ids and fields are recorded here; the
   * writer fills them in (as/writer.ts), one mark before each instance of an instruction (insn >= 0).
   */
  beginRun(): void {
    this.runFirst = this.instances;
  }

  /**
   * Template `template` with its placeholders: dst and src are locals, imm and off the
   * instruction's fields (off: a label id for a branch template's Hole.LABEL).
   */
  instance(template: TemplateId, dst: number, src: number, imm: number, off: number, insn: number): void {
    const o = this.instances * INSTANCE_FIELDS;
    if (o + INSTANCE_FIELDS > this.inst.length) this.inst = grow32(this.inst, o + INSTANCE_FIELDS);
    const inst = this.inst;
    inst[o] = template;
    inst[o + 1] = dst;
    inst[o + 2] = src;
    inst[o + 3] = imm;
    inst[o + 4] = off;
    inst[o + 5] = insn;
    this.instances++;
  }

  endRun(): void {
    const o = this.runCount * 2;
    if (o + 2 > this.runs.length) this.runs = grow32(this.runs, o + 2);
    this.runs[o] = this.runFirst;
    this.runs[o + 1] = this.instances;
    this.ref(REF_RUN | this.runCount++);
  }

  // ---- any other node: open*, then bytes and holes, then close(type) ----

  /** A node with no operands. */
  open0(): void {
    if (this.len + NODE_ROOM > this.bytes.length) this.growBytes(NODE_ROOM);
    this.b0 = this.len;
    this.h0 = this.holes;
  }

  /** A node whose encoding starts with operand a. */
  open1(a: Expr): void {
    if (this.len + NODE_ROOM > this.bytes.length) this.growBytes(NODE_ROOM);
    const nodes = this.nodes;
    const o = a * FIELDS;
    if (nodes[o + B1] === this.len && nodes[o + H1] === this.holes && nodes[o + INSN]! < 0) {
      this.b0 = nodes[o + B0]!;
      this.h0 = nodes[o + H0]!;
    } else {
      this.b0 = this.len;
      this.h0 = this.holes;
      this.child(a);
    }
  }

  /** A node whose encoding starts with operands a, b. */
  open2(a: Expr, b: Expr): void {
    if (this.len + NODE_ROOM > this.bytes.length) this.growBytes(NODE_ROOM);
    const nodes = this.nodes;
    const oa = a * FIELDS;
    const ob = b * FIELDS;
    const bAtTail = nodes[ob + B1] === this.len && nodes[ob + H1] === this.holes && nodes[ob + INSN]! < 0;
    if (bAtTail && nodes[oa + B1] === nodes[ob + B0] && nodes[oa + H1] === nodes[ob + H0] && nodes[oa + INSN]! < 0) {
      this.b0 = nodes[oa + B0]!;
      this.h0 = nodes[oa + H0]!;
    } else if (this.atTail(a)) {
      this.b0 = nodes[oa + B0]!;
      this.h0 = nodes[oa + H0]!;
      this.child(b);
    } else {
      this.b0 = this.len;
      this.h0 = this.holes;
      this.child(a);
      this.child(b);
    }
  }

  /** A node whose encoding starts with `list` (then `extra`, when >= 0). */
  openN(list: readonly Expr[], extra = -1): void {
    if (this.len + NODE_ROOM > this.bytes.length) this.growBytes(NODE_ROOM);
    const n = list.length + (extra >= 0 ? 1 : 0);
    // The longest prefix of operands that lies, in order, at the end of the arena.
    let inlined = 0;
    for (let k = 0; k < n; k++) {
      const e = k < list.length ? list[k]! : extra;
      if (this.atTail(e)) {
        inlined = k + 1;
        break;
      }
      if (k + 1 >= n || !this.follows(e, k + 1 < list.length ? list[k + 1]! : extra)) break;
    }
    if (inlined > 0) {
      const o = (list.length > 0 ? list[0]! : extra) * FIELDS;
      this.b0 = this.nodes[o + B0]!;
      this.h0 = this.nodes[o + H0]!;
    } else {
      this.b0 = this.len;
      this.h0 = this.holes;
    }
    for (let k = inlined; k < n; k++) this.child(k < list.length ? list[k]! : extra);
  }

  close(type: Type): Expr {
    return this.node(this.b0, this.h0, type);
  }

  // ---- contents ----

  byte(v: number): void {
    this.bytes[this.len++] = v;
  }

  /** A hole: `ref` is resolved when the function is written. */
  ref(ref: number): void {
    if (this.holes === this.holePos.length) {
      this.holePos = grow32(this.holePos, this.holes + 1);
      this.holeRef = grow32(this.holeRef, this.holes + 1);
    }
    this.holePos[this.holes] = this.len;
    this.holeRef[this.holes++] = ref;
  }

  child(e: Expr): void {
    this.ref(-e - 1);
  }

  /** Unsigned LEB128 (WebAssembly core spec §5.2.2). */
  u32(v: number): void {
    const bytes = this.bytes;
    let x = v >>> 0;
    while (x >= 0x80) {
      bytes[this.len++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    bytes[this.len++] = x;
  }

  /** Signed LEB128 of an int32. */
  s32(v: number): void {
    const bytes = this.bytes;
    let x = v | 0;
    for (;;) {
      const byte = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (byte & 0x40) === 0) || (x === -1 && (byte & 0x40) !== 0)) {
        bytes[this.len++] = byte;
        return;
      }
      bytes[this.len++] = byte | 0x80;
    }
  }

  /** Signed LEB128 of an int64 given as a bigint (taken modulo 2^64). */
  s64(v: bigint): void {
    if (v >= -0x80000000n && v <= 0x7fffffffn) return this.s32(Number(v));
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const byte = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (byte & 0x40) === 0) || (x === -1n && (byte & 0x40) !== 0)) {
        this.bytes[this.len++] = byte;
        return;
      }
      this.bytes[this.len++] = byte | 0x80;
    }
  }

  /** Room for n more bytes (a node's variable part, e.g. a br_table's label count). */
  room(n: number): void {
    if (this.len + n > this.bytes.length) this.growBytes(n);
  }

  // ---- internals ----

  private node(b0: number, h0: number, type: Type): Expr {
    const o = this.count * FIELDS;
    if (o + FIELDS > this.nodes.length) this.nodes = grow32(this.nodes, o + FIELDS);
    const nodes = this.nodes;
    nodes[o + B0] = b0;
    nodes[o + B1] = this.len;
    nodes[o + H0] = h0;
    nodes[o + H1] = this.holes;
    nodes[o + TYPE] = type;
    nodes[o + INSN] = -1;
    return this.count++;
  }

  /** e's encoding is the end of the arena (and e is not tagged: tagged nodes stay holes). */
  private atTail(e: Expr): boolean {
    const o = e * FIELDS;
    const nodes = this.nodes;
    return nodes[o + B1] === this.len && nodes[o + H1] === this.holes && nodes[o + INSN]! < 0;
  }

  /** b's encoding starts where a's ends (and a is not tagged). */
  private follows(a: Expr, b: Expr): boolean {
    const oa = a * FIELDS;
    const ob = b * FIELDS;
    const nodes = this.nodes;
    return nodes[oa + B1] === nodes[ob + B0] && nodes[oa + H1] === nodes[ob + H0] && nodes[oa + INSN]! < 0;
  }

  private growBytes(n: number): void {
    let size = this.bytes.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.len));
    this.bytes = next;
  }
}

function grow32(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const next = new Int32Array(size);
  next.set(a);
  return next;
}
