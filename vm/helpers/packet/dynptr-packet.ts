// The data of skb and xdp dynptrs (bpf_dynptr_from_skb / _from_xdp, vm/helpers/kfunc/dynptr.ts):
// the dynptr's `data` is the program's context, and its bytes are the packet's as the ctx says
// now, read and written as skb_load_bytes / skb_store_bytes and xdp_load_bytes /
// xdp_store_bytes do (net/core/filter.c __bpf_skb_load_bytes, __bpf_skb_store_bytes,
// __bpf_xdp_load_bytes, __bpf_xdp_store_bytes), and sliced as bpf_dynptr_slice does
// (skb_header_pointer, bpf_xdp_pointer, bpf_xdp_copy_buf). An XDP frame's fragments follow its
// linear part in the slot (xdp-frags.ts), so only a slice needs to know where one ends: the
// kernel hands out a pointer only into one piece (the linear part, or one fragment page).

import type { Layout } from "../../memory/layout.js";
import type { HelperContext } from "../registry.js";
import { skbPacket, xdpPacket } from "./context.js";
import type { Mem } from "./memory.js";
import { skbLoad, skbStore } from "./skb-bytes.js";
import { XDP_PAGE } from "./xdp-frags.js";
import { DynptrType } from "../dynptr-type.js";
import { xdpBuffer, xdpCopy, xdpOffset } from "./xdp-bytes.js";

/** What a dynptr helper or kfunc needs of an skb or xdp dynptr: its ctx and type. */
export interface PacketDynptr {
  readonly ctx: bigint;
  readonly type: number;
}

export interface PacketDynptrAccess {
  /** Copy len bytes at offset of the packet to `to`: 0 or a negative errno. */
  read(mem: Mem, ctx: HelperContext, d: PacketDynptr, offset: number, to: number, len: number): bigint;
  /** Copy len bytes from `from` to offset of the packet (flags: skb_store_bytes's): 0 or a negative errno. */
  write(mem: Mem, ctx: HelperContext, d: PacketDynptr, offset: number, from: number, len: number, flags: bigint): bigint;
  /** bpf_dynptr_slice: the address of len bytes at offset, the buffer holding their copy, or 0. */
  slice(mem: Mem, ctx: HelperContext, d: PacketDynptr, offset: number, len: number, buffer: number): number;
  /** The packet's length now (xdp_get_buff_len, skb->len): a new dynptr's size. */
  length(mem: Mem, ctx: HelperContext, d: PacketDynptr): number;
}

/** The packet dynptrs of a machine whose memory is laid out as `layout`. */
export function packetDynptrAccess(layout: Layout): PacketDynptrAccess {
  const xdp = (mem: Mem, ctx: HelperContext, d: PacketDynptr) => xdpBuffer(mem, layout, ctx, "dynptr", d.ctx);
  const skb = (mem: Mem, d: PacketDynptr) => skbPacket(mem, "dynptr", d.ctx);
  return {
    read: (mem, ctx, d, offset, to, len) => (d.type === DynptrType.XDP ? xdpCopy(mem, xdp(mem, ctx, d), offset, to, len, true) : skbLoad(mem, skb(mem, d), offset, to, len)),
    write: (mem, ctx, d, offset, from, len, flags) =>
      d.type === DynptrType.XDP ? xdpCopy(mem, xdp(mem, ctx, d), offset, from, len, false) : skbStore(mem, skb(mem, d), offset, from, len, flags),
    slice: (mem, ctx, d, offset, len, buffer) => {
      if (d.type !== DynptrType.XDP) {
        // A linear skb: skb_header_pointer and skb_pointer_if_linear both point into it or fail.
        const p = skb(mem, d);
        return offset + len <= p.end - p.data ? p.data + offset : 0;
      }
      const frame = xdp(mem, ctx, d);
      const at = xdpOffset(frame, offset, len);
      const linear = xdpPacket(mem, "dynptr", d.ctx);
      if (typeof at === "number" && onePiece(linear.end - linear.data, offset, len)) return at;
      if (buffer === 0) return 0;
      // bpf_xdp_copy_buf: what the frame has of [offset, offset + len).
      const end = Math.min(offset + len, frame.length);
      if (end > offset) mem.bytes.copyWithin(buffer, frame.data + offset, frame.data + end);
      return buffer;
    },
    length: (mem, ctx, d) => {
      if (d.type === DynptrType.XDP) return xdp(mem, ctx, d).length;
      const p = skb(mem, d);
      return p.end - p.data;
    },
  };
}

/**
 * bpf_xdp_pointer's last test: [offset, offset + len) lies within the piece holding `offset` —
 * the linear part of `linear` bytes, or one of the fragments after it (whole pages, as a test run
 * builds them, the last one shorter).
 */
function onePiece(linear: number, offset: number, len: number): boolean {
  if (offset < linear) return offset + len <= linear;
  const inFrag = (offset - linear) % XDP_PAGE;
  return inFrag + len <= XDP_PAGE;
}
