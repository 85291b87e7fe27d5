// A code template (../wasm/template.ts) rebuilt through an IR builder's API, for builders that
// cannot take its bytes (Binaryen's Module, the "binaryen" backend): a stack machine over the
// template's operators, so the templates stay the one definition of their instructions.

import type { Expr, IrIntOps, IrModule, Type } from "../ir.js";
import {
  ARITH_I32, ARITH_I64, BR_IF, CMP_I32, CMP_I64, I32_CONST, I32_WRAP_I64, I64_CONST, I64_EXTEND_I32_U, LOAD_I64, LOCAL_GET, LOCAL_SET, STORE_I64,
} from "../wasm/opcodes.js";
import { Hole, templateCode, type Fields, type TemplateId } from "../wasm/template.js";

type Name = keyof IrIntOps;
/** Operator opcode → its width and Binaryen name. */
const OPERATORS = new Map<number, ["i32" | "i64", Name]>();
const TABLES = [["i32", ARITH_I32], ["i64", ARITH_I64], ["i32", CMP_I32], ["i64", CMP_I64], ["i64", LOAD_I64], ["i64", STORE_I64]] as const;
for (const [width, table] of TABLES) {
  for (const [name, opcode] of Object.entries(table)) OPERATORS.set(opcode, [width, name as Name]);
}
const LOADS = new Set<number>(Object.values(LOAD_I64));
const STORES = new Set<number>(Object.values(STORE_I64));

/**
 * The template's code with its placeholders filled from `fields` (dst and src are locals, of the
 * types `localType` gives; `label` a branch's), built through `m`.
 */
export function replay(m: IrModule, localType: (local: number) => Type, template: TemplateId, fields: Fields & { readonly label?: string | undefined }): Expr {
  const code = templateCode(template);
  const { dst, src, imm, off, label } = fields;
  const stack: Expr[] = [];
  let k = 0;
  const pop = (): Expr => {
    const e = stack.pop();
    if (e === undefined) throw new Error(`replay: operand stack empty at ${k}`);
    return e;
  };
  /** The immediate at k: a placeholder's value or a LEB of literal bytes. */
  const immediate = (signed: boolean): number => {
    const c = code[k++]!;
    if (c === Hole.DST) return dst;
    if (c === Hole.SRC) return src;
    if (c === Hole.IMM) return imm;
    if (c === Hole.OFF || c === Hole.NEG_OFF) return off;
    let value = 0;
    let shift = 0;
    for (let byte = c; ; byte = code[k++]!) {
      value |= (byte & 0x7f) << shift;
      shift += 7;
      if (byte < 0x80) return signed && shift < 32 && byte & 0x40 ? value | (-1 << shift) : value;
    }
  };
  while (k < code.length) {
    const op = code[k++]!;
    if (op === LOCAL_GET) {
      const local = immediate(false);
      stack.push(m.local.get(local, localType(local)));
    } else if (op === LOCAL_SET) stack.push(m.local.set(immediate(false), pop()));
    else if (op === I32_CONST) stack.push(m.i32.const(immediate(true)));
    else if (op === I64_CONST) stack.push(m.i64.const(immediate(true)));
    else if (op === I32_WRAP_I64) stack.push(m.i32.wrap(pop()));
    else if (op === I64_EXTEND_I32_U) stack.push(m.i64.extend_u(pop()));
    else if (op === BR_IF) {
      if (code[k++] !== Hole.LABEL || label === undefined) throw new Error("replay: a branch template needs its label");
      stack.push(m.br(label, pop()));
    }
    else stack.push(operator(m, op, pop, immediate));
  }
  if (stack.length !== 1) throw new Error(`replay: template leaves ${stack.length} expressions`);
  return stack[0]!;
}

function operator(m: IrModule, op: number, pop: () => Expr, immediate: (signed: boolean) => number): Expr {
  const known = OPERATORS.get(op);
  if (known === undefined) throw new Error(`replay: opcode 0x${op.toString(16)} is not a template operator`);
  const [width, name] = known;
  const ops = m[width] as unknown as Record<Name, (...args: number[]) => Expr>;
  if (LOADS.has(op) || STORES.has(op)) {
    const align = 1 << immediate(false);
    const offset = immediate(false);
    if (LOADS.has(op)) return ops[name]!(offset, align, pop());
    const value = pop();
    return ops[name]!(offset, align, pop(), value);
  }
  const b = pop();
  return ops[name]!(pop(), b);
}
