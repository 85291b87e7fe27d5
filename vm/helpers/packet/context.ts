// Where a helper finds the packet: through the context struct the program passes in r1. Both
// xdp_md and __sk_buff hold real addresses in our memory (vm/programs, docs/memory-model.md), so
// the packet of an XDP program is [xdp_md.data, xdp_md.data_end) and that of an skb program
// [__sk_buff.data, __sk_buff.data_end). A linear skb's len is data_end - data, which is what the
// kernel's skb helpers bound offsets by (skb->len / skb_headlen in a BPF_PROG_TEST_RUN skb).

import { BpfRuntimeError } from "../../errors.js";
import { ctxField } from "../../programs/context.js";
import { SK_BUFF_TC } from "../../programs/skb.js";
import { XDP_MD } from "../../programs/xdp.js";
import type { Mem } from "./memory.js";

export const XDP_DATA = ctxField(XDP_MD, "data").offset; // 0
export const XDP_DATA_END = ctxField(XDP_MD, "data_end").offset; // 4
export const XDP_DATA_META = ctxField(XDP_MD, "data_meta").offset; // 8
export const SKB_DATA = ctxField(SK_BUFF_TC, "data").offset; // 76
export const SKB_DATA_END = ctxField(SK_BUFF_TC, "data_end").offset; // 80
/** __sk_buff.hash: skb->hash, which get_hash_recalc fills and BPF_F_INVALIDATE_HASH clears. */
export const SKB_HASH = ctxField(SK_BUFF_TC, "hash").offset; // 68

/** A packet as a helper sees it: the ctx address and [data, end). */
export interface PacketView {
  readonly ctx: number;
  readonly data: number;
  readonly end: number;
}

function packetAt(mem: Mem, helper: string, ctxReg: bigint, dataOff: number, endOff: number): PacketView {
  const ctx = mem.span(helper, "ctx", ctxReg, Math.max(dataOff, endOff) + 4);
  const data = mem.u32(ctx + dataOff);
  const end = mem.u32(ctx + endOff);
  if (!(data <= end && mem.valid(data, end - data))) {
    throw new BpfRuntimeError(`${helper}: the ctx's packet [0x${data.toString(16)}, 0x${end.toString(16)}) is not a range in the memory`, { addr: data });
  }
  return { ctx, data, end };
}

/** The packet of an XDP program: xdp_md.data .. xdp_md.data_end. */
export const xdpPacket = (mem: Mem, helper: string, ctxReg: bigint): PacketView => packetAt(mem, helper, ctxReg, XDP_DATA, XDP_DATA_END);

/** The packet of an skb program (socket filter, tc): __sk_buff.data .. __sk_buff.data_end. */
export const skbPacket = (mem: Mem, helper: string, ctxReg: bigint): PacketView => packetAt(mem, helper, ctxReg, SKB_DATA, SKB_DATA_END);
