// skb_vlan_push (18) and skb_vlan_pop (19): the hardware-accelerated VLAN tag of a tc program's
// skb (skb->vlan_proto / vlan_tci, which __sk_buff shows as vlan_proto / vlan_tci / vlan_present)
// and the tags in the frame (net/core/filter.c bpf_skb_vlan_push / pop → net/core/skbuff.c
// skb_vlan_push / skb_vlan_pop / __skb_vlan_pop, include/linux/if_vlan.h __vlan_insert_tag).
// A push puts the new tag in the accelerated slot, first writing an existing accelerated tag
// into the frame; a pop clears the accelerated tag (or, without one, removes the frame's outer
// tag) and then moves the frame's next tag, if any, into the accelerated slot. Our skbs are
// CHECKSUM_NONE, so the rcsum bookkeeping changes nothing.

import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { u32 } from "./memory.js";
import { skbOf, type Skb } from "./skb-state.js";
import { EINVAL, ENOMEM, errno, ETH_HLEN, ETH_P_802_2, ETH_P_802_3, ETH_P_8021AD, ETH_P_8021Q, VLAN_HLEN } from "./uapi.js";

const ETH_ALEN = 6;
/** ETH_P_802_3_MIN: a type/length field below it is a length (eth_proto_is_802_3). */
const ETH_P_802_3_MIN = 0x0600;
const VLAN_ETH_HLEN = ETH_HLEN + VLAN_HLEN;

const isVlan = (proto: number): boolean => proto === ETH_P_8021Q || proto === ETH_P_8021AD;
const be16 = (skb: Skb, at: number): number => (skb.mem.bytes[at]! << 8) | skb.mem.bytes[at + 1]!;
const setBe16 = (skb: Skb, at: number, v: number): void => {
  skb.mem.bytes[at] = v >>> 8;
  skb.mem.bytes[at + 1] = v & 0xff;
};

/**
 * __vlan_insert_tag: push 4 bytes, move the addresses to the front and write the tag after them
 * (the old EtherType becomes the tag's encapsulated protocol). -ENOMEM without room.
 */
function insertTag(skb: Skb, proto: number, tci: number): number {
  if (!skb.reserve(VLAN_HLEN, 0)) return ENOMEM;
  skb.push(VLAN_HLEN);
  skb.mem.bytes.copyWithin(skb.data, skb.data + VLAN_HLEN, skb.data + VLAN_HLEN + 2 * ETH_ALEN);
  skb.mac -= VLAN_HLEN;
  setBe16(skb, skb.data + 2 * ETH_ALEN, proto);
  setBe16(skb, skb.data + ETH_HLEN, tci);
  return 0;
}

/**
 * __skb_vlan_pop: remove the frame's outer tag and return its TCI; skb->protocol becomes the
 * encapsulated protocol (vlan_set_encap_proto: an 802.3 length means raw 802.3 when the payload
 * starts 0xffff, else LLC). skb->data must be the MAC header (-EINVAL), and the frame at least
 * 18 bytes (skb_ensure_writable: -ENOMEM).
 */
function popTag(skb: Skb): number | { error: number } {
  if (skb.data !== skb.mac) return { error: EINVAL };
  if (skb.captured < VLAN_ETH_HLEN) return { error: ENOMEM };
  const tci = be16(skb, skb.data + ETH_HLEN);
  const inner = be16(skb, skb.data + ETH_HLEN + 2);
  const payload = skb.captured >= VLAN_ETH_HLEN + 2 ? be16(skb, skb.data + VLAN_ETH_HLEN) : 0;
  skb.mem.bytes.copyWithin(skb.data + VLAN_HLEN, skb.data, skb.data + 2 * ETH_ALEN);
  skb.pull(VLAN_HLEN);
  skb.protocol = inner >= ETH_P_802_3_MIN ? inner : payload === 0xffff ? ETH_P_802_3 : ETH_P_802_2;
  skb.mac += VLAN_HLEN;
  if (skb.networkOffset < ETH_HLEN) skb.network = skb.data + ETH_HLEN;
  return tci;
}

/**
 * bpf_skb_vlan_push(skb, vlan_proto, vlan_tci): vlan_proto is a __be16 (bpf_htons(0x8100) or
 * bpf_htons(0x88a8); anything else means 802.1Q). An accelerated tag already there goes into the
 * frame first (skb->data must be the MAC header: -EINVAL), and skb->protocol becomes its proto.
 */
function vlanPush(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg, protoReg, tciReg) => {
    const skb = skbOf("skb_vlan_push", hctx, layout, ctxReg);
    const wire = u32(protoReg) & 0xffff;
    const asked = ((wire & 0xff) << 8) | (wire >>> 8);
    const proto = isVlan(asked) ? asked : ETH_P_8021Q;
    const tci = u32(tciReg) & 0xffff;
    const present = skb.vlan;
    if (present) {
      if (skb.data !== skb.mac) return errno(EINVAL);
      const err = insertTag(skb, present.proto, present.tci);
      skb.commit();
      if (err) return errno(err);
      skb.protocol = present.proto;
      // The network header moves with the pushed bytes: it stays 14 bytes after the MAC header,
      // at the tag just written (checked on 6.18: a load relative to it reads the new TCI).
      skb.network -= VLAN_HLEN;
      skb.commit();
    }
    skb.vlan = { proto, tci };
    return 0n;
  };
}

/** bpf_skb_vlan_pop(skb): 0 when there is no tag at all. */
function vlanPop(layout: Layout): HelperDef["impl"] {
  return (hctx, ctxReg) => {
    const skb = skbOf("skb_vlan_pop", hctx, layout, ctxReg);
    if (skb.vlan) {
      skb.vlan = undefined;
    } else {
      if (!isVlan(skb.protocol)) return 0n;
      const popped = popTag(skb);
      skb.commit();
      if (typeof popped !== "number") return errno(popped.error);
    }
    // The frame's next tag, if any, becomes the accelerated one.
    const proto = skb.protocol;
    if (!isVlan(proto)) return 0n;
    const tci = popTag(skb);
    skb.commit();
    if (typeof tci !== "number") return errno(tci.error);
    skb.vlan = { proto, tci };
    return 0n;
  };
}

export function skbVlanHelpers(layout: Layout): HelperDef[] {
  return [
    { id: 18, name: "skb_vlan_push", args: ["ptr_to_ctx", "anything", "anything"], ret: "integer", impl: vlanPush(layout) },
    { id: 19, name: "skb_vlan_pop", args: ["ptr_to_ctx"], ret: "integer", impl: vlanPop(layout) },
  ];
}
