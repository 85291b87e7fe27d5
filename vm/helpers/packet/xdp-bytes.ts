// xdp_get_buff_len (188), xdp_load_bytes (189), xdp_store_bytes (190): the XDP counterparts of
// skb_load_bytes / skb_store_bytes (net/core/filter.c). They reach packet bytes by offset from
// xdp_md.data, which also works for a multi-buffer (fragmented) frame: the buffer's length is
// data_end - data plus the fragments (xdp-frags.ts), whose bytes follow data_end in the slot.
//
// bpf_xdp_pointer checks, in this order: offset or len above 0xffff -> -EFAULT; offset + len past
// the buffer's length -> -EINVAL. Unlike skb_load_bytes, a failed load leaves the destination as
// it was.

import type { Layout } from "../../memory/layout.js";
import type { HelperContext, HelperDef } from "../registry.js";
import { xdpPacket } from "./context.js";
import { memOf, u32, type Mem } from "./memory.js";
import { withTwin } from "./twins.js";
import { EFAULT, EINVAL, errno } from "./uapi.js";
import { xdpBufferLength } from "./xdp-frags.js";

/** The largest offset and length bpf_xdp_pointer takes. */
const MAX_OFF = 0xffff;

/** The buffer of the program's xdp_md: where it starts and its length with fragments. */
export function xdpBuffer(mem: Mem, layout: Layout, ctx: HelperContext, helper: string, xdp: bigint): { data: number; length: number } {
  const packet = xdpPacket(mem, helper, xdp);
  return { data: packet.data, length: xdpBufferLength(mem, layout, ctx.cpu, packet.data, packet.end) };
}

/** BPF_FUNC_xdp_get_buff_len (188): the frame's length, linear part and fragments. */
function xdpGetBuffLen(layout: Layout): HelperDef {
  return withTwin({
    id: 188,
    name: "xdp_get_buff_len",
    args: ["ptr_to_ctx"],
    ret: "integer",
    impl: (ctx, xdp) => BigInt(xdpBuffer(memOf(ctx.memory), layout, ctx, "xdp_get_buff_len", xdp).length),
  }, "xdp_get_buff_len");
}

/** Where [offset, offset + len) of the frame starts, or the error bpf_xdp_pointer returns. */
export function xdpOffset(buffer: { data: number; length: number }, offset: number, len: number): number | bigint {
  if (offset > MAX_OFF || len > MAX_OFF) return errno(EFAULT);
  if (offset + len > buffer.length) return errno(EINVAL);
  return buffer.data + offset;
}

/**
 * xdp_load_bytes (189, frame → buf, buf may be uninitialised) and xdp_store_bytes (190, buf →
 * frame): the same checks, then one copy in the helper's direction.
 */
function xdpCopyBytes(layout: Layout, id: 189 | 190): HelperDef {
  const load = id === 189;
  const name = load ? "xdp_load_bytes" : "xdp_store_bytes";
  return withTwin({
    id,
    name,
    args: ["ptr_to_ctx", "anything", load ? "ptr_to_uninit_mem" : "ptr_to_mem", "const_size"],
    ret: "integer",
    impl: (ctx, xdp, offsetReg, bufReg, lenReg) => {
      const mem = memOf(ctx.memory);
      const buffer = xdpBuffer(mem, layout, ctx, name, xdp);
      const len = u32(lenReg);
      return xdpCopy(mem, buffer, u32(offsetReg), mem.span(name, "buf", bufReg, len), len, load);
    },
  }, name);
}

/**
 * __bpf_xdp_load_bytes (load) / __bpf_xdp_store_bytes: len bytes between the frame at offset and
 * memory at `buf`; 0, or bpf_xdp_pointer's error.
 */
export function xdpCopy(mem: Mem, buffer: { data: number; length: number }, offset: number, buf: number, len: number, load: boolean): bigint {
  const at = xdpOffset(buffer, offset, len);
  if (typeof at === "bigint") return at;
  if (load) mem.bytes.copyWithin(buf, at, at + len);
  else mem.bytes.copyWithin(at, buf, buf + len);
  return 0n;
}

/**
 * The three helpers for a machine's layout (fragments are in each CPU's run record), with their
 * twins for JIT code (./as/xdp-bytes.ts).
 */
export function xdpBytesHelpers(layout: Layout): HelperDef[] {
  return [xdpGetBuffLen(layout), xdpCopyBytes(layout, 189), xdpCopyBytes(layout, 190)];
}
