// skb_load_bytes (26) and skb_store_bytes (9): copy between the skb's packet and program memory
// (net/core/filter.c). Offsets are bounded by the packet, [__sk_buff.data, __sk_buff.data_end);
// out of bounds is -EFAULT, and a failed load zeroes the destination (the kernel's err_clear),
// so the program never reads stale bytes after an error.

import type { HelperDef } from "../registry.js";
import { SKB_HASH, skbPacket, type PacketView } from "./context.js";
import { memOf, u32, type Mem } from "./memory.js";
import { BPF_F_INVALIDATE_HASH, BPF_F_RECOMPUTE_CSUM, EFAULT, EINVAL, errno, INT_MAX } from "./uapi.js";

/** BPF_FUNC_skb_load_bytes (26): len bytes of the packet at offset into `to`. */
export const skbLoadBytes: HelperDef = {
  id: 26,
  name: "skb_load_bytes",
  args: ["ptr_to_ctx", "anything", "ptr_to_uninit_mem", "const_size"],
  ret: "integer",
  impl: (ctx, skb, offsetReg, toReg, lenReg) => {
    const mem = memOf(ctx.memory);
    const packet = skbPacket(mem, "skb_load_bytes", skb);
    const len = u32(lenReg);
    return skbLoad(mem, packet, u32(offsetReg), mem.span("skb_load_bytes", "to", toReg, len), len);
  },
};

/** __bpf_skb_load_bytes: len bytes at offset into memory at `to`; 0, or -EFAULT with `to` zeroed. */
export function skbLoad(mem: Mem, packet: PacketView, offset: number, to: number, len: number): bigint {
  const bytes = mem.bytes;
  if (offset > INT_MAX || offset + len > packet.end - packet.data) {
    bytes.fill(0, to, to + len);
    return errno(EFAULT);
  }
  bytes.copyWithin(to, packet.data + offset, packet.data + offset + len);
  return 0n;
}

const STORE_FLAGS = BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH;

/**
 * BPF_FUNC_skb_store_bytes (9): write len bytes from `from` into the packet at offset.
 * BPF_F_RECOMPUTE_CSUM only updates skb->csum of a CHECKSUM_COMPLETE skb, which ours never is
 * (accepted, no effect on the bytes); BPF_F_INVALIDATE_HASH clears skb->hash (__sk_buff.hash).
 */
export const skbStoreBytes: HelperDef = {
  id: 9,
  name: "skb_store_bytes",
  args: ["ptr_to_ctx", "anything", "ptr_to_mem", "const_size", "anything"],
  ret: "integer",
  impl: (ctx, skb, offsetReg, fromReg, lenReg, flags) => {
    if (flags & ~STORE_FLAGS) return errno(EINVAL); // before anything is touched, as the kernel's
    const mem = memOf(ctx.memory);
    const packet = skbPacket(mem, "skb_store_bytes", skb);
    const len = u32(lenReg);
    return skbStore(mem, packet, u32(offsetReg), mem.span("skb_store_bytes", "from", fromReg, len), len, flags);
  },
};

/** __bpf_skb_store_bytes: len bytes from memory at `from` into the packet at offset; 0, -EINVAL, -EFAULT. */
export function skbStore(mem: Mem, packet: PacketView, offset: number, from: number, len: number, flags: bigint): bigint {
  if (flags & ~STORE_FLAGS) return errno(EINVAL);
  if (offset > INT_MAX) return errno(EFAULT);
  if (offset + len > packet.end - packet.data) return errno(EFAULT); // bpf_try_make_writable
  mem.bytes.copyWithin(packet.data + offset, from, from + len);
  if (flags & BPF_F_INVALIDATE_HASH) mem.setU32(packet.ctx + SKB_HASH, 0);
  return 0n;
}
