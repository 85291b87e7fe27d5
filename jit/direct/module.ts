// DirectModule: the IrModule (../ir.ts) that writes the wasm binary itself (WebAssembly core spec
// §5, threads proposal for the atomic opcodes) instead of building Binaryen IR.
//
// Each expression is a node of the arena (arena.ts): its encoding in stack-machine order, with
// holes for what is resolved when the function is written (writer.ts) — branch labels, function
// and global names, the scopes labels open. Operands built in the order they are written are not
// copied or linked: the node that uses them starts where they start. Unnamed blocks are written
// inline — on a stack machine a sequence needs no wrapper — so only named blocks, loops and ifs
// become wasm blocks.

import type { Expr, IrI32Ops, IrI64Ops, IrIntOps, IrModule, IrRmwOps, IrTypes, Sequence, TemplateRun, Type } from "../ir.js";
import { ExprArena, NO_LABEL, REF_CLOSE, REF_FUNC, REF_GLOBAL, REF_LABEL, REF_OPEN, REF_SIG } from "./arena.js";
import { ByteSink } from "./bytes.js";
import { Labels } from "./labels.js";
import { ArenaWriter, type Marks, type Resolved } from "./writer.js";
import {
  ARITH_I32, ARITH_I64, CMP_I32, CMP_I64, I32_CONST, I32_WRAP_I64, I64_CONST, I64_EXTEND_I32_S, I64_EXTEND_I32_U,
  LOAD_I32, LOAD_I64, LOCAL_GET, LOCAL_SET, LOCAL_TEE, STORE_I32, STORE_I64, UNARY_I32, UNARY_I64,
} from "../wasm/opcodes.js";
import type { TemplateId } from "../wasm/template.js";

const T_NONE = 0x40;
const T_I32 = 0x7f;
const T_I64 = 0x7e;
const T_UNREACHABLE = -1;
const T_FUNCREF = 0x70;
const TUPLE_BASE = 0x1000;


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

/** Threads proposal: 0xFE-prefixed RMW opcodes come in groups of 7 per operation. */
const RMW_BASE = { add: 0x1e, sub: 0x25, and: 0x2c, or: 0x33, xor: 0x3a, xchg: 0x41, cmpxchg: 0x48 };
const RMW_I64 = 1; // i64.atomic.rmw.<op>
const RMW32_U_I64 = 6; // i64.atomic.rmw32.<op>_u

const log2 = (align: number): number => 31 - Math.clz32(align || 1);

/** Interned names → small ids (functions, globals). */
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
  private x: ExprArena;
  private readonly labels = new Labels();
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
  /**
   * After emitBinary: module byte offsets (ascending) where the code of an instruction starts,
   * and the instruction (-1 where a function begins: code there belongs to no instruction).
   */
  sourceMap: { offsets: Int32Array; insns: Int32Array } = { offsets: new Int32Array(0), insns: new Int32Array(0) };

  readonly i32: IrI32Ops;
  readonly i64: IrI64Ops;
  readonly local: IrModule["local"];
  readonly global: IrModule["global"];
  readonly table: IrModule["table"];
  readonly ref: IrModule["ref"];
  readonly templates: TemplateRun;

  /** `insns`: how many eBPF instructions will be lowered into it (a capacity hint). */
  constructor(insns = 0) {
    this.x = new ExprArena(insns);
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
      ...this.intOps(T_I32, ARITH_I32, CMP_I32, UNARY_I32, LOAD_I32, STORE_I32),
      const: (v: number) => this.x.leafS32(I32_CONST, v, T_I32),
      wrap: (a: Expr) => this.unary(T_I32, a, I32_WRAP_I64),
      atomic: {
        load: (offset: number, ptr: Expr) => {
          const x = this.x;
          x.open1(ptr);
          x.byte(0xfe);
          x.u32(0x10); // i32.atomic.load
          x.byte(2);
          x.u32(offset);
          return x.close(T_I32);
        },
      },
    };
    this.i64 = {
      ...this.intOps(T_I64, ARITH_I64, CMP_I64, UNARY_I64, LOAD_I64, STORE_I64),
      const: (v: bigint | number) => {
        if (typeof v === "number") {
          if (v === (v | 0)) return this.x.leafS32(I64_CONST, v, T_I64);
          if (!Number.isSafeInteger(v)) throw new RangeError(`i64.const: ${v} is not a safe integer (pass a bigint)`);
          v = BigInt(v);
        }
        const x = this.x;
        x.open0();
        x.byte(I64_CONST);
        x.s64(v);
        return x.close(T_I64);
      },
      extend_s: (a: Expr) => this.unary(T_I64, a, I64_EXTEND_I32_S),
      extend_u: (a: Expr) => this.unary(T_I64, a, I64_EXTEND_I32_U),
      extend32_s: (a: Expr) => this.unary(T_I64, a, UNARY_I64.extend32_s),
      load32_s: this.load(T_I64, LOAD_I64.load32_s),
      load32_u: this.load(T_I64, LOAD_I64.load32_u),
      store32: this.store(STORE_I64.store32),
      atomic: { rmw: this.rmwOps(RMW_I64, 3), rmw32_u: this.rmwOps(RMW32_U_I64, 2) },
    };
    this.local = {
      get: (index, type) => this.x.leafU32(LOCAL_GET, index, type),
      set: (index, value) => this.x.unaryU32(value, LOCAL_SET, index, T_NONE),
      tee: (index, value, type) => this.x.unaryU32(value, LOCAL_TEE, index, type),
    };
    this.global = {
      get: (name, type) => {
        const x = this.x;
        x.open0();
        x.byte(0x23);
        x.ref(REF_GLOBAL | this.globalNames.id(name));
        return x.close(type);
      },
      set: (name, value) => {
        const x = this.x;
        x.open1(value);
        x.byte(0x24);
        x.ref(REF_GLOBAL | this.globalNames.id(name));
        return x.close(T_NONE);
      },
    };
    // One table (index 0): the machine's program table. Reference-types opcodes.
    this.table = {
      get: (_name, index) => {
        const x = this.x;
        x.open1(index);
        x.byte(0x25);
        x.byte(0);
        return x.close(T_FUNCREF);
      },
      size: () => {
        const x = this.x;
        x.open0();
        x.byte(0xfc);
        x.u32(16);
        x.byte(0);
        return x.close(T_I32);
      },
    };
    this.ref = { is_null: (value) => this.unary(T_I32, value, 0xd1) };
    // One node for the run: one hole, whose instances the writer fills in, a mark before each.
    this.templates = {
      open: () => {
        this.x.open0();
        this.x.beginRun();
      },
      add: (template, dst, src, imm, off, insn, label) => this.instance(template, dst, src, imm, off, insn, label),
      close: () => {
        this.x.endRun();
        return this.x.close(T_NONE);
      },
    };
  }

  // ---- expressions of one opcode ----

  private unary(t: Type, a: Expr, code: number): Expr {
    return this.x.unary(a, code, t);
  }

  private intOps(
    t: Type,
    arith: Record<string, number>,
    cmp: Record<string, number>,
    unary: { eqz: number; extend8_s: number; extend16_s: number },
    loads: Record<string, number>,
    stores: Record<string, number>,
  ): IrIntOps {
    const ops: Record<string, unknown> = {};
    for (const [name, code] of Object.entries(arith)) ops[name] = (a: Expr, b: Expr) => this.x.binary(a, b, code, t);
    for (const [name, code] of Object.entries(cmp)) ops[name] = (a: Expr, b: Expr) => this.x.binary(a, b, code, T_I32);
    for (const [name, code] of Object.entries(loads)) ops[name] = this.load(t, code);
    for (const [name, code] of Object.entries(stores)) ops[name] = this.store(code);
    ops.eqz = (a: Expr) => this.unary(T_I32, a, unary.eqz);
    ops.extend8_s = (a: Expr) => this.unary(t, a, unary.extend8_s);
    ops.extend16_s = (a: Expr) => this.unary(t, a, unary.extend16_s);
    return ops as unknown as IrIntOps;
  }

  private load(t: Type, code: number) {
    return (offset: number, align: number, ptr: Expr): Expr => this.x.load(ptr, code, log2(align), offset, t);
  }

  private store(code: number) {
    return (offset: number, align: number, ptr: Expr, value: Expr): Expr => this.x.store(ptr, value, code, log2(align), offset, T_NONE);
  }

  private rmwOps(variant: number, alignLog2: number): IrRmwOps {
    const emit = (code: number, offset: number): Expr => {
      const x = this.x;
      x.byte(0xfe);
      x.u32(code);
      x.byte(alignLog2);
      x.u32(offset);
      return x.close(T_I64);
    };
    const op = (base: number) => (offset: number, ptr: Expr, value: Expr) => {
      this.x.open2(ptr, value);
      return emit(base + variant, offset);
    };
    return {
      add: op(RMW_BASE.add),
      and: op(RMW_BASE.and),
      or: op(RMW_BASE.or),
      xor: op(RMW_BASE.xor),
      xchg: op(RMW_BASE.xchg),
      cmpxchg: (offset, ptr, expected, replacement) => {
        this.x.openN([ptr, expected, replacement]);
        return emit(RMW_BASE.cmpxchg + variant, offset);
      },
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

  /** `block`/`loop` opening: opcode, block type, the scope (its children are holes after it). */
  private scope(opcode: number, t: Type, label: string | null): void {
    const x = this.x;
    x.open0();
    x.byte(opcode);
    x.byte(this.blockType(t));
    x.ref(REF_OPEN | this.label(label));
  }

  private endScope(t: Type): Expr {
    const x = this.x;
    x.room(1);
    x.ref(REF_CLOSE);
    x.byte(0x0b);
    return x.close(t);
  }

  // ---- control flow ----

  block(label: string | null, children: readonly Expr[], resultType?: Type): Expr {
    const x = this.x;
    const t = resultType ?? (children.length ? x.typeOf(children[children.length - 1]!) : T_NONE);
    if (label === null) {
      x.openN(children);
      return x.close(t);
    }
    this.scope(0x02, t, label);
    for (let k = 0; k < children.length; k++) x.child(children[k]!);
    return this.endScope(t);
  }

  loop(label: string | null, body: Expr): Expr {
    const t = this.x.typeOf(body);
    this.scope(0x03, t, label);
    this.x.child(body);
    return this.endScope(t);
  }

  if(condition: Expr, ifTrue: Expr, ifFalse?: Expr): Expr {
    const x = this.x;
    const a = x.typeOf(ifTrue);
    const t = ifFalse === undefined ? T_NONE : a !== T_UNREACHABLE ? a : x.typeOf(ifFalse);
    x.open1(condition);
    x.byte(0x04);
    x.byte(this.blockType(t));
    x.ref(REF_OPEN | NO_LABEL);
    x.child(ifTrue);
    if (ifFalse !== undefined) {
      x.room(1);
      x.byte(0x05);
      x.child(ifFalse);
    }
    return this.endScope(t);
  }

  br(label: string, condition?: Expr): Expr {
    const x = this.x;
    if (condition !== undefined) x.open1(condition);
    else x.open0();
    x.byte(condition === undefined ? 0x0c : 0x0d);
    x.ref(REF_LABEL | this.label(label));
    return x.close(condition === undefined ? T_UNREACHABLE : T_NONE);
  }

  switch(labels: readonly string[], defaultLabel: string, condition: Expr): Expr {
    const x = this.x;
    x.open1(condition);
    x.byte(0x0e);
    x.u32(labels.length);
    for (let k = 0; k < labels.length; k++) x.ref(REF_LABEL | this.label(labels[k]!));
    x.ref(REF_LABEL | this.label(defaultLabel));
    return x.close(T_UNREACHABLE);
  }

  call(name: string, operands: readonly Expr[], returnType: Type): Expr {
    const x = this.x;
    x.openN(operands);
    x.byte(0x10);
    x.ref(REF_FUNC | this.funcNames.id(name));
    return x.close(returnType);
  }

  call_indirect(_table: string, target: Expr, operands: readonly Expr[], params: Type, results: Type): Expr {
    const x = this.x;
    x.openN(operands, target);
    x.byte(0x11);
    x.ref(REF_SIG | (this.indirectSigs.push([params, results]) - 1));
    x.byte(0); // table 0
    return x.close(results);
  }

  return(value?: Expr): Expr {
    const x = this.x;
    if (value !== undefined) x.open1(value);
    else x.open0();
    x.byte(0x0f);
    return x.close(T_UNREACHABLE);
  }

  drop(value: Expr): Expr {
    return this.unary(T_NONE, value, 0x1a);
  }

  unreachable(): Expr {
    const x = this.x;
    x.open0();
    x.byte(0x00);
    return x.close(T_UNREACHABLE);
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

  template(template: TemplateId, type: Type, dst: number, src: number, imm: number, off: number, label?: string): Expr {
    const x = this.x;
    x.open0();
    x.beginRun();
    this.instance(template, dst, src, imm, off, -1, label);
    x.endRun();
    return x.close(type);
  }

  /** One template instance; a branch template's label goes in the off field, as its id. */
  private instance(template: TemplateId, dst: number, src: number, imm: number, off: number, insn: number, label: string | undefined): void {
    this.x.instance(template, dst, src, imm, label === undefined ? off : this.label(label), insn);
  }

  /**
   * One node: each scope its opening bytes and label, each expression a child hole. The same
   * bytes as nested blocks and loops (a loop's body block is unnamed, so inlined), without a node,
   * a list of children and a label lookup per scope on top of the ones per branch.
   */
  sequence(): Sequence {
    const x = this.x;
    x.open0();
    return {
      open: (loop, label) => {
        x.room(2);
        x.byte(loop ? 0x03 : 0x02);
        x.byte(T_NONE);
        x.ref(REF_OPEN | this.label(label));
      },
      add: (e) => x.child(e),
      close: () => {
        x.room(1);
        x.ref(REF_CLOSE);
        x.byte(0x0b);
      },
      end: () => x.close(T_NONE),
    };
  }

  /** Tag an expression before it becomes an operand: it then stays a hole, whose start the writer records. */
  tag(expr: Expr, insn: number): void {
    this.x.tag(expr, insn);
  }

  dispose(): void {
    this.x = new ExprArena();
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
    const names: Resolved = {
      funcs: resolve(this.funcNames, funcIndex, "function"),
      globals: resolve(this.globalNames, globalIndex, "global"),
      sigs: Int32Array.from(this.indirectSigs, ([ps, rs]) => sigOf(ps, rs)),
      labels: this.labels,
    };
    const writer = new ArenaWriter(this.x, names);
    const bodyMarks: Array<{ marks: Marks; at: number; prefix: number }> = [];

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
        writer.write(g.init, s);
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
        const prefix = body.length;
        const marks = writer.write(f.body, body, true);
        body.byte(0x0b);
        // Where the body starts inside the section, and its code after the locals.
        bodyMarks.push({ marks, at: s.length + uleb128Size(body.length), prefix });
        s.sized(body);
      }
    });
    // The code section is the last one written: its payload ends where the module does.
    const codePayload = out.length - this.codeSectionSize;
    // A function's first byte belongs to no instruction (-1); then its marks, in order.
    const total = bodyMarks.reduce((n, { marks }) => n + 1 + marks.length / 2, 0);
    const offsets = new Int32Array(total);
    const insns = new Int32Array(total);
    let k = 0;
    for (const { marks, at, prefix } of bodyMarks) {
      offsets[k] = codePayload + at;
      insns[k++] = -1;
      const base = codePayload + at + prefix;
      for (let j = 0; j < marks.length; j += 2, k++) {
        offsets[k] = base + marks[j]!;
        insns[k] = marks[j + 1]!;
      }
    }
    this.sourceMap = { offsets, insns };
    writer.dispose();
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
}

function uleb128Size(v: number): number {
  let n = 1;
  for (let x = v >>> 7; x !== 0; x >>>= 7) n++;
  return n;
}
