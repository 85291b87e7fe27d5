// DirectModule: the IrModule (../ir.ts) that writes the wasm binary itself (WebAssembly core spec
// §5, threads proposal for the atomic opcodes) instead of building Binaryen IR.
//
// Each expression is a node: its result type and its encoding as a list of parts in stack-machine
// order (operands first). A part is a byte, a child node, or a reference resolved when the
// function is written: a branch label (→ relative depth), a function or global name (→ index),
// or the opening/closing of a labelled construct. Unnamed blocks are written inline — on a stack
// machine a sequence needs no wrapper — so only named blocks, loops and ifs become wasm blocks.
// Functions are written with an explicit stack, never recursion, so scopes nested tens of
// thousands deep cost nothing special.

import type { Expr, IrI32Ops, IrI64Ops, IrIntOps, IrModule, IrRmwOps, IrTypes, Type } from "../ir.js";
import { ByteSink } from "./bytes.js";

const T_NONE = 0x40;
const T_I32 = 0x7f;
const T_I64 = 0x7e;
const T_UNREACHABLE = -1;
const T_FUNCREF = 0x70;
const TUPLE_BASE = 0x1000;

// Parts are int32s in one arena: a byte (0..255), a child node (-(id + 1)), or a reference
// (kind << 24 | id) resolved when the function is written. Names are interned to ids.
const REF_LABEL = 1 << 24; // relative depth of a label
const REF_OPEN = 2 << 24; // a labelled scope opens (id 0xffffff: no label)
const REF_CLOSE = 3 << 24;
const REF_FUNC = 4 << 24; // function index
const REF_GLOBAL = 5 << 24; // global index
const REF_SIG = 6 << 24; // type index of a call_indirect signature
const ID_MASK = 0xffffff;
const NO_LABEL = ID_MASK;

interface Func {
  readonly name: string;
  readonly params: Type;
  readonly results: Type;
  readonly vars: readonly Type[];
  readonly body: Expr;
}
interface FuncImport {
  readonly name: string;
  readonly module: string;
  readonly base: string;
  readonly params: Type;
  readonly results: Type;
}
interface Global {
  readonly name: string;
  readonly type: Type;
  readonly mutable: boolean;
  readonly init: Expr;
}
interface GlobalImport {
  readonly name: string;
  readonly module: string;
  readonly base: string;
  readonly type: Type;
  readonly mutable: boolean;
}

const ARITH_I32 = { add: 0x6a, sub: 0x6b, mul: 0x6c, div_s: 0x6d, div_u: 0x6e, rem_s: 0x6f, rem_u: 0x70, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shr_s: 0x75, shr_u: 0x76, rotl: 0x77, rotr: 0x78 };
const ARITH_I64 = { add: 0x7c, sub: 0x7d, mul: 0x7e, div_s: 0x7f, div_u: 0x80, rem_s: 0x81, rem_u: 0x82, and: 0x83, or: 0x84, xor: 0x85, shl: 0x86, shr_s: 0x87, shr_u: 0x88, rotl: 0x89, rotr: 0x8a };
const CMP_I32 = { eq: 0x46, ne: 0x47, lt_s: 0x48, lt_u: 0x49, gt_s: 0x4a, gt_u: 0x4b, le_s: 0x4c, le_u: 0x4d, ge_s: 0x4e, ge_u: 0x4f };
const CMP_I64 = { eq: 0x51, ne: 0x52, lt_s: 0x53, lt_u: 0x54, gt_s: 0x55, gt_u: 0x56, le_s: 0x57, le_u: 0x58, ge_s: 0x59, ge_u: 0x5a };
const LOAD_I32 = { load: 0x28, load8_s: 0x2c, load8_u: 0x2d, load16_s: 0x2e, load16_u: 0x2f };
const LOAD_I64 = { load: 0x29, load8_s: 0x30, load8_u: 0x31, load16_s: 0x32, load16_u: 0x33, load32_s: 0x34, load32_u: 0x35 };
const STORE_I32 = { store: 0x36, store8: 0x3a, store16: 0x3b };
const STORE_I64 = { store: 0x37, store8: 0x3c, store16: 0x3d, store32: 0x3e };
/** Threads proposal: 0xFE-prefixed RMW opcodes come in groups of 7 per operation. */
const RMW_BASE = { add: 0x1e, sub: 0x25, and: 0x2c, or: 0x33, xor: 0x3a, xchg: 0x41, cmpxchg: 0x48 };
const RMW_I64 = 1; // i64.atomic.rmw.<op>
const RMW32_U_I64 = 6; // i64.atomic.rmw32.<op>_u

const log2 = (align: number): number => 31 - Math.clz32(align || 1);

/** A growable Int32Array. */
class Ints {
  data = new Int32Array(1 << 12);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/** Interned names → small ids (labels, functions, globals). */
class Names {
  private readonly ids = new Map<string, number>();
  readonly list: string[] = [];

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.list.push(name) - 1;
      if (id >= NO_LABEL) throw new Error("DirectModule: too many names");
      this.ids.set(name, id);
    }
    return id;
  }
}

export class DirectModule implements IrModule {
  /** The type constants and tuple constructor matching this builder (binaryen's namespace shape). */
  readonly types: IrTypes;
  private arena = new Ints();
  private nodeStart = new Ints();
  private nodeEnd = new Ints();
  private nodeType = new Ints();
  private readonly labels = new Names();
  private readonly funcNames = new Names();
  private readonly globalNames = new Names();
  private readonly tuples: Type[][] = [];
  private readonly funcs: Func[] = [];
  private readonly imports: FuncImport[] = [];
  private readonly globals: Global[] = [];
  private readonly globalImports: GlobalImport[] = [];
  private tableImport: { module: string; base: string } | undefined;
  /** call_indirect signatures, resolved to type indices when the binary is written. */
  private readonly indirectSigs: Array<[params: Type, results: Type]> = [];
  private readonly exports: Array<{ name: string; kind: 0 | 3; internal: string }> = [];
  private memory: { initial: number; maximum: number; shared: boolean; module: string; base: string } | undefined;
  private start = 0;
  private readonly tagged = new Ints(); // node, insn, node, insn, ...
  private insnOfNode: Int32Array | undefined;
  /**
   * After emitBinary: module byte offsets (ascending) where the code of an instruction starts,
   * and the instruction (-1 where a function begins: code there belongs to no instruction).
   */
  readonly sourceMap = { offsets: new Ints(), insns: new Ints() };

  readonly i32: IrI32Ops;
  readonly i64: IrI64Ops;
  readonly local: IrModule["local"];
  readonly global: IrModule["global"];
  readonly table: IrModule["table"];
  readonly ref: IrModule["ref"];

  constructor() {
    this.types = {
      none: T_NONE,
      i32: T_I32,
      i64: T_I64,
      unreachable: T_UNREACHABLE,
      funcref: T_FUNCREF,
      createType: (types) => {
        if (types.length === 0) return T_NONE;
        if (types.length === 1) return types[0]!;
        this.tuples.push([...types]);
        return TUPLE_BASE + this.tuples.length - 1;
      },
    };
    this.i32 = {
      ...this.intOps(T_I32, ARITH_I32, CMP_I32, 0x45, 0xc0, 0xc1, LOAD_I32, STORE_I32),
      const: (v: number) => {
        this.open();
        this.b(0x41);
        this.s32(v);
        return this.close(T_I32);
      },
      wrap: (a: Expr) => this.unary(T_I32, a, 0xa7),
      atomic: {
        load: (offset: number, ptr: Expr) => {
          this.open();
          this.child(ptr);
          this.b(0xfe);
          this.u32(0x10); // i32.atomic.load
          this.b(2);
          this.u32(offset);
          return this.close(T_I32);
        },
      },
    };
    this.i64 = {
      ...this.intOps(T_I64, ARITH_I64, CMP_I64, 0x50, 0xc2, 0xc3, LOAD_I64, STORE_I64),
      const: (v: bigint) => {
        this.open();
        this.b(0x42);
        this.s64(v);
        return this.close(T_I64);
      },
      extend_s: (a: Expr) => this.unary(T_I64, a, 0xac),
      extend_u: (a: Expr) => this.unary(T_I64, a, 0xad),
      extend32_s: (a: Expr) => this.unary(T_I64, a, 0xc4),
      load32_s: this.load(T_I64, LOAD_I64.load32_s),
      load32_u: this.load(T_I64, LOAD_I64.load32_u),
      store32: this.store(STORE_I64.store32),
      atomic: { rmw: this.rmwOps(RMW_I64, 3), rmw32_u: this.rmwOps(RMW32_U_I64, 2) },
    };
    this.local = {
      get: (index, type) => {
        this.open();
        this.b(0x20);
        this.u32(index);
        return this.close(type);
      },
      set: (index, value) => {
        this.open();
        this.child(value);
        this.b(0x21);
        this.u32(index);
        return this.close(T_NONE);
      },
      tee: (index, value, type) => {
        this.open();
        this.child(value);
        this.b(0x22);
        this.u32(index);
        return this.close(type);
      },
    };
    this.global = {
      get: (name, type) => {
        this.open();
        this.b(0x23);
        this.b(REF_GLOBAL | this.globalNames.id(name));
        return this.close(type);
      },
      set: (name, value) => {
        this.open();
        this.child(value);
        this.b(0x24);
        this.b(REF_GLOBAL | this.globalNames.id(name));
        return this.close(T_NONE);
      },
    };
    // One table (index 0): the machine's program table. Reference-types opcodes.
    this.table = {
      get: (_name, index) => {
        this.open();
        this.child(index);
        this.b(0x25);
        this.b(0);
        return this.close(T_FUNCREF);
      },
      size: () => {
        this.open();
        this.b(0xfc);
        this.u32(16);
        this.b(0);
        return this.close(T_I32);
      },
    };
    this.ref = { is_null: (value) => this.unary(T_I32, value, 0xd1) };
  }

  // ---- node construction: open(), then parts, then close(type) ----

  private open(): void {
    this.start = this.arena.length;
  }

  private close(type: Type): Expr {
    this.nodeStart.push(this.start);
    this.nodeEnd.push(this.arena.length);
    this.nodeType.push(type);
    return this.nodeType.length - 1;
  }

  /** A byte or a reference part. */
  private b(v: number): void {
    this.arena.push(v);
  }

  private child(e: Expr): void {
    this.arena.push(-e - 1);
  }

  private u32(v: number): void {
    let x = v >>> 0;
    do {
      const byte = x & 0x7f;
      x >>>= 7;
      this.arena.push(x === 0 ? byte : byte | 0x80);
    } while (x !== 0);
  }

  private s32(v: number): void {
    let x = v | 0;
    for (;;) {
      const byte = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (byte & 0x40) === 0) || (x === -1 && (byte & 0x40) !== 0)) {
        this.arena.push(byte);
        return;
      }
      this.arena.push(byte | 0x80);
    }
  }

  private s64(v: bigint): void {
    if (v >= -0x80000000n && v <= 0x7fffffffn) return this.s32(Number(v));
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const byte = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (byte & 0x40) === 0) || (x === -1n && (byte & 0x40) !== 0)) {
        this.arena.push(byte);
        return;
      }
      this.arena.push(byte | 0x80);
    }
  }

  private typeOf(e: Expr): Type {
    return this.nodeType.data[e]!;
  }

  private unary(t: Type, a: Expr, code: number): Expr {
    this.open();
    this.child(a);
    this.b(code);
    return this.close(t);
  }

  private binary(t: Type, a: Expr, b: Expr, code: number): Expr {
    this.open();
    this.child(a);
    this.child(b);
    this.b(code);
    return this.close(t);
  }

  private intOps(
    t: Type,
    arith: Record<string, number>,
    cmp: Record<string, number>,
    eqz: number,
    ext8: number,
    ext16: number,
    loads: Record<string, number>,
    stores: Record<string, number>,
  ): IrIntOps {
    const ops: Record<string, unknown> = {};
    for (const [name, code] of Object.entries(arith)) ops[name] = (a: Expr, b: Expr) => this.binary(t, a, b, code);
    for (const [name, code] of Object.entries(cmp)) ops[name] = (a: Expr, b: Expr) => this.binary(T_I32, a, b, code);
    for (const [name, code] of Object.entries(loads)) ops[name] = this.load(t, code);
    for (const [name, code] of Object.entries(stores)) ops[name] = this.store(code);
    ops.eqz = (a: Expr) => this.unary(T_I32, a, eqz);
    ops.extend8_s = (a: Expr) => this.unary(t, a, ext8);
    ops.extend16_s = (a: Expr) => this.unary(t, a, ext16);
    return ops as unknown as IrIntOps;
  }

  private load(t: Type, code: number) {
    return (offset: number, align: number, ptr: Expr): Expr => {
      this.open();
      this.child(ptr);
      this.b(code);
      this.b(log2(align));
      this.u32(offset);
      return this.close(t);
    };
  }

  private store(code: number) {
    return (offset: number, align: number, ptr: Expr, value: Expr): Expr => {
      this.open();
      this.child(ptr);
      this.child(value);
      this.b(code);
      this.b(log2(align));
      this.u32(offset);
      return this.close(T_NONE);
    };
  }

  private rmwOps(variant: number, alignLog2: number): IrRmwOps {
    const emit = (operands: Expr[], code: number, offset: number): Expr => {
      this.open();
      for (const o of operands) this.child(o);
      this.b(0xfe);
      this.u32(code);
      this.b(alignLog2);
      this.u32(offset);
      return this.close(T_I64);
    };
    const op = (base: number) => (offset: number, ptr: Expr, value: Expr) => emit([ptr, value], base + variant, offset);
    return {
      add: op(RMW_BASE.add),
      and: op(RMW_BASE.and),
      or: op(RMW_BASE.or),
      xor: op(RMW_BASE.xor),
      xchg: op(RMW_BASE.xchg),
      cmpxchg: (offset, ptr, expected, replacement) => emit([ptr, expected, replacement], RMW_BASE.cmpxchg + variant, offset),
    };
  }

  private blockType(t: Type): number {
    if (t === T_UNREACHABLE) return T_NONE;
    if (t >= TUPLE_BASE) throw new Error("DirectModule: multi-value blocks are not supported");
    return t;
  }

  private label(name: string | null): number {
    return name === null ? NO_LABEL : this.labels.id(name);
  }

  // ---- control flow ----

  block(label: string | null, children: readonly Expr[], resultType?: Type): Expr {
    const last = children.length ? this.typeOf(children[children.length - 1]!) : T_NONE;
    const t = resultType ?? last;
    this.open();
    if (label !== null) {
      this.b(0x02);
      this.b(this.blockType(t));
      this.b(REF_OPEN | this.label(label));
    }
    for (const c of children) this.child(c);
    if (label !== null) {
      this.b(REF_CLOSE);
      this.b(0x0b);
    }
    return this.close(t);
  }

  loop(label: string | null, body: Expr): Expr {
    const t = this.typeOf(body);
    this.open();
    this.b(0x03);
    this.b(this.blockType(t));
    this.b(REF_OPEN | this.label(label));
    this.child(body);
    this.b(REF_CLOSE);
    this.b(0x0b);
    return this.close(t);
  }

  if(condition: Expr, ifTrue: Expr, ifFalse?: Expr): Expr {
    const a = this.typeOf(ifTrue);
    const t = ifFalse === undefined ? T_NONE : a !== T_UNREACHABLE ? a : this.typeOf(ifFalse);
    this.open();
    this.child(condition);
    this.b(0x04);
    this.b(this.blockType(t));
    this.b(REF_OPEN | NO_LABEL);
    this.child(ifTrue);
    if (ifFalse !== undefined) {
      this.b(0x05);
      this.child(ifFalse);
    }
    this.b(REF_CLOSE);
    this.b(0x0b);
    return this.close(t);
  }

  br(label: string, condition?: Expr): Expr {
    this.open();
    if (condition !== undefined) this.child(condition);
    this.b(condition === undefined ? 0x0c : 0x0d);
    this.b(REF_LABEL | this.label(label));
    return this.close(condition === undefined ? T_UNREACHABLE : T_NONE);
  }

  switch(labels: readonly string[], defaultLabel: string, condition: Expr): Expr {
    this.open();
    this.child(condition);
    this.b(0x0e);
    this.u32(labels.length);
    for (const l of labels) this.b(REF_LABEL | this.label(l));
    this.b(REF_LABEL | this.label(defaultLabel));
    return this.close(T_UNREACHABLE);
  }

  call(name: string, operands: readonly Expr[], returnType: Type): Expr {
    this.open();
    for (const o of operands) this.child(o);
    this.b(0x10);
    this.b(REF_FUNC | this.funcNames.id(name));
    return this.close(returnType);
  }

  call_indirect(_table: string, target: Expr, operands: readonly Expr[], params: Type, results: Type): Expr {
    this.open();
    for (const o of operands) this.child(o);
    this.child(target);
    this.b(0x11);
    this.b(REF_SIG | (this.indirectSigs.push([params, results]) - 1));
    this.b(0); // table 0
    return this.close(results);
  }

  return(value?: Expr): Expr {
    this.open();
    if (value !== undefined) this.child(value);
    this.b(0x0f);
    return this.close(T_UNREACHABLE);
  }

  drop(value: Expr): Expr {
    return this.unary(T_NONE, value, 0x1a);
  }

  unreachable(): Expr {
    this.open();
    this.b(0x00);
    return this.close(T_UNREACHABLE);
  }

  // ---- module ----

  setMemory(initial: number, maximum: number, _export: string | null, _segments: [], shared: boolean): void {
    this.memory = { initial, maximum, shared, module: "", base: "" };
  }

  addMemoryImport(_internal: string, module: string, base: string, shared: boolean): void {
    if (!this.memory) throw new Error("DirectModule: setMemory before addMemoryImport");
    this.memory = { ...this.memory, module, base, shared };
  }

  addFunctionImport(name: string, module: string, base: string, params: Type, results: Type): void {
    this.imports.push({ name, module, base, params, results });
  }

  addGlobalImport(name: string, module: string, base: string, type: Type, mutable = false): void {
    this.globalImports.push({ name, module, base, type, mutable });
  }

  addTableImport(_name: string, module: string, base: string): void {
    this.tableImport = { module, base };
  }

  addFunction(name: string, params: Type, results: Type, vars: readonly Type[], body: Expr): void {
    this.funcs.push({ name, params, results, vars, body });
  }

  addFunctionExport(internal: string, name: string): void {
    this.exports.push({ name, kind: 0, internal });
  }

  addGlobal(name: string, type: Type, mutable: boolean, init: Expr): void {
    this.globals.push({ name, type, mutable, init });
  }

  addGlobalExport(internal: string, name: string): void {
    this.exports.push({ name, kind: 3, internal });
  }

  tag(expr: Expr, insn: number): void {
    this.tagged.push(expr);
    this.tagged.push(insn);
  }

  dispose(): void {
    this.arena = new Ints();
    this.nodeStart = new Ints();
    this.nodeEnd = new Ints();
    this.nodeType = new Ints();
  }

  emitBinary(): Uint8Array {
    const funcIndex = new Map<string, number>();
    [...this.imports, ...this.funcs].forEach((f, k) => funcIndex.set(f.name, k));
    // Imported globals come first in the global index space (core spec §2.5.1).
    const globalIndex = new Map([...this.globalImports, ...this.globals].map((g, k) => [g.name, k]));
    const resolve = (names: Names, index: Map<string, number>, what: string): Int32Array =>
      Int32Array.from(names.list, (name) => {
        const k = index.get(name);
        if (k === undefined) throw new Error(`DirectModule: reference to unknown ${what} '${name}'`);
        return k;
      });
    const funcs = resolve(this.funcNames, funcIndex, "function");
    const globals = resolve(this.globalNames, globalIndex, "global");
    const sigs = new Map<string, number>();
    const sigList: Array<[Type[], Type[]]> = [];
    const sigOf = (params: Type, results: Type): number => {
      const ps = this.expand(params);
      const rs = this.expand(results);
      const key = ps.join(",") + ">" + rs.join(",");
      let k = sigs.get(key);
      if (k === undefined) {
        k = sigList.push([ps, rs]) - 1;
        sigs.set(key, k);
      }
      return k;
    };
    const importSigs = this.imports.map((f) => sigOf(f.params, f.results));
    const funcSigs = this.funcs.map((f) => sigOf(f.params, f.results));
    const indirect = Int32Array.from(this.indirectSigs, ([ps, rs]) => sigOf(ps, rs));
    this.insnOfNode = new Int32Array(this.nodeType.length).fill(-1);
    for (let k = 0; k < this.tagged.length; k += 2) this.insnOfNode[this.tagged.data[k]!] = this.tagged.data[k + 1]!;
    const bodyMarks: Array<{ offsets: number[]; insns: number[]; at: number }> = [];

    const out = new ByteSink();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    this.section(out, 1, sigList.length, (s) => {
      for (const [ps, rs] of sigList) {
        s.byte(0x60);
        s.u32(ps.length);
        s.bytes(ps);
        s.u32(rs.length);
        s.bytes(rs);
      }
    });
    const mem = this.memory;
    const table = this.tableImport;
    const importCount = this.imports.length + (mem ? 1 : 0) + (table ? 1 : 0) + this.globalImports.length;
    this.section(out, 2, importCount, (s) => {
      if (mem) {
        s.name(mem.module);
        s.name(mem.base);
        s.byte(0x02);
        const hasMax = mem.maximum >= 0;
        s.byte(mem.shared ? 0x03 : hasMax ? 0x01 : 0x00);
        s.u32(mem.initial);
        if (hasMax || mem.shared) s.u32(mem.maximum);
      }
      if (table) {
        s.name(table.module);
        s.name(table.base);
        s.byte(0x01);
        s.byte(T_FUNCREF);
        s.byte(0x00); // limits: min only
        s.u32(0);
      }
      for (const g of this.globalImports) {
        s.name(g.module);
        s.name(g.base);
        s.byte(0x03);
        s.byte(g.type);
        s.byte(g.mutable ? 1 : 0);
      }
      this.imports.forEach((f, k) => {
        s.name(f.module);
        s.name(f.base);
        s.byte(0x00);
        s.u32(importSigs[k]!);
      });
    });
    this.section(out, 3, this.funcs.length, (s) => funcSigs.forEach((k) => s.u32(k)));
    this.section(out, 6, this.globals.length, (s) => {
      for (const g of this.globals) {
        s.byte(g.type);
        s.byte(g.mutable ? 1 : 0);
        this.write(s, g.init, funcs, globals, indirect);
        s.byte(0x0b);
      }
    });
    this.section(out, 7, this.exports.length, (s) => {
      for (const e of this.exports) {
        s.name(e.name);
        s.byte(e.kind);
        s.u32((e.kind === 0 ? funcIndex : globalIndex).get(e.internal)!);
      }
    });
    this.section(out, 10, this.funcs.length, (s) => {
      for (const f of this.funcs) {
        const body = new ByteSink();
        const runs: Array<[number, Type]> = [];
        for (const t of f.vars) {
          const run = runs[runs.length - 1];
          if (run && run[1] === t) run[0]++;
          else runs.push([1, t]);
        }
        body.u32(runs.length);
        for (const [n, t] of runs) {
          body.u32(n);
          body.byte(t);
        }
        const marks = { offsets: [0] as number[], insns: [-1] as number[], at: 0 };
        this.write(body, f.body, funcs, globals, indirect, marks);
        body.byte(0x0b);
        marks.at = s.length + uleb128Size(body.length); // where the body starts inside the section
        bodyMarks.push(marks);
        s.sized(body);
      }
    });
    // The code section is the last one written: its payload ends where the module does.
    const codePayload = out.length - this.codeSectionSize;
    for (const marks of bodyMarks) {
      marks.offsets.forEach((o, k) => {
        this.sourceMap.offsets.push(codePayload + marks.at + o);
        this.sourceMap.insns.push(marks.insns[k]!);
      });
    }
    return out.view().slice();
  }

  private expand(t: Type): Type[] {
    if (t === T_NONE) return [];
    if (t >= TUPLE_BASE) return this.tuples[t - TUPLE_BASE]!;
    return [t];
  }

  private codeSectionSize = 0;

  private section(out: ByteSink, id: number, count: number, fill: (s: ByteSink) => void): void {
    if (count === 0) return;
    const s = new ByteSink();
    s.u32(count);
    fill(s);
    out.byte(id);
    out.sized(s);
    this.codeSectionSize = s.length;
  }

  /** Write an expression tree with an explicit stack, resolving labels to relative depths. */
  private write(
    out: ByteSink,
    root: Expr,
    funcs: Int32Array,
    globals: Int32Array,
    sigs: Int32Array,
    marks?: { offsets: number[]; insns: number[] },
  ): void {
    const insnOf = this.insnOfNode;
    const arena = this.arena.data;
    const starts = this.nodeStart.data;
    const ends = this.nodeEnd.data;
    const depthOf = new Int32Array(this.labels.list.length).fill(-1);
    const scopeLabel: number[] = [];
    const scopePrev: number[] = [];
    const pos: number[] = [starts[root]!];
    const end: number[] = [ends[root]!];
    while (pos.length) {
      const top = pos.length - 1;
      const i = pos[top]!;
      if (i >= end[top]!) {
        pos.pop();
        end.pop();
        continue;
      }
      pos[top] = i + 1;
      const v = arena[i]!;
      if (v < 0) {
        const child = -v - 1;
        if (marks && insnOf && insnOf[child]! >= 0) {
          marks.offsets.push(out.length);
          marks.insns.push(insnOf[child]!);
        }
        pos.push(starts[child]!);
        end.push(ends[child]!);
      } else if (v < 256) {
        out.byte(v);
      } else {
        const id = v & ID_MASK;
        switch (v & ~ID_MASK) {
          case REF_LABEL: {
            const at = depthOf[id]!;
            if (at < 0) throw new Error(`DirectModule: branch to '${this.labels.list[id]}' outside its scope`);
            out.u32(scopeLabel.length - 1 - at);
            break;
          }
          case REF_OPEN:
            scopeLabel.push(id);
            if (id !== NO_LABEL) {
              scopePrev.push(depthOf[id]!);
              depthOf[id] = scopeLabel.length - 1;
            } else scopePrev.push(-1);
            break;
          case REF_CLOSE: {
            const id2 = scopeLabel.pop()!;
            const prev = scopePrev.pop()!;
            if (id2 !== NO_LABEL) depthOf[id2] = prev;
            break;
          }
          case REF_FUNC:
            out.u32(funcs[id]!);
            break;
          case REF_GLOBAL:
            out.u32(globals[id]!);
            break;
          case REF_SIG:
            out.u32(sigs[id]!);
            break;
        }
      }
    }
  }
}

function uleb128Size(v: number): number {
  let n = 1;
  for (let x = v >>> 7; x !== 0; x >>>= 7) n++;
  return n;
}
