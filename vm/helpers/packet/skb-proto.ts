// skb_change_proto (31) and skb_change_type (32) (net/core/filter.c bpf_skb_change_proto →
// bpf_skb_proto_xlat, bpf_skb_change_type): IPv4 ↔ IPv6 translation room after the MAC header,
// and skb->pkt_type. The program rewrites the headers itself (skb_store_bytes, csum helpers).

import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { u32 } from "./memory.js";
import { netHdrPop, netHdrPush, skbOf, type Skb } from "./skb-state.js";
import { EINVAL, ENOMEM, ENOTSUPP, errno, ETH_P_IP, ETH_P_IPV6, IPV4_HLEN, IPV6_HLEN } from "./uapi.js";

/** sizeof(struct ipv6hdr) - sizeof(struct iphdr): what 4 → 6 adds and 6 → 4 removes. */
const XLAT_DIFF = IPV6_HLEN - IPV4_HLEN;

/** bpf_skb_proto_4_to_6: 20 zeroed bytes after the MAC header. */
function fourToSix(skb: Skb): number {
  if (!skb.reserve(XLAT_DIFF, 0)) return ENOMEM; // skb_cow
  netHdrPush(skb, skb.macLen, XLAT_DIFF);
  return 0;
}

/** bpf_skb_proto_6_to_4: the 20 bytes after the MAC header go. */
const sixToFour = (skb: Skb): number => netHdrPop(skb, skb.macLen, XLAT_DIFF);

/**
 * bpf_skb_change_proto(skb, proto, flags): proto is a __be16. Any flag is -EINVAL; only IPv4 →
 * IPv6 and IPv6 → IPv4 are supported (-ENOTSUPP otherwise). On success skb->protocol changes and
 * the hash is cleared.
 */
function changeProto(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg, protoReg, flags) => {
    const skb = skbOf("skb_change_proto", hctx, layout, ctxReg);
    if (flags !== 0n) return errno(EINVAL);
    const wire = u32(protoReg) & 0xffff;
    const to = ((wire & 0xff) << 8) | (wire >>> 8);
    const from = skb.protocol;
    const xlat = from === ETH_P_IP && to === ETH_P_IPV6 ? fourToSix : from === ETH_P_IPV6 && to === ETH_P_IP ? sixToFour : undefined;
    if (!xlat) return errno(ENOTSUPP);
    const err = xlat(skb);
    skb.commit();
    if (err) return errno(err);
    skb.protocol = to;
    skb.clearHash();
    return 0n;
  };
}

/** skb_pkt_type_ok: PACKET_HOST .. PACKET_OTHERHOST. */
const PACKET_OTHERHOST = 3;

/** bpf_skb_change_type(skb, pkt_type): -EINVAL unless both the old and the new type are 0..3. */
function changeType(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg, typeReg) => {
    const skb = skbOf("skb_change_type", hctx, layout, ctxReg);
    const type = u32(typeReg);
    if (skb.pktType > PACKET_OTHERHOST || type > PACKET_OTHERHOST) return errno(EINVAL);
    skb.pktType = type;
    return 0n;
  };
}

export function skbProtoHelpers(layout: Layout): HelperDef[] {
  return [
    { id: 31, name: "skb_change_proto", args: ["ptr_to_ctx", "anything", "anything"], ret: "integer", impl: changeProto(layout) },
    { id: 32, name: "skb_change_type", args: ["ptr_to_ctx", "anything"], ret: "integer", impl: changeType(layout) },
  ];
}
