// skb_pull_data (39), skb_load_bytes_relative (68) and csum_update (40): the skb helpers about
// its linear data, header offsets and checksum state (net/core/filter.c). Our skbs are what a
// BPF_PROG_TEST_RUN skb is: linear (skb_headlen = skb->len = data_end - data), never cloned,
// CHECKSUM_NONE. The frame is always placed at its CPU's packetData (vm/runtime/context.ts),
// so that is the MAC header, and the network header is ETH_HLEN bytes further (the test run's
// eth_type_trans pulls 14 bytes; a VLAN tag left in the frame stays in front of the network
// header, as there); the helpers that move headers (skb_change_head, skb_adjust_room,
// skb_vlan_*, skb_change_proto) keep their new places in skb-state.ts. Where skb->data points
// does not move them: tc's data is the MAC header,
// a socket filter's the MAC header in our runtime (a packet socket's view) and the network
// header in the kernel's test run — relative loads give the same bytes either way.

import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { skbPacket } from "./context.js";
import { memOf, u32 } from "./memory.js";
import { skbHeader, type SkbHeader } from "./skb-state.js";
import { withTwin } from "./twins.js";
import { EFAULT, ENOMEM, ENOTSUPP, errno } from "./uapi.js";

/**
 * BPF_FUNC_skb_pull_data (39): make the first len bytes (0: the linear part) linear and
 * writable — bpf_try_make_writable → skb_ensure_writable: -ENOMEM when len is past the skb
 * (pskb_may_pull), else 0. Ours is already linear and private, so nothing moves; the verifier
 * still forgets the program's packet pointers (the kernel's bpf_helper_changes_pkt_data).
 */
export const skbPullData: HelperDef = {
  id: 39,
  name: "skb_pull_data",
  args: ["ptr_to_ctx", "anything"],
  ret: "integer",
  impl: (ctx, skb, lenReg) => {
    const packet = skbPacket(memOf(ctx.memory), "skb_pull_data", skb);
    return u32(lenReg) > packet.end - packet.data ? errno(ENOMEM) : 0n;
  },
};

/**
 * BPF_FUNC_csum_update (40): adds to skb->csum only for a CHECKSUM_COMPLETE skb; anything
 * else, ours always (CHECKSUM_NONE), is -ENOTSUPP.
 */
export const csumUpdate: HelperDef = {
  id: 40,
  name: "csum_update",
  args: ["ptr_to_ctx", "anything"],
  ret: "integer",
  impl: (ctx, skb) => {
    skbPacket(memOf(ctx.memory), "csum_update", skb);
    return errno(ENOTSUPP);
  },
};

const BPF_HDR_START_MAC = 0;
const BPF_HDR_START_NET = 1;
/** Which header each start_header names (skb-state.ts keeps where they are). */
const HEADER_START: ReadonlyMap<number, SkbHeader> = new Map([[BPF_HDR_START_MAC, "mac"], [BPF_HDR_START_NET, "network"]]);

/**
 * BPF_FUNC_skb_load_bytes_relative (68): len bytes at offset from the MAC or network header.
 * An offset above 0xffff, an unknown start_header, or a range past the skb's tail is -EFAULT
 * with the destination zeroed (the kernel's err_clear).
 */
export const skbLoadBytesRelative = (layout: Layout): HelperDef => withTwin({
  id: 68,
  name: "skb_load_bytes_relative",
  args: ["ptr_to_ctx", "anything", "ptr_to_uninit_mem", "const_size", "anything"],
  ret: "integer",
  impl: (ctx, skb, offsetReg, toReg, lenReg, startReg) => {
    const mem = memOf(ctx.memory);
    const packet = skbPacket(mem, "skb_load_bytes_relative", skb);
    const len = u32(lenReg);
    const to = mem.span("skb_load_bytes_relative", "to", toReg, len);
    const offset = u32(offsetReg);
    const header = HEADER_START.get(u32(startReg)); // u32 start_header: the high half is ignored
    const from = header === undefined ? undefined : skbHeader(mem, packet.ctx, layout.cpu(ctx.cpu), header) + offset;
    // ptr + len <= skb_tail_pointer(skb): the tail is data_end.
    if (offset > 0xffff || from === undefined || from + len > packet.end) {
      mem.bytes.fill(0, to, to + len);
      return errno(EFAULT);
    }
    mem.bytes.copyWithin(to, from, from + len);
    return 0n;
  },
}, "skb_load_bytes_relative");
