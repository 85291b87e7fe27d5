// skb_change_tail (38) and skb_change_head (43): grow or trim a tc program's skb at its end, or
// grow it at its front (net/core/filter.c __bpf_skb_change_tail / __bpf_skb_change_head). The
// skb model is skb-state.ts; after a call the program's packet pointers are stale (the verifier
// makes it reload data / data_end, as bpf_helper_changes_pkt_data does in the kernel).

import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { s32, u32 } from "./memory.js";
import { skbOf, type Skb } from "./skb-state.js";
import { EINVAL, ENOMEM, ENOTSUPP, errno, SKB_MAX_ALLOC } from "./uapi.js";

/**
 * __bpf_skb_min_len: the tail may not cut into the headers — the network header's offset, or
 * the transport header's when it is set (a test-run skb is CHECKSUM_NONE, never PARTIAL).
 */
function minLen(skb: Skb): number {
  let min = Math.max(0, skb.networkOffset);
  if (skb.transport && skb.transport - skb.data > 0) min = skb.transport - skb.data;
  return min;
}

/**
 * bpf_skb_change_tail(skb, new_len, flags): skb->len = new_len. Any flag, a length above
 * SKB_MAX_ALLOC or below the headers is -EINVAL; an encapsulated skb (adjust_room's encap) is
 * -ENOTSUPP. Grown bytes are zeroed (bpf_skb_grow_rcsum).
 */
function changeTail(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg, lenReg, flags) => {
    const skb = skbOf("skb_change_tail", hctx, layout, ctxReg);
    const len = u32(lenReg);
    if (flags !== 0n || len > SKB_MAX_ALLOC || len < minLen(skb)) return errno(EINVAL);
    if (skb.encapsulation) return errno(ENOTSUPP);
    if (len > skb.len && !skb.reserve(0, len - skb.len)) return errno(ENOMEM);
    skb.setLength(len);
    skb.commit();
    return 0n;
  };
}

/**
 * bpf_skb_change_head(skb, head_room, flags): push head_room zeroed bytes in front of the skb
 * and make them the MAC header (skb_reset_mac_header); the network header and skb->protocol stay
 * — the helper is for an L3 skb that needs an L2 header. Any flag, a head_room that is negative
 * as an int, or a length past SKB_MAX_ALLOC is -EINVAL.
 */
function changeHead(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg, roomReg, flags) => {
    const skb = skbOf("skb_change_head", hctx, layout, ctxReg);
    const room = u32(roomReg);
    if (flags !== 0n || s32(roomReg) < 0 || skb.len + room > SKB_MAX_ALLOC) return errno(EINVAL);
    if (!skb.reserve(room, 0)) return errno(ENOMEM);
    skb.push(room);
    skb.mem.bytes.fill(0, skb.data, skb.data + room);
    skb.mac = skb.data;
    skb.commit();
    return 0n;
  };
}

/** The two helpers for a machine's layout (they need each CPU's packet slot). */
export function skbResizeHelpers(layout: Layout): HelperDef[] {
  const args = ["ptr_to_ctx", "anything", "anything"] as const;
  return [
    { id: 38, name: "skb_change_tail", args, ret: "integer", impl: changeTail(layout) },
    { id: 43, name: "skb_change_head", args, ret: "integer", impl: changeHead(layout) },
  ];
}
