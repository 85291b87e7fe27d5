// xdp_adjust_head (44), xdp_adjust_meta (54), xdp_adjust_tail (65): grow or shrink an XDP packet
// by moving the addresses in its xdp_md (net/core/filter.c bpf_xdp_adjust_*). The packet lives
// in its CPU's packet slot (vm/memory/layout.ts):
//
//   packetSlot                         packetData (default data)                       packetEnd
//   | xdp_frame (40) | headroom ......... | data_meta .. | data ........ data_end | tailroom |
//   ^ data_hard_start                                                          data_hard_end ^
//
// as in the kernel, where data_hard_start is XDP_PACKET_HEADROOM (256) bytes before the packet
// and the first sizeof(struct xdp_frame) bytes of it are reserved. The frame is one page
// (xdp-frags.ts): the linear tail may grow up to data_hard_start + 3776 (a page minus
// skb_shared_info, as in a test run: 3520 bytes of packet), or the slot's end if the layout is
// smaller; a frame with fragments grows and shrinks at its last fragment. After a successful
// call, packet pointers the program held are stale: the verifier makes it reload them from the ctx.
//
// A test run builds each frame in a zeroed buffer (bpf_test_init), so headroom a program exposes
// reads as zeros there; the packet slot here keeps what earlier runs wrote below the frame, so
// headroom is zeroed the first time a run exposes it (exposeHeadroom).

import { BpfRuntimeError } from "../../errors.js";
import { REC_XDP_EXPOSED } from "../../runtime/record-abi.js";
import type { CpuRegion, Layout } from "../../memory/layout.js";
import type { HelperContext, HelperDef } from "../registry.js";
import { XDP_DATA, XDP_DATA_END, XDP_DATA_META } from "./context.js";
import { memOf, s32, type Mem } from "./memory.js";
import { EACCES, EINVAL, ENOTSUPP, errno, ETH_HLEN, XDP_FRAME_SIZE, XDP_META_MAX } from "./uapi.js";
import { withTwin } from "./twins.js";
import { lastFragTailroom, setXdpFrags, xdpFrags, xdpHardEnd } from "./xdp-frags.js";

/** An XDP buffer as the helpers see it: the xdp_md fields and the frame they may move in. */
interface XdpBuff {
  readonly mem: Mem;
  readonly ctx: number;
  readonly data: number;
  readonly end: number;
  readonly meta: number;
  /** data_hard_start + sizeof(struct xdp_frame): neither data nor data_meta go below it. */
  readonly frameEnd: number;
  /** data_hard_end: the linear tail's limit. */
  readonly hardEnd: number;
  /** Bytes in fragments after `end` (xdp-frags.ts). */
  readonly frags: number;
  readonly slot: CpuRegion;
}

function xdpBuff(helper: string, hctx: HelperContext, layout: Layout, ctxReg: bigint): XdpBuff {
  const mem = memOf(hctx.memory);
  const ctx = mem.span(helper, "ctx", ctxReg, XDP_DATA_META + 4);
  const data = mem.u32(ctx + XDP_DATA);
  const end = mem.u32(ctx + XDP_DATA_END);
  const meta = mem.u32(ctx + XDP_DATA_META);
  const slot: CpuRegion = layout.cpu(hctx.cpu);
  // The helper may only move the packet inside the slot it owns; a packet elsewhere (say, read
  // in place from the corpus) has no headroom or tailroom of ours to grow into.
  if (!(slot.packetSlot <= data && data <= end && end <= slot.packetEnd)) {
    throw new BpfRuntimeError(
      `${helper}: the packet [0x${data.toString(16)}, 0x${end.toString(16)}) is not in CPU ${hctx.cpu}'s packet slot [0x${slot.packetSlot.toString(16)}, 0x${slot.packetEnd.toString(16)})`,
      { addr: data },
    );
  }
  return { mem, ctx, data, end, meta, frameEnd: slot.packetSlot + XDP_FRAME_SIZE, hardEnd: xdpHardEnd(slot), frags: xdpFrags(mem.view, slot, end), slot };
}

/** xdp_data_meta_unsupported(): a driver without metadata support leaves data_meta = data + 1. */
const metaUnsupported = (b: XdpBuff): boolean => b.meta > b.data;

/**
 * Headroom down to `lowest` is about to be part of the frame (data or data_meta moves there).
 * Bytes this run has not exposed before — below the record's low mark, or below where the frame
 * was placed — are zeroed, as they are in a test run's fresh buffer; bytes exposed before hold
 * what the program wrote there.
 */
function exposeHeadroom(b: XdpBuff, lowest: number): void {
  const mark = b.slot.scratch + REC_XDP_EXPOSED;
  const low = b.mem.u32(mark) || b.slot.packetData;
  if (lowest >= low) return;
  b.mem.bytes.fill(0, lowest, low);
  b.mem.setU32(mark, lowest);
}

/**
 * bpf_xdp_adjust_head: data += offset. The new data must leave room for the xdp_frame and the
 * metadata in front of it and at least ETH_HLEN bytes of packet (-EINVAL). Metadata moves with
 * data. The kernel does not clear grown headroom: it holds what the buffer held, zeros in a test
 * run unless this run wrote there (exposeHeadroom).
 */
function adjustHead(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg, offsetReg) => {
    const b = xdpBuff("xdp_adjust_head", hctx, layout, ctxReg);
    const offset = s32(offsetReg);
    const metalen = metaUnsupported(b) ? 0 : b.data - b.meta;
    const data = b.data + offset;
    if (data < b.frameEnd + metalen || data > b.end - ETH_HLEN) return errno(EINVAL);
    exposeHeadroom(b, data - metalen);
    if (metalen) b.mem.bytes.copyWithin(b.meta + offset, b.meta, b.data);
    b.mem.setU32(b.ctx + XDP_DATA_META, b.meta + offset);
    b.mem.setU32(b.ctx + XDP_DATA, data);
    return 0n;
  };
}

/**
 * bpf_xdp_adjust_tail: data_end += offset, within data_hard_end and keeping ETH_HLEN bytes
 * (-EINVAL). Bytes a growing tail exposes are zeroed, as the kernel does. A frame with fragments
 * changes at its end instead (adjustFragsTail).
 */
function adjustTail(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg, offsetReg) => {
    const b = xdpBuff("xdp_adjust_tail", hctx, layout, ctxReg);
    const offset = s32(offsetReg);
    if (b.frags) return adjustFragsTail(b, offset);
    const end = b.end + offset;
    if (end > b.hardEnd || end < b.data + ETH_HLEN) return errno(EINVAL);
    if (offset > 0) b.mem.bytes.fill(0, b.end, end);
    b.mem.setU32(b.ctx + XDP_DATA_END, end);
    return 0n;
  };
}

/**
 * bpf_xdp_frags_shrink_tail / bpf_xdp_frags_increase_tail. Shrinking by more than the buffer
 * less ETH_HLEN is -EINVAL; otherwise fragments are released from the end, and what is left of
 * `-offset` once all are gone comes off the linear part. Growing is limited to the last
 * fragment's page (-EINVAL past it; the new bytes zeroed). The bytes after the slot's end do not
 * exist here: growing into them is -EINVAL too (a slot sized to the frame has no room for it).
 */
function adjustFragsTail(b: XdpBuff, offset: number): bigint {
  const view = b.mem.view;
  if (offset < 0) {
    const shrink = -offset;
    if (shrink > b.end - b.data + b.frags - ETH_HLEN) return errno(EINVAL);
    if (shrink < b.frags) {
      setXdpFrags(view, b.slot, b.end, b.frags - shrink);
      return 0n;
    }
    const end = b.end - (shrink - b.frags);
    setXdpFrags(view, b.slot, end, 0);
    b.mem.setU32(b.ctx + XDP_DATA_END, end);
    return 0n;
  }
  const last = b.end + b.frags;
  if (offset > lastFragTailroom(b.frags) || last + offset > b.slot.packetEnd) return errno(EINVAL);
  b.mem.bytes.fill(0, last, last + offset);
  setXdpFrags(view, b.slot, b.end, b.frags + offset);
  return 0n;
}

/**
 * bpf_xdp_adjust_meta: data_meta += offset. -ENOTSUPP when the buffer has no metadata support,
 * -EINVAL when data_meta would leave [frame end, data], -EACCES when the metadata length would
 * not be a multiple of 4 or exceed 255 bytes (xdp_metalen_invalid; 6.18 allows more than the
 * 32 bytes of older kernels — checked: 216 bytes are accepted here).
 */
function adjustMeta(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg, offsetReg) => {
    const b = xdpBuff("xdp_adjust_meta", hctx, layout, ctxReg);
    if (metaUnsupported(b)) return errno(ENOTSUPP);
    const meta = b.meta + s32(offsetReg);
    if (meta < b.frameEnd || meta > b.data) return errno(EINVAL);
    const metalen = b.data - meta;
    if (metalen & 3 || metalen > XDP_META_MAX) return errno(EACCES);
    exposeHeadroom(b, meta);
    b.mem.setU32(b.ctx + XDP_DATA_META, meta);
    return 0n;
  };
}

/**
 * The three adjust helpers for a machine's layout (they need each CPU's packet slot), with their
 * twins for JIT code (./as/xdp-adjust.ts).
 */
export function xdpAdjustHelpers(layout: Layout): HelperDef[] {
  const args = ["ptr_to_ctx", "anything"] as const;
  return [
    withTwin({ id: 44, name: "xdp_adjust_head", args, ret: "integer", impl: adjustHead(layout) }, "xdp_adjust_head"),
    withTwin({ id: 54, name: "xdp_adjust_meta", args, ret: "integer", impl: adjustMeta(layout) }, "xdp_adjust_meta"),
    withTwin({ id: 65, name: "xdp_adjust_tail", args, ret: "integer", impl: adjustTail(layout) }, "xdp_adjust_tail"),
  ];
}
