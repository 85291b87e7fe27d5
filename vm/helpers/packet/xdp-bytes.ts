// xdp_get_buff_len (188), xdp_load_bytes (189), xdp_store_bytes (190): the XDP counterparts of
// skb_load_bytes / skb_store_bytes (net/core/filter.c). They reach packet bytes by offset from
// xdp_md.data, which also works for a multi-buffer (fragmented) frame; our frames are always
// linear, so the buffer's length is data_end - data (xdp_get_buff_len without fragments).
//
// bpf_xdp_pointer checks, in this order: offset or len above 0xffff -> -EFAULT; offset + len past
// the buffer's length -> -EINVAL. Unlike skb_load_bytes, a failed load leaves the destination as
// it was.

import type { HelperDef } from "../registry.js";
import { xdpPacket } from "./context.js";
import { memOf, u32 } from "./memory.js";
import { EFAULT, EINVAL, errno } from "./uapi.js";

/** The largest offset and length bpf_xdp_pointer takes. */
const MAX_OFF = 0xffff;

/** BPF_FUNC_xdp_get_buff_len (188): the frame's length (data_end - data: no fragments here). */
export const xdpGetBuffLen: HelperDef = {
  id: 188,
  name: "xdp_get_buff_len",
  args: ["ptr_to_ctx"],
  ret: "integer",
  impl: (ctx, xdp) => {
    const packet = xdpPacket(memOf(ctx.memory), "xdp_get_buff_len", xdp);
    return BigInt(packet.end - packet.data);
  },
};

/** Where [offset, offset + len) of the frame starts, or the error bpf_xdp_pointer returns. */
function xdpOffset(packet: { data: number; end: number }, offset: number, len: number): number | bigint {
  if (offset > MAX_OFF || len > MAX_OFF) return errno(EFAULT);
  if (offset + len > packet.end - packet.data) return errno(EINVAL);
  return packet.data + offset;
}

/** BPF_FUNC_xdp_load_bytes (189): len bytes of the frame at offset into `buf`. */
export const xdpLoadBytes: HelperDef = {
  id: 189,
  name: "xdp_load_bytes",
  args: ["ptr_to_ctx", "anything", "ptr_to_uninit_mem", "const_size"],
  ret: "integer",
  impl: (ctx, xdp, offsetReg, bufReg, lenReg) => {
    const mem = memOf(ctx.memory);
    const packet = xdpPacket(mem, "xdp_load_bytes", xdp);
    const len = u32(lenReg);
    const buf = mem.span("xdp_load_bytes", "buf", bufReg, len);
    const at = xdpOffset(packet, u32(offsetReg), len);
    if (typeof at === "bigint") return at;
    mem.bytes.copyWithin(buf, at, at + len);
    return 0n;
  },
};

/** BPF_FUNC_xdp_store_bytes (190): len bytes from `buf` into the frame at offset. */
export const xdpStoreBytes: HelperDef = {
  id: 190,
  name: "xdp_store_bytes",
  args: ["ptr_to_ctx", "anything", "ptr_to_mem", "const_size"],
  ret: "integer",
  impl: (ctx, xdp, offsetReg, bufReg, lenReg) => {
    const mem = memOf(ctx.memory);
    const packet = xdpPacket(mem, "xdp_store_bytes", xdp);
    const len = u32(lenReg);
    const buf = mem.span("xdp_store_bytes", "buf", bufReg, len);
    const at = xdpOffset(packet, u32(offsetReg), len);
    if (typeof at === "bigint") return at;
    mem.bytes.copyWithin(at, buf, buf + len);
    return 0n;
  },
};
