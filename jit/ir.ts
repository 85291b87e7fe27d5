// The IR builder the lowering writes to: the subset of Binaryen's Module API the JIT uses, as an
// interface. Two builders implement it —
//   - Binaryen's own Module (binaryen.js): real Binaryen IR, what the optimiser (opt >= 1) needs;
//   - DirectModule (direct/module.ts): writes the wasm binary straight away.
// Why two: measured on this machine, building Binaryen IR through binaryen.js costs about
// 2 µs per eBPF instruction (every API call crosses into Binaryen's wasm and back through
// Emscripten's exception wrappers), so a 10k-instruction program took 50–90 ms before any
// optimisation — far from the goal of 500 instructions/ms. The direct builder does the same job
// in a fraction of that and does not need Binaryen (74 MB, 0.3–0.5 s to load) at all at opt 0.
// For opt >= 1 its binary is read into Binaryen (readBinary) and optimised there. Keeping the
// lowering written against this one interface means both paths share every line of semantics.

import type { TemplateId } from "./wasm/template.js";

/** An expression handle (Binaryen's ExpressionRef; an index into DirectModule's node table). */
export type Expr = number;
/** A value type or a tuple of them (Binaryen's Type). */
export type Type = number;

/** The type constants and tuple constructor (the `binaryen` namespace has these). */
export interface IrTypes {
  readonly none: Type;
  readonly i32: Type;
  readonly i64: Type;
  readonly unreachable: Type;
  /** Function references: only as the element type of the program table (tail calls). */
  readonly funcref: Type;
  createType(types: readonly Type[]): Type;
}

type Unary = (value: Expr) => Expr;
type Binary = (left: Expr, right: Expr) => Expr;
type Load = (offset: number, align: number, ptr: Expr) => Expr;
type Store = (offset: number, align: number, ptr: Expr, value: Expr) => Expr;
type Rmw = (offset: number, ptr: Expr, value: Expr) => Expr;

/** Operators both integer widths have, under Binaryen's names. */
export interface IrIntOps {
  /** A constant of this width (for i64: any safe integer, sign-extended). */
  const(value: number): Expr;
  add: Binary;
  sub: Binary;
  mul: Binary;
  div_s: Binary;
  div_u: Binary;
  rem_s: Binary;
  rem_u: Binary;
  and: Binary;
  or: Binary;
  xor: Binary;
  shl: Binary;
  shr_s: Binary;
  shr_u: Binary;
  rotl: Binary;
  rotr: Binary;
  eq: Binary;
  ne: Binary;
  lt_s: Binary;
  lt_u: Binary;
  gt_s: Binary;
  gt_u: Binary;
  le_s: Binary;
  le_u: Binary;
  ge_s: Binary;
  ge_u: Binary;
  eqz: Unary;
  extend8_s: Unary;
  extend16_s: Unary;
  load: Load;
  load8_s: Load;
  load8_u: Load;
  load16_s: Load;
  load16_u: Load;
  store: Store;
  store8: Store;
  store16: Store;
}

export interface IrI32Ops extends IrIntOps {
  const(value: number): Expr;
  wrap: Unary;
  /** Atomic (sequentially consistent) loads: PROG_ARRAY slots user space updates concurrently. */
  atomic: { load(offset: number, ptr: Expr): Expr };
}

export interface IrRmwOps {
  add: Rmw;
  and: Rmw;
  or: Rmw;
  xor: Rmw;
  xchg: Rmw;
  cmpxchg(offset: number, ptr: Expr, expected: Expr, replacement: Expr): Expr;
}

export interface IrI64Ops extends IrIntOps {
  /**
   * A 64-bit constant: a bigint (taken modulo 2^64), or an integer number within the safe range
   * — the lowering passes sign-extended immediates as numbers so the hot path needs no BigInt
   * (binaryen.js 132 accepts both).
   */
  const(value: bigint | number): Expr;
  extend_s: Unary;
  extend_u: Unary;
  extend32_s: Unary;
  load32_s: Load;
  load32_u: Load;
  store32: Store;
  atomic: { rmw: IrRmwOps; rmw32_u: IrRmwOps };
}

/** The builder: expressions, functions, imports (memory, table, globals, functions), exports, globals. */
export interface IrModule {
  block(label: string | null, children: readonly Expr[], resultType?: Type): Expr;
  loop(label: string | null, body: Expr): Expr;
  if(condition: Expr, ifTrue: Expr, ifFalse?: Expr): Expr;
  br(label: string, condition?: Expr): Expr;
  switch(labels: readonly string[], defaultLabel: string, condition: Expr): Expr;
  call(name: string, operands: readonly Expr[], returnType: Type): Expr;
  /** A call through `table` (the machine's program table) with the signature params → results. */
  call_indirect(table: string, target: Expr, operands: readonly Expr[], params: Type, results: Type): Expr;
  return(value?: Expr): Expr;
  drop(value: Expr): Expr;
  unreachable(): Expr;
  local: { get(index: number, type: Type): Expr; set(index: number, value: Expr): Expr; tee(index: number, value: Expr, type: Type): Expr };
  global: { get(name: string, type: Type): Expr; set(name: string, value: Expr): Expr };
  table: { get(name: string, index: Expr, type: Type): Expr; size(name: string): Expr };
  ref: { is_null(value: Expr): Expr };
  i32: IrI32Ops;
  i64: IrI64Ops;

  setMemory(initial: number, maximum: number, exportName: string | null, segments: [], shared: boolean, memory64: boolean, internalName: string): void;
  addMemoryImport(internalName: string, externalModuleName: string, externalBaseName: string, shared: boolean): void;
  addFunctionImport(internalName: string, externalModuleName: string, externalBaseName: string, params: Type, results: Type): void;
  addGlobalImport(internalName: string, externalModuleName: string, externalBaseName: string, globalType: Type, mutable?: boolean): void;
  /** An imported table of funcref (Binaryen's addTableImport creates the table). */
  addTableImport(internalName: string, externalModuleName: string, externalBaseName: string): void;
  addFunction(name: string, params: Type, results: Type, varTypes: readonly Type[], body: Expr): unknown;
  addFunctionExport(internalName: string, externalName: string): unknown;
  addGlobal(name: string, type: Type, mutable: boolean, init: Expr): unknown;
  addGlobalExport(internalName: string, externalName: string): unknown;
  emitBinary(): Uint8Array;
  dispose(): void;
  /**
   * Optional: remember that `expr` is the code of eBPF instruction `insn`, so a trap inside it
   * can be traced back to the instruction (DirectModule keeps a map of module byte offsets).
   */
  tag?(expr: Expr, insn: number): void;
  /**
   * Optional: templated instructions (wasm/template.ts, lower/templates.ts) written back to back
   * as one expression of type none, each one's start marked for the source map like `tag`. A
   * builder without it gets the same code through its other methods (lower/replay.ts).
   */
  templates?: TemplateRun;
  /** Optional: one code template filled in, as an expression of type `type` (no mark). */
  template?(template: TemplateId, type: Type, dst: number, src: number, imm: number, off: number, label?: string): Expr;
  /**
   * Optional: expressions and scopes written in order as one expression, no node per scope (the
   * direct builder). A builder without it gets the same code as nested `block`s and `loop`s
   * (structure.ts, treeSequence).
   */
  sequence?(): Sequence;
}

/** A sequence under construction: scopes (of type none) opened and closed around expressions. */
export interface Sequence {
  /** Open a `loop` (loop true) or a `block` labelled `label`. */
  open(loop: boolean, label: string): void;
  add(e: Expr): void;
  /** Close the innermost open scope. */
  close(): void;
  /** The whole sequence, of type none; nothing else may be built while a sequence is open. */
  end(): Expr;
}

/**
 * A run of templated instructions: open, add each (dst and src are locals; `label` fills a
 * branch template's Hole.LABEL), close.
 */
export interface TemplateRun {
  open(): void;
  add(template: TemplateId, dst: number, src: number, imm: number, off: number, insn: number, label?: string): void;
  close(): Expr;
}
