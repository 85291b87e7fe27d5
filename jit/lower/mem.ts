// The legacy packet loads LD_ABS/LD_IND (RFC 9669 §5.5). The ordinary loads and stores (§5.1,
// §5.2) are code templates (templates.ts).

import type { OpDef } from "../../vm/isa/table.js";
import type { Expr } from "../ir.js";
import { bswap16, bswap32 } from "./alu.js";
import type { FnLowering } from "./context.js";

export function lowerMemory(f: FnLowering, def: OpDef, i: number): Expr {
  if (def.kind !== "ldpkt") throw new Error(`lowerMemory: ${def.mnemonic} at insn ${i} has a template (templates.ts)`);
  return lowerPacketLoad(f, def.bytes, def.ind, i);
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
