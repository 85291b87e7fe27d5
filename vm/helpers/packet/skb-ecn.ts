// bpf_skb_ecn_set_ce (97), cgroup_skb only (cg_skb_func_proto; net/core/filter.c,
// include/net/inet_ecn.h INET_ECN_set_ce): mark an ECN-capable IPv4 / IPv6 packet Congestion
// Experienced, as a cgroup egress rate limiter does instead of dropping.
//
//   - the protocol is skb_protocol(skb, true): skb->protocol, or behind VLAN tags in the data the
//     EtherType they carry (__vlan_get_protocol: a test-run skb has mac_len 0, so the first tag
//     is read 14 bytes after data, each tag's encapsulated protocol 2 bytes into it, at most 8
//     tags, none past skb->len); not IPv4 / IPv6 → 0;
//   - the linear data must hold the fixed IP header (20 / 40 bytes), and so must the bytes from
//     the network header → else 0;
//   - IPv4 (IP_ECN_set_ce): Not-ECT → 0; CE → 1; ECT(0) / ECT(1) → tos |= CE, the header
//     checksum updated incrementally (csum16_add of htons(0xfffb) + htons(ecn)), 1;
//   - IPv6 (IP6_ECN_set_ce): Not-ECT → 0; else the traffic class gets CE, 1 (a test-run skb is
//     CHECKSUM_NONE: no skb->csum to update).

import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { skbOf, type Skb } from "./skb-state.js";
import { ETH_HLEN, ETH_P_8021AD, ETH_P_8021Q, ETH_P_IP, ETH_P_IPV6, IPV4_HLEN, IPV6_HLEN, VLAN_HLEN } from "./uapi.js";

const VLAN_TYPES: ReadonlySet<number> = new Set([ETH_P_8021Q, ETH_P_8021AD]);
const VLAN_MAX_DEPTH = 8;
const HEADER_LEN: ReadonlyMap<number, number> = new Map([[ETH_P_IP, IPV4_HLEN], [ETH_P_IPV6, IPV6_HLEN]]);
const INET_ECN_CE = 3;

const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

/** skb_protocol(skb, true) for a test-run skb (mac_len 0); 0 when a tag cannot be read. */
function protocolOf(skb: Skb): number {
  let type = skb.protocol;
  if (!VLAN_TYPES.has(type)) return type;
  let depth = ETH_HLEN;
  let parse = VLAN_MAX_DEPTH;
  const bytes = skb.mem.bytes;
  do {
    // skb_header_pointer_careful: the tag's 4 bytes within the packet.
    if (depth + VLAN_HLEN > skb.captured || !--parse) return 0;
    type = be16(bytes, skb.data + depth + 2);
    depth += VLAN_HLEN;
  } while (VLAN_TYPES.has(type));
  return type;
}

function ipv4SetCe(bytes: Uint8Array, ip: number, mem: Skb["mem"]): number {
  const ecn = (bytes[ip + 1]! + 1) & 3;
  if (!(ecn & 2)) return ecn === 0 ? 1 : 0;
  // csum16_add on the __be16 values as a little-endian CPU holds them.
  const add = (0xfbff + (ecn << 8)) & 0xffff;
  let res = mem.u16(ip + 10) + add;
  res = (res & 0xffff) + (res >>> 16);
  mem.setU16(ip + 10, res & 0xffff);
  bytes[ip + 1]! |= INET_ECN_CE;
  return 1;
}

function ipv6SetCe(bytes: Uint8Array, ip: number): number {
  const dsfield = (be16(bytes, ip) >>> 4) & 0xff;
  if ((dsfield & 3) === 0) return 0;
  bytes[ip + 1]! |= INET_ECN_CE << 4;
  return 1;
}

export const skbEcnSetCe = (layout: Layout): HelperDef => ({
  id: 97,
  name: "skb_ecn_set_ce",
  args: ["ptr_to_ctx"],
  ret: "integer",
  impl: (hctx, ctxReg) => {
    const skb = skbOf("skb_ecn_set_ce", hctx, layout, ctxReg);
    const proto = protocolOf(skb);
    const hlen = HEADER_LEN.get(proto);
    if (hlen === undefined || skb.captured < hlen || skb.network + hlen > skb.end) return 0n;
    const bytes = skb.mem.bytes;
    return BigInt(proto === ETH_P_IP ? ipv4SetCe(bytes, skb.network, skb.mem) : ipv6SetCe(bytes, skb.network));
  },
});
