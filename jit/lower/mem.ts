// The legacy packet loads LD_ABS/LD_IND (RFC 9669 §5.5). The ordinary loads and stores (§5.1,
// §5.2) are code templates (templates.ts).

import type { OpDef } from "../../vm/isa/table.js";
import type { Expr } from "../ir.js";
import { bswap16, bswap32 } from "./alu.js";
import type { FnLowering } from "./context.js";
import { SKB_MAC_AT, SKB_NETWORK_AT } from "../../vm/helpers/packet/skb-state.js";
import { ETH_HLEN } from "../../vm/helpers/packet/uapi.js";
import { SKF_LL_OFF, SKF_NET_OFF } from "../../vm/program/ld-abs.js";

export function lowerMemory(f: FnLowering, def: OpDef, i: number): Expr {
  if (def.kind !== "ldpkt") throw new Error(`lowerMemory: ${def.mnemonic} at insn ${i} has a template (templates.ts)`);
  return lowerPacketLoad(f, def.bytes, def.ind, i);
}

/**
 * LD_ABS / LD_IND, as the kernel rewrites them (net/core/filter.c bpf_gen_ld_abs): r6 is the
 * context; the offset is imm (ABS) or src + imm (IND) taken as a signed 32-bit int; r0 is the
 * big-endian value at the address vm/program/ld-abs.ts's ldAbsAddress gives, zero-extended, and
 * when there is none the current function returns 0. "The current function" is the subprogram:
 * a callee returns 0 to its caller, which goes on, exactly like an `exit` with r0 = 0 (r1..r5
 * handed back as at any exit); the interpreter does the same.
 */
function lowerPacketLoad(f: FnLowering, bytes: 1 | 2 | 4, ind: boolean, i: number): Expr {
  const { m, bn } = f;
  const ins = f.insns[i]!;
  const fields = f.mod.packet;
  const [at, off, data] = [f.t32(0), f.t32(1), f.t32(2)];
  const get = (local: number): Expr => m.local.get(local, bn.i32);
  const offset = ind ? m.i32.add(f.get32(ins.src), m.i32.const(ins.imm)) : m.i32.const(ins.imm);
  const dataEnd = (): Expr => m.i32.load(fields.dataEnd, 4, f.get32(6));
  // [at, at + size) within [lower, data_end), in 64 bits so nothing wraps.
  const outside = (lower: Expr): Expr =>
    m.i32.or(
      m.i32.lt_u(get(at), lower),
      m.i64.gt_u(m.i64.add(m.i64.extend_u(get(at)), m.i64.const(BigInt(bytes))), m.i64.extend_u(dataEnd())),
    );
  const value =
    bytes === 1
      ? m.i64.load8_u(0, 1, get(at))
      : bytes === 2
        ? m.i64.extend_u(bswap16(f, m.i32.load16_u(0, 1, get(at))))
        : m.i64.extend_u(bswap32(f, m.i32.load(0, 1, get(at))));
  return m.block(
    null,
    [
      m.local.set(off, offset),
      m.local.set(data, m.i32.load(fields.data, 4, f.get32(6))),
      m.if(
        m.i32.lt_s(get(off), m.i32.const(0)),
        specialOffset(f, at, off, data),
        m.local.set(at, m.i32.add(get(data), get(off))),
      ),
      m.if(outside(get(data)), f.ret(m.i64.const(0n))),
      f.set(0, value),
    ],
    bn.none,
  );
}

/**
 * A negative offset (ldAbsAddress): `at` = the network or MAC header + the offset's part past
 * SKF_NET_OFF / SKF_LL_OFF, and `data` = the MAC header, the lower bound; below SKF_LL_OFF the
 * function returns 0. A header address of 0 in the skb state means "not moved": the MAC header
 * is at data and the network header ETH_HLEN past it.
 */
function specialOffset(f: FnLowering, at: number, off: number, data: number): Expr {
  const { m, bn } = f;
  const get = (local: number): Expr => m.local.get(local, bn.i32);
  const header = (field: number, otherwise: Expr): Expr =>
    m.if(m.local.tee(at, m.i32.load(field, 4, f.get32(6)), bn.i32), get(at), otherwise);
  return m.block(
    null,
    [
      m.local.set(data, header(SKB_MAC_AT, get(data))),
      m.if(m.i32.lt_s(get(off), m.i32.const(SKF_LL_OFF)), f.ret(m.i64.const(0n))),
      m.local.set(
        at,
        m.if(
          m.i32.ge_s(get(off), m.i32.const(SKF_NET_OFF)),
          m.i32.add(header(SKB_NETWORK_AT, m.i32.add(get(data), m.i32.const(ETH_HLEN))), m.i32.sub(get(off), m.i32.const(SKF_NET_OFF))),
          m.i32.add(get(data), m.i32.sub(get(off), m.i32.const(SKF_LL_OFF))),
        ),
      ),
    ],
    bn.none,
  );
}
