// skb_adjust_room (50): grow or shrink a tc program's skb at the MAC or network header, with the
// encapsulation flags that say what the new room will hold (net/core/filter.c
// bpf_skb_adjust_room, bpf_skb_net_grow, bpf_skb_net_shrink, bpf_skb_net_hdr_push / _pop). Only
// IPv4 and IPv6 skbs may be adjusted. Our skbs are never GSO (a test-run skb is not), so the
// gso_size / gso_type bookkeeping and FIXED_GSO change nothing. A success resets a
// CHECKSUM_UNNECESSARY skb (bpf_csum_level made it one) to CHECKSUM_NONE unless NO_CSUM_RESET.

import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { s32, u32 } from "./memory.js";
import { netHdrPop, netHdrPush, skbOf, type Skb } from "./skb-state.js";
import {
  BPF_ADJ_ROOM_ENCAP_L2_MASK, BPF_ADJ_ROOM_ENCAP_L2_SHIFT, BPF_ADJ_ROOM_MAC, BPF_ADJ_ROOM_NET,
  BPF_F_ADJ_ROOM_DECAP_L3_IPV4, BPF_F_ADJ_ROOM_DECAP_L3_IPV6, BPF_F_ADJ_ROOM_ENCAP_L2_ETH, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4,
  BPF_F_ADJ_ROOM_ENCAP_L3_IPV6, BPF_F_ADJ_ROOM_ENCAP_L4_GRE, BPF_F_ADJ_ROOM_ENCAP_L4_UDP, BPF_F_ADJ_ROOM_FIXED_GSO,
  BPF_F_ADJ_ROOM_NO_CSUM_RESET, EALREADY, EFAULT, EINVAL, ENOMEM, ENOTSUPP, errno, ETH_HLEN, ETH_P_IP, ETH_P_IPV6,
  IPV4_HLEN, IPV6_HLEN, SKB_MAX_ALLOC,
} from "./uapi.js";

const ENCAP_L3 = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
const DECAP_L3 = BPF_F_ADJ_ROOM_DECAP_L3_IPV4 | BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
/** BPF_F_ADJ_ROOM_MASK | NO_CSUM_RESET: every flag the helper knows. */
const ALL_FLAGS = BPF_F_ADJ_ROOM_FIXED_GSO | ENCAP_L3 | BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L4_UDP |
  BPF_F_ADJ_ROOM_ENCAP_L2_ETH | (BPF_ADJ_ROOM_ENCAP_L2_MASK << BPF_ADJ_ROOM_ENCAP_L2_SHIFT) | DECAP_L3 | BPF_F_ADJ_ROOM_NO_CSUM_RESET;
const SHRINK_FLAGS = BPF_F_ADJ_ROOM_FIXED_GSO | DECAP_L3 | BPF_F_ADJ_ROOM_NO_CSUM_RESET;
/** The most adjust_room moves at once (larger |len_diff| is -EFAULT). */
const MAX_DIFF = 0xfff;

/** bpf_skb_net_base_len: the fixed IP header of skb->protocol (undefined: not IP). */
const BASE_LEN: ReadonlyMap<number, number> = new Map([[ETH_P_IP, IPV4_HLEN], [ETH_P_IPV6, IPV6_HLEN]]);
/** The minimum inner length a DECAP flag demands of what is left after the network header. */
const DECAP_MIN: ReadonlyMap<bigint, number> = new Map([[BPF_F_ADJ_ROOM_DECAP_L3_IPV4, IPV4_HLEN], [BPF_F_ADJ_ROOM_DECAP_L3_IPV6, IPV6_HLEN]]);

const has = (flags: bigint, flag: bigint): boolean => (flags & flag) !== 0n;

/** bpf_skb_net_grow, for a non-GSO skb. */
function netGrow(skb: Skb, off: number, len: number, flags: bigint): number {
  const innerMacLen = Number((flags >> BPF_ADJ_ROOM_ENCAP_L2_SHIFT) & BPF_ADJ_ROOM_ENCAP_L2_MASK);
  const encap = has(flags, ENCAP_L3);
  if (!skb.reserve(len, 0)) return ENOMEM; // skb_cow_head
  let macLen = 0;
  if (encap) {
    if (has(flags, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) && has(flags, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6)) return EINVAL;
    if (has(flags, BPF_F_ADJ_ROOM_ENCAP_L4_GRE) && has(flags, BPF_F_ADJ_ROOM_ENCAP_L4_UDP)) return EINVAL;
    if (has(flags, BPF_F_ADJ_ROOM_ENCAP_L2_ETH) && innerMacLen < ETH_HLEN) return EINVAL;
    if (skb.encapsulation) return EALREADY;
    macLen = skb.macLen;
    if (innerMacLen > len) return EINVAL;
  }
  netHdrPush(skb, off, len);
  if (!encap) return 0;
  // The inner headers (inner_mac/network/transport_header, inner protocol) are not visible to a
  // program; the outer network header is now right after the MAC header.
  skb.encapsulation = true;
  skb.network = skb.data + macLen;
  if (has(flags, BPF_F_ADJ_ROOM_ENCAP_L4_GRE) || has(flags, BPF_F_ADJ_ROOM_ENCAP_L4_UDP)) {
    skb.transport = skb.data + macLen + (has(flags, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6) ? IPV6_HLEN : IPV4_HLEN);
  }
  // skb->protocol follows the new outer L3 header.
  if (skb.protocol === ETH_P_IP && has(flags, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6)) skb.protocol = ETH_P_IPV6;
  else if (skb.protocol === ETH_P_IPV6 && has(flags, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4)) skb.protocol = ETH_P_IP;
  return 0;
}

/** bpf_skb_net_shrink, for a non-GSO skb. */
function netShrink(skb: Skb, off: number, len: number, flags: bigint): number {
  if (flags & ~SHRINK_FLAGS) return EINVAL;
  const err = netHdrPop(skb, off, len);
  if (err) return err;
  if (skb.protocol === ETH_P_IP && has(flags, BPF_F_ADJ_ROOM_DECAP_L3_IPV6)) skb.protocol = ETH_P_IPV6;
  else if (skb.protocol === ETH_P_IPV6 && has(flags, BPF_F_ADJ_ROOM_DECAP_L3_IPV4)) skb.protocol = ETH_P_IP;
  return 0;
}

/**
 * bpf_skb_adjust_room(skb, len_diff, mode, flags). In order: unknown flags -EINVAL, |len_diff| >
 * 0xfff -EFAULT, a protocol other than IPv4/IPv6 -ENOTSUPP, a mode other than NET/MAC -ENOTSUPP,
 * DECAP flags on a grow or both DECAP flags -EINVAL, then -ENOTSUPP for a shrink that would
 * leave less than the fixed IP header (or the DECAP flag's) after the network header, or a grow
 * past SKB_MAX_ALLOC. NET mode moves room after the fixed IP header, MAC mode after the MAC header.
 */
function adjustRoom(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg, diffReg, modeReg, flags) => {
    const skb = skbOf("skb_adjust_room", hctx, layout, ctxReg);
    const diff = s32(diffReg);
    const abs = Math.abs(diff);
    const shrink = diff < 0;
    if (flags & ~ALL_FLAGS) return errno(EINVAL);
    if (abs > MAX_DIFF) return errno(EFAULT);
    const base = BASE_LEN.get(skb.protocol);
    if (base === undefined) return errno(ENOTSUPP);
    const mode = u32(modeReg);
    if (mode !== BPF_ADJ_ROOM_NET && mode !== BPF_ADJ_ROOM_MAC) return errno(ENOTSUPP);
    const off = skb.macLen + (mode === BPF_ADJ_ROOM_NET ? base : 0);
    let min = base;
    if (flags & DECAP_L3) {
      if (!shrink) return errno(EINVAL);
      const decapMin = DECAP_MIN.get(flags & DECAP_L3);
      if (decapMin === undefined) return errno(EINVAL);
      min = decapMin;
    }
    const cur = skb.len - skb.networkOffset;
    if (shrink ? abs >= cur || cur - abs < min : skb.len + abs > SKB_MAX_ALLOC) return errno(ENOTSUPP);
    const err = shrink ? netShrink(skb, off, abs, flags) : netGrow(skb, off, abs, flags);
    // __skb_reset_checksum_unnecessary unless told not to (bpf_csum_level's partner).
    if (!err && !(flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET)) skb.csumLevel = undefined;
    skb.commit();
    return err ? errno(err) : 0n;
  };
}

export const skbAdjustRoom = (layout: Layout): HelperDef => ({
  id: 50,
  name: "skb_adjust_room",
  args: ["ptr_to_ctx", "anything", "anything", "anything"],
  ret: "integer",
  impl: adjustRoom(layout),
});
