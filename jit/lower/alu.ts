// The ALU instructions without a code template (templates.ts has the regular ones): division
// and modulo, MOVSX, END and LDDW (RFC 9669 §4.1, §4.2, §5.4), with the kernel's answers where
// wasm differs:
//   - division by zero gives 0 and modulo by zero leaves dst unchanged (its 32-bit form still
//     zero-extends) where wasm would trap; a constant divisor is decided at compile time;
//   - sdiv INT_MIN / -1 gives INT_MIN (wasm's div_s traps), smod INT_MIN % -1 gives 0 (wasm's
//     rem_s already does);
//   - ALU32 results are zero-extended into the 64-bit register.

import { BpfError } from "../../vm/errors.js";
import { imm64 } from "../../vm/isa/instruction.js";
import { Pseudo } from "../../vm/isa/opcodes.js";
import { funcAddressOf } from "../../vm/program/lddw.js";
import type { AluName, OpDef } from "../../vm/isa/table.js";
import type { Expr, IrIntOps } from "../ir.js";
import type { FnLowering } from "./context.js";

type AluDef = Extract<OpDef, { kind: "alu" }>;
/** i32 or i64 operators: the same names on both. */
type IntOps = IrIntOps;

export function lowerAluLike(f: FnLowering, def: OpDef, i: number): Expr {
  const ins = f.insns[i]!;
  switch (def.kind) {
    case "alu":
      return lowerAlu(f, def, i);
    case "movsx":
      return lowerMovsx(f, def.wide, def.bits, ins.dst, ins.src);
    case "end":
      return f.set(ins.dst, byteSwap(f, def.order, def.bits, f.get(ins.dst)));
    case "lddw":
      // A callback's address (vm/program/callbacks.ts): the value that names its subprogram.
      if (def.pseudo === Pseudo.FUNC) return f.set(ins.dst, f.m.i64.const(BigInt.asIntN(64, funcAddressOf(f.insns, i))));
      if (def.pseudo !== 0) {
        throw new BpfError(
          `lddw at insn ${i} has src=${def.pseudo} (a map, BTF or function reference): the loader must resolve it before the JIT runs`,
          { insn: i },
        );
      }
      return f.set(ins.dst, f.m.i64.const(BigInt.asIntN(64, imm64(f.insns, i))));
    default:
      throw new Error(`lowerAluLike: ${def.kind}`);
  }
}

/** The ALU operators without a template (templates.ts has the rest): division and modulo. */
function lowerAlu(f: FnLowering, def: AluDef, i: number): Expr {
  const { m } = f;
  const ins = f.insns[i]!;
  const ops: IntOps = def.wide ? m.i64 : m.i32;
  if (def.op !== "div" && def.op !== "sdiv" && def.op !== "mod" && def.op !== "smod") {
    throw new Error(`lowerAlu: ${def.mnemonic} at insn ${i} has a template (templates.ts)`);
  }
  const value = division(f, def, ops, i, def.reg ? undefined : def.wide ? BigInt(ins.imm) : BigInt(ins.imm >>> 0));
  return def.wide ? f.set(ins.dst, value) : f.set32(ins.dst, value);
}

/**
 * div/sdiv/mod/smod. With a constant divisor the zero and -1 cases are decided here; with a
 * register they become `if`s around the wasm instruction (a `select` would evaluate the trapping
 * division anyway).
 */
function division(f: FnLowering, def: AluDef, ops: IntOps, i: number, divisor: bigint | undefined): Expr {
  const { m } = f;
  const ins = f.insns[i]!;
  const w = def.wide;
  const dst = (): Expr => (w ? f.get(ins.dst) : f.get32(ins.dst));
  const src = (): Expr => (w ? f.get(ins.src) : f.get32(ins.src));
  const zero = (): Expr => (w ? m.i64.const(0n) : m.i32.const(0));
  const isNegOne = (d: bigint): boolean => (w ? d === -1n : d === 0xffffffffn);
  const konst = (d: bigint): Expr => (w ? m.i64.const(d) : m.i32.const(Number(BigInt.asIntN(32, d))));
  const op = def.op;
  if (divisor !== undefined) {
    if (divisor === 0n) return op === "div" || op === "sdiv" ? zero() : dst();
    if (op === "sdiv" && isNegOne(divisor)) return ops.sub(zero(), dst());
    const d = konst(divisor);
    if (op === "div") return ops.div_u(dst(), d);
    if (op === "sdiv") return ops.div_s(dst(), d);
    return op === "mod" ? ops.rem_u(dst(), d) : ops.rem_s(dst(), d);
  }
  const ifZero = op === "div" || op === "sdiv" ? zero() : dst();
  let nonZero: Expr;
  if (op === "div") nonZero = ops.div_u(dst(), src());
  else if (op === "mod") nonZero = ops.rem_u(dst(), src());
  else if (op === "smod") nonZero = ops.rem_s(dst(), src()); // rem_s(INT_MIN, -1) = 0, no trap
  else nonZero = m.if(ops.eq(src(), w ? m.i64.const(-1n) : m.i32.const(-1)), ops.sub(zero(), dst()), ops.div_s(dst(), src()));
  if (w) nonZero = m.if(bothFit32(f, ins.dst, ins.src), narrowDivision(f, op, ins.dst, ins.src), nonZero);
  return m.if(ops.eqz(src()), ifZero, nonZero);
}

/**
 * A 64-bit division whose operands both fit in 32 bits is done as a 32-bit division (what
 * LLVM's BypassSlowDivision does on x86-64): a 64-bit `div` takes up to twice the cycles of a
 * 32-bit one, and real programs mostly divide small numbers. With both operands in [0, 2^32)
 * the unsigned 32-bit quotient and remainder are also the signed 64-bit ones, and -1 or
 * INT64_MIN never take this path.
 */
function bothFit32(f: FnLowering, a: number, b: number): Expr {
  const { m } = f;
  return m.i64.eqz(m.i64.shr_u(m.i64.or(f.get(a), f.get(b)), m.i64.const(32n)));
}

function narrowDivision(f: FnLowering, op: AluName, a: number, b: number): Expr {
  const { m } = f;
  const x = m.i32.wrap(f.get(a));
  const y = m.i32.wrap(f.get(b));
  return m.i64.extend_u(op === "div" || op === "sdiv" ? m.i32.div_u(x, y) : m.i32.rem_u(x, y));
}

function lowerMovsx(f: FnLowering, wide: boolean, bits: 8 | 16 | 32, dst: number, src: number): Expr {
  const { m } = f;
  if (wide) {
    const v = f.get(src);
    return f.set(dst, bits === 8 ? m.i64.extend8_s(v) : bits === 16 ? m.i64.extend16_s(v) : m.i64.extend32_s(v));
  }
  const v = f.get32(src);
  return f.set32(dst, bits === 8 ? m.i32.extend8_s(v) : m.i32.extend16_s(v));
}

/**
 * Byte swaps (RFC 9669 §4.2). The host (wasm) is little-endian, so `le` only truncates to the
 * width and `be`/`bswap` reverse the bytes; results of width < 64 are zero-extended.
 */
export function byteSwap(f: FnLowering, order: "le" | "be" | "swap", bits: 16 | 32 | 64, v: Expr): Expr {
  const { m } = f;
  if (order === "le") {
    if (bits === 64) return v;
    return m.i64.and(v, m.i64.const(bits === 16 ? 0xffffn : 0xffffffffn));
  }
  if (bits === 16) return m.i64.extend_u(bswap16(f, m.i32.wrap(v)));
  if (bits === 32) return m.i64.extend_u(bswap32(f, m.i32.wrap(v)));
  return bswap64(f, v);
}

/** The low 16 bits of an i32, byte-swapped, zero-extended. */
export function bswap16(f: FnLowering, v: Expr): Expr {
  const { m } = f;
  const t = f.t32(0);
  return m.i32.or(
    m.i32.and(m.i32.shl(m.local.tee(t, v, f.bn.i32), m.i32.const(8)), m.i32.const(0xff00)),
    m.i32.and(m.i32.shr_u(m.local.get(t, f.bn.i32), m.i32.const(8)), m.i32.const(0xff)),
  );
}

/** bswap32 as two rotates: bytes 0,2 move left by 8 and bytes 1,3 right by 8, modulo 32. */
export function bswap32(f: FnLowering, v: Expr): Expr {
  const { m } = f;
  const t = f.t32(0);
  return m.i32.or(
    m.i32.rotr(m.i32.and(m.local.tee(t, v, f.bn.i32), m.i32.const(0x00ff00ff)), m.i32.const(8)),
    m.i32.rotl(m.i32.and(m.local.get(t, f.bn.i32), m.i32.const(0xff00ff00 | 0)), m.i32.const(8)),
  );
}

/** bswap64: swap the 32-bit halves, each byte-swapped. */
function bswap64(f: FnLowering, v: Expr): Expr {
  const { m, bn } = f;
  const t = f.t64(0);
  const lo = m.i64.extend_u(bswap32(f, m.i32.wrap(m.local.tee(t, v, bn.i64))));
  const hi = m.i64.extend_u(bswap32(f, m.i32.wrap(m.i64.shr_u(m.local.get(t, bn.i64), m.i64.const(32n)))));
  return m.i64.or(m.i64.shl(lo, m.i64.const(32n)), hi);
}
