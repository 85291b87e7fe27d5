// The XDP frame as the kernel builds it: one 4 KiB page (BPF_PROG_TEST_RUN's frame_sz, and that of
// page-per-packet drivers) = XDP_PACKET_HEADROOM (256) + packet + the skb_shared_info the page
// ends with (320 bytes on x86-64). So the linear part holds at most 3520 bytes and data_end may
// never pass data_hard_start + 3776 (xdp_data_hard_end); bpf_prog_test_run_xdp puts the bytes of a
// longer frame into fragments, whole pages except the last, and the program sees data_end -
// data = 3520 (a multi-buffer frame, even for a program not loaded as xdp.frags).
//
// Here a frame's bytes stay contiguous in the packet slot: the fragments are the bytes right
// after data_end, and their length is kept in the CPU's run record (vm/runtime/record.ts) next to
// the data_end they follow, so a record left over from another run (or a data_end a program no
// longer has) means "no fragments". Fragments matter to the helpers that see the whole buffer:
// xdp_get_buff_len, xdp_load_bytes / xdp_store_bytes, perf_event_output's packet bytes and
// xdp_adjust_tail (net/core/filter.c bpf_xdp_frags_shrink_tail / bpf_xdp_frags_increase_tail);
// xdp_adjust_head / xdp_adjust_meta only move data and data_meta within the linear part.

import type { CpuRegion, Layout } from "../../memory/layout.js";
import { PACKET_HEADROOM } from "../../memory/layout.js";
import { REC_XDP_FRAGS, REC_XDP_FRAGS_END } from "../../runtime/record.js";
import type { Mem } from "./memory.js";

/** PAGE_SIZE: the frame (frame_sz) of a test run, and the size of each fragment page. */
export const XDP_PAGE = 4096;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: the tailroom a frame keeps. */
export const SKB_SHARED_INFO_SIZE = 320;
/** xdp_data_hard_end - data_hard_start: the linear part may reach this far. */
export const XDP_HARD_END = XDP_PAGE - SKB_SHARED_INFO_SIZE;
/** The most bytes of packet the linear part holds at entry (max_data_sz of bpf_prog_test_run_xdp): 3520. */
export const XDP_LINEAR_MAX = XDP_HARD_END - PACKET_HEADROOM;

/** data_hard_end of a CPU's frame: a page after data_hard_start, or the slot's end if that comes first. */
export const xdpHardEnd = (slot: CpuRegion): number => Math.min(slot.packetEnd, slot.packetSlot + XDP_HARD_END);

/** The fragment bytes after `dataEnd` (0 when the record names another data_end). */
export function xdpFrags(view: DataView, slot: CpuRegion, dataEnd: number): number {
  const frags = view.getUint32(slot.scratch + REC_XDP_FRAGS, true);
  return frags !== 0 && view.getUint32(slot.scratch + REC_XDP_FRAGS_END, true) === dataEnd ? frags : 0;
}

/** Record that `frags` bytes of fragments follow `dataEnd` (0: a linear frame). */
export function setXdpFrags(view: DataView, slot: CpuRegion, dataEnd: number, frags: number): void {
  view.setUint32(slot.scratch + REC_XDP_FRAGS, frags, true);
  view.setUint32(slot.scratch + REC_XDP_FRAGS_END, frags ? dataEnd : 0, true);
}

/**
 * Record the frame [data, data + len) as the test run builds it: linear up to `linearEnd`
 * (default XDP_LINEAR_MAX bytes on), the rest fragments. Returns its data_end.
 */
export function setXdpFrame(view: DataView, slot: CpuRegion, data: number, len: number, linearEnd = data + XDP_LINEAR_MAX): number {
  const end = Math.min(data + len, linearEnd);
  setXdpFrags(view, slot, end, data + len - end);
  return end;
}

/**
 * Room left in the last fragment: the test run fills each fragment page from its start
 * (skb_frag_off 0, rxq frag_size = PAGE_SIZE), every page full but the last, and shrinking
 * releases pages from the end, so the last page holds ((frags - 1) mod 4096) + 1 bytes.
 */
export const lastFragTailroom = (frags: number): number => XDP_PAGE - (((frags - 1) % XDP_PAGE) + 1);

/** The whole buffer of an XDP program on `cpu`: [data, end) linear, then `frags` bytes. */
export function xdpBufferLength(mem: Mem, layout: Layout, cpu: number, data: number, end: number): number {
  return end - data + xdpFrags(mem.view, layout.cpu(cpu), end);
}
