// bpf_skb_set_tstamp (192), tc (net/core/filter.c): set skb->tstamp and what clock it is in,
// which __sk_buff.tstamp and __sk_buff.tstamp_type then read. Only for an IPv4 or IPv6 skb
// (skb->protocol; the stack clears a delivery time only for inet): -EOPNOTSUPP otherwise. Then
//   BPF_SKB_CLOCK_REALTIME (0)  any tstamp, 0 included
//   BPF_SKB_CLOCK_MONOTONIC (1), BPF_SKB_CLOCK_TAI (2)  a tstamp of 0 is -EINVAL
//   any other type  -EINVAL
// The __sk_buff fields hold the skb's values here (the ctx is the skb state), and the
// tstamp_type word reads the enum as the kernel's ctx rewrite does. (At tc ingress the kernel
// reads a monotonic tstamp as 0 to a program that never reads tstamp_type; a test run's skb is
// not at ingress, and neither is ours.)

import type { Layout } from "../../memory/layout.js";
import { ctxField } from "../../programs/context.js";
import { SK_BUFF_TC } from "../../programs/skb.js";
import type { HelperDef } from "../registry.js";
import { u32 } from "./memory.js";
import { skbOf } from "./skb-state.js";
import { EINVAL, EOPNOTSUPP, errno, ETH_P_IP, ETH_P_IPV6 } from "./uapi.js";

const TSTAMP = ctxField(SK_BUFF_TC, "tstamp").offset;
const TSTAMP_TYPE = ctxField(SK_BUFF_TC, "tstamp_type").offset;
const BPF_SKB_CLOCK_TAI = 2;

export const skbSetTstamp = (layout: Layout): HelperDef => ({
  id: 192,
  name: "skb_set_tstamp",
  args: ["ptr_to_ctx", "anything", "anything"],
  ret: "integer",
  impl: (hctx, ctxReg, tstamp, typeReg) => {
    const skb = skbOf("skb_set_tstamp", hctx, layout, ctxReg);
    if (skb.protocol !== ETH_P_IP && skb.protocol !== ETH_P_IPV6) return errno(EOPNOTSUPP);
    const type = u32(typeReg);
    if (type > BPF_SKB_CLOCK_TAI || (type !== 0 && tstamp === 0n)) return errno(EINVAL);
    skb.mem.view.setBigUint64(skb.ctx + TSTAMP, tstamp, true);
    skb.mem.setU32(skb.ctx + TSTAMP_TYPE, type);
    return 0n;
  },
});
