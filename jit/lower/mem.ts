// Loads and stores (RFC 9669 §5.1, §5.2) and the legacy packet loads LD_ABS/LD_IND (§5.5).
//
// An eBPF pointer is an offset into the one memory (DESIGN.md "Memory model"), so an access is
// `load/store(i32.wrap_i64(reg)) offset=off`: wasm's offset immediate is unsigned, so a negative
// off (every stack access, r10 - 8) is folded into the address instead. Bounds are the
// verifier's business; wasm's own bounds check is the last line of defence, not a semantic one
// (a pointer whose high 32 bits are set wraps rather than faults).

import type { OpDef } from "../../vm/isa/table.js";
import type { Expr } from "../ir.js";
import { bswap16, bswap32 } from "./alu.js";
import type { FnLowering } from "./context.js";

/** The wasm pointer and offset immediate for reg + off. */
function address(f: FnLowering, reg: number, off: number): { ptr: Expr; offset: number } {
  const { m } = f;
  if (off >= 0) return { ptr: f.get32(reg), offset: off };
  return { ptr: m.i32.add(f.get32(reg), m.i32.const(off)), offset: 0 };
}

/** A load of `bytes` at ptr+offset as an i64, zero- or sign-extended. */
export function load(f: FnLowering, bytes: 1 | 2 | 4 | 8, signed: boolean, ptr: Expr, offset: number): Expr {
  const o = f.m.i64;
  switch (bytes) {
    case 1:
      return signed ? o.load8_s(offset, 1, ptr) : o.load8_u(offset, 1, ptr);
    case 2:
      return signed ? o.load16_s(offset, 2, ptr) : o.load16_u(offset, 2, ptr);
    case 4:
      return signed ? o.load32_s(offset, 4, ptr) : o.load32_u(offset, 4, ptr);
    case 8:
      return o.load(offset, 8, ptr);
  }
}

function store(f: FnLowering, bytes: 1 | 2 | 4 | 8, ptr: Expr, offset: number, value: Expr): Expr {
  const o = f.m.i64;
  switch (bytes) {
    case 1:
      return o.store8(offset, 1, ptr, value);
    case 2:
      return o.store16(offset, 2, ptr, value);
    case 4:
      return o.store32(offset, 4, ptr, value);
    case 8:
      return o.store(offset, 8, ptr, value);
  }
}

export function lowerMemory(f: FnLowering, def: OpDef, i: number): Expr {
  const ins = f.insns[i]!;
  switch (def.kind) {
    case "ldx": {
      const { ptr, offset } = address(f, ins.src, ins.off);
      return f.set(ins.dst, load(f, def.bytes, def.signed, ptr, offset));
    }
    case "st": {
      const { ptr, offset } = address(f, ins.dst, ins.off);
      return store(f, def.bytes, ptr, offset, f.imm64(ins.imm));
    }
    case "stx": {
      const { ptr, offset } = address(f, ins.dst, ins.off);
      return store(f, def.bytes, ptr, offset, f.get(ins.src));
    }
    case "ldpkt":
      return lowerPacketLoad(f, def.bytes, def.ind, i);
    default:
      throw new Error(`lowerMemory: ${def.kind}`);
  }
}

/**
 * LD_ABS / LD_IND, as the kernel rewrites them (net/core/filter.c bpf_gen_ld_abs): r6 is the
 * context; the offset is imm (ABS) or src + imm (IND) taken as a signed 32-bit int; when
 * offset < 0 or offset + size > data_end - data the current function returns 0, otherwise r0 is
 * the big-endian value at data + offset, zero-extended. (The kernel's negative "special"
 * offsets SKF_NET_OFF/SKF_LL_OFF are not supported: they return 0 too.) "The current function"
 * is the subprogram: a callee returns 0 to its caller, which goes on, exactly like an `exit`
 * with r0 = 0 (r1..r5 handed back as at any exit); the interpreter does the same.
 */
function lowerPacketLoad(f: FnLowering, bytes: 1 | 2 | 4, ind: boolean, i: number): Expr {
  const { m, bn } = f;
  const ins = f.insns[i]!;
  const fields = f.mod.packet;
  const [off, data] = [f.t32(1), f.t32(2)];
  const offset = ind ? m.i32.add(f.get32(ins.src), m.i32.const(ins.imm)) : m.i32.const(ins.imm);
  const ctx = f.get32(6);
  const setData = m.local.set(data, m.i32.load(fields.data, 4, ctx));
  const dataEnd = m.i32.load(fields.dataEnd, 4, f.get32(6));
  // In range iff 0 <= off and off + size <= data_end - data, in 64 bits so nothing wraps.
  const off64 = m.i64.extend_s(m.local.get(off, bn.i32));
  const len64 = m.i64.sub(m.i64.extend_u(dataEnd), m.i64.extend_u(m.local.get(data, bn.i32)));
  const outside = m.i32.or(
    m.i64.lt_s(off64, m.i64.const(0n)),
    m.i64.gt_s(m.i64.add(m.i64.extend_s(m.local.get(off, bn.i32)), m.i64.const(BigInt(bytes))), len64),
  );
  const ptr = m.i32.add(m.local.get(data, bn.i32), m.local.get(off, bn.i32));
  const value =
    bytes === 1
      ? m.i64.load8_u(0, 1, ptr)
      : bytes === 2
        ? m.i64.extend_u(bswap16(f, m.i32.load16_u(0, 1, ptr)))
        : m.i64.extend_u(bswap32(f, m.i32.load(0, 1, ptr)));
  return m.block(
    null,
    [
      m.local.set(off, offset),
      setData,
      m.if(outside, f.ret(m.i64.const(0n))),
      f.set(0, value),
    ],
    bn.none,
  );
}
