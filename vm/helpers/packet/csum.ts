// csum_diff (28), l3_csum_replace (10), l4_csum_replace (11): the checksum helpers of
// net/core/filter.c, on top of ./checksum.ts.
//
// l3/l4_csum_replace update a checksum field of the skb's packet after a program rewrote part of
// the header. The kernel's skb also carries ip_summed/csum state (CHECKSUM_COMPLETE, _PARTIAL);
// ours is always CHECKSUM_NONE, as in a BPF_PROG_TEST_RUN skb, so the field is rewritten with
// csum_replace* and BPF_F_PSEUDO_HDR / BPF_F_IPV6 (which only steer skb->csum updates) change
// nothing in the bytes — exactly what the kernel's test runs show.

import type { HelperDef } from "../registry.js";
import { csumFrom32to16, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub } from "./checksum.js";
import { skbPacket } from "./context.js";
import { memOf, u32 } from "./memory.js";
import {
  BPF_F_HDR_FIELD_MASK, BPF_F_IPV6, BPF_F_MARK_ENFORCE, BPF_F_MARK_MANGLED_0, BPF_F_PSEUDO_HDR, CSUM_MANGLED_0, EFAULT, EINVAL, errno,
} from "./uapi.js";

/**
 * BPF_FUNC_csum_diff (28): the checksum difference of replacing `from` by `to`, seeded. Since
 * Linux 6.13 the result is folded to 16 bits (csum_from32to16) on every architecture, and sizes
 * need not be multiples of 4 (both checked on 6.18): push (from_size 0), pull (to_size 0) and diff.
 */
export const csumDiff: HelperDef = {
  id: 28,
  name: "csum_diff",
  // The kernel's from/to are ARG_PTR_TO_MEM | PTR_MAYBE_NULL: NULL is allowed with size 0.
  args: ["ptr_to_mem_or_null", "const_size_or_zero", "ptr_to_mem_or_null", "const_size_or_zero", "anything"],
  ret: "integer",
  impl: (ctx, fromReg, fromSizeReg, toReg, toSizeReg, seedReg) => {
    const mem = memOf(ctx.memory);
    const fromSize = u32(fromSizeReg);
    const toSize = u32(toSizeReg);
    const from = fromSize ? mem.span("csum_diff", "from", fromReg, fromSize) : 0;
    const to = toSize ? mem.span("csum_diff", "to", toReg, toSize) : 0;
    const bytes = mem.bytes;
    let ret = u32(seedReg);
    if (fromSize && toSize) ret = csumSub(csumPartial(bytes, to, toSize, ret), csumPartial(bytes, from, fromSize, 0));
    else if (toSize) ret = csumPartial(bytes, to, toSize, ret);
    else if (fromSize) ret = ~csumPartial(bytes, from, fromSize, ~ret >>> 0) >>> 0;
    return BigInt(csumFrom32to16(ret));
  },
};

/**
 * Where a csum_replace helper writes: offset must be even and ≤ 0xffff (-EFAULT), and the
 * 2-byte field inside the packet (bpf_try_make_writable → -EFAULT). Returns the field's address.
 */
function fieldAt(packet: { data: number; end: number }, offset: number): number | undefined {
  if (offset > 0xffff || offset & 1) return undefined;
  if (offset + 2 > packet.end - packet.data) return undefined;
  return packet.data + offset;
}

/** BPF_FUNC_l3_csum_replace (10): fix an IP header checksum at `offset`. */
export const l3CsumReplace: HelperDef = {
  id: 10,
  name: "l3_csum_replace",
  args: ["ptr_to_ctx", "anything", "anything", "anything", "anything"],
  ret: "integer",
  impl: (ctx, skb, offsetReg, from, to, flags) => {
    if (flags & ~BPF_F_HDR_FIELD_MASK) return errno(EINVAL);
    const mem = memOf(ctx.memory);
    const at = fieldAt(skbPacket(mem, "l3_csum_replace", skb), u32(offsetReg));
    if (at === undefined) return errno(EFAULT);
    const sum = mem.u16(at);
    switch (flags & BPF_F_HDR_FIELD_MASK) {
      case 0n:
        if (from !== 0n) return errno(EINVAL);
        mem.setU16(at, csumReplaceByDiff(sum, u32(to)));
        return 0n;
      case 2n:
        mem.setU16(at, csumReplace2(sum, Number(from & 0xffffn), Number(to & 0xffffn)));
        return 0n;
      case 4n:
        mem.setU16(at, csumReplace4(sum, u32(from), u32(to)));
        return 0n;
      default:
        return errno(EINVAL);
    }
  },
};

const L4_FLAGS = BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6;

/**
 * BPF_FUNC_l4_csum_replace (11): fix a TCP/UDP checksum at `offset`. BPF_F_MARK_MANGLED_0 keeps
 * a zero UDP checksum ("none") zero unless BPF_F_MARK_ENFORCE, and turns a result of 0 into
 * CSUM_MANGLED_0. The inet_proto_csum_replace* paths for CHECKSUM_NONE: the 2-byte form is the
 * 4-byte one on zero-extended words.
 */
export const l4CsumReplace: HelperDef = {
  id: 11,
  name: "l4_csum_replace",
  args: ["ptr_to_ctx", "anything", "anything", "anything", "anything"],
  ret: "integer",
  impl: (ctx, skb, offsetReg, from, to, flags) => {
    if (flags & ~L4_FLAGS) return errno(EINVAL);
    const mem = memOf(ctx.memory);
    const at = fieldAt(skbPacket(mem, "l4_csum_replace", skb), u32(offsetReg));
    if (at === undefined) return errno(EFAULT);
    const mangledZero = (flags & BPF_F_MARK_MANGLED_0) !== 0n;
    const sum = mem.u16(at);
    if (mangledZero && !(flags & BPF_F_MARK_ENFORCE) && sum === 0) return 0n;
    let next: number;
    switch (flags & BPF_F_HDR_FIELD_MASK) {
      case 0n:
        if (from !== 0n) return errno(EINVAL);
        next = csumReplaceByDiff(sum, u32(to));
        break;
      case 2n:
        next = csumReplace4(sum, Number(from & 0xffffn), Number(to & 0xffffn));
        break;
      case 4n:
        next = csumReplace4(sum, u32(from), u32(to));
        break;
      default:
        return errno(EINVAL);
    }
    mem.setU16(at, mangledZero && next === 0 ? CSUM_MANGLED_0 : next);
    return 0n;
  },
};
