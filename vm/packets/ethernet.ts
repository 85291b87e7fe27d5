// Getting every packet onto one link layer: Ethernet (LINKTYPE_ETHERNET = DLT_EN10MB = 1).
//
// XDP programs and socket filters run under BPF_PROG_TEST_RUN see an Ethernet frame (the kernel
// calls eth_type_trans on test-run skbs), and clang-compiled filters parse from an Ethernet
// header, so captures of other link types are either adapted or skipped, and both are counted.
//
// The choice (documented in corpus/pcap/README.md):
//   adapted — link layers that carry one network-layer packet and say which protocol it is, so
//             an Ethernet header can be put in front without inventing anything but addresses:
//     RAW, IPV4, IPV6    ethertype from the IP version nibble (4 → 0x0800, 6 → 0x86DD);
//     NULL, LOOP         BSD address family (AF_INET → IPv4, the platforms' AF_INET6 values → IPv6);
//     LINUX_SLL(2)       the cooked header's protocol field when it is an ethertype (≥ 0x0600);
//                        source MAC from its address when that is 6 bytes long; destination
//                        ff:ff:ff:ff:ff:ff for broadcast, 01:00:00:00:00:00 for multicast,
//                        zero otherwise.
//     The synthesized header is 14 bytes; origLen grows or shrinks by the same difference.
//   skipped — everything else (802.11, PPP, token ring, …), cooked packets whose protocol is not
//             an ethertype (802.2 LLC, CAN, netlink), headers cut short by the snaplen, and IP
//             packets with an unknown version.

import { LinkType, linkTypeName } from "./linktypes.js";
import type { Packet } from "./packet.js";

export interface EthernetOptions {
  /** Adapt the link types listed above (default true); false skips every non-Ethernet packet. */
  adapt?: boolean;
}

export interface EthernetResult {
  packets: Packet[];
  /** Packets that were Ethernet already. */
  ethernet: number;
  /** Adapted packets, by original link-type name. */
  adapted: Record<string, number>;
  /** Skipped packets, by link-type name and reason. */
  skipped: Record<string, number>;
}

const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** ARPHRD_NETLINK: cooked captures of netlink sockets, whose payload is no network packet. */
const ARPHRD_NETLINK = 824;
/** AF_INET6 as BSD-family platforms number it (Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30, Windows 23). */
const AF_INET6 = new Set([10, 23, 24, 28, 30]);
const AF_INET = 2;

/** Why a packet cannot be adapted, or the ethertype and payload offset of its network packet. */
type Adaptation = { skip: string } | { ethertype: number; headerLength: number; src?: Uint8Array; dst?: Uint8Array };

const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
const MULTICAST = Uint8Array.of(0x01, 0, 0, 0, 0, 0);

function ipVersion(data: Uint8Array, at: number): Adaptation {
  if (data.length <= at) return { skip: "truncated header" };
  const version = data[at]! >> 4;
  if (version === 4) return { ethertype: ETHERTYPE_IPV4, headerLength: at };
  if (version === 6) return { ethertype: ETHERTYPE_IPV6, headerLength: at };
  return { skip: `IP version ${version}` };
}

function addressFamily(family: number): Adaptation {
  if (family === AF_INET) return { ethertype: ETHERTYPE_IPV4, headerLength: 4 };
  if (AF_INET6.has(family)) return { ethertype: ETHERTYPE_IPV6, headerLength: 4 };
  return { skip: `address family ${family}` };
}

function be16(d: Uint8Array, at: number): number {
  return (d[at]! << 8) | d[at + 1]!;
}

/** Where a Linux cooked header keeps its fields (v1: all 16-bit; v2: packet type and address length are bytes). */
interface CookedLayout {
  length: number;
  protocol: number;
  hatype: number;
  pkttype: number;
  pkttypeBytes: 1 | 2;
  halen: number;
  halenBytes: 1 | 2;
  addr: number;
}

const SLL: CookedLayout = { length: 16, pkttype: 0, pkttypeBytes: 2, hatype: 2, halen: 4, halenBytes: 2, addr: 6, protocol: 14 };
const SLL2: CookedLayout = { length: 20, protocol: 0, hatype: 8, pkttype: 10, pkttypeBytes: 1, halen: 11, halenBytes: 1, addr: 12 };

const field = (d: Uint8Array, at: number, bytes: 1 | 2): number => (bytes === 1 ? d[at]! : be16(d, at));

function cooked(d: Uint8Array, layout: CookedLayout): Adaptation {
  if (d.length < layout.length) return { skip: "truncated header" };
  const protocol = be16(d, layout.protocol);
  if (be16(d, layout.hatype) === ARPHRD_NETLINK) return { skip: "netlink" };
  if (protocol < 0x0600) return { skip: `protocol 0x${protocol.toString(16).padStart(4, "0")}` };
  const pkttype = field(d, layout.pkttype, layout.pkttypeBytes);
  const halen = field(d, layout.halen, layout.halenBytes);
  // PACKET_BROADCAST = 1, PACKET_MULTICAST = 2 (linux/if_packet.h).
  const dst = pkttype === 1 ? BROADCAST : pkttype === 2 ? MULTICAST : undefined;
  const src = halen === 6 ? d.subarray(layout.addr, layout.addr + 6) : undefined;
  return { ethertype: protocol, headerLength: layout.length, src, dst };
}

function adaptation(p: Packet): Adaptation {
  const d = p.data;
  switch (p.linkType) {
    case LinkType.RAW:
    case 12: // DLT_RAW as some writers put it in the file
    case 14: // OpenBSD's DLT_RAW
      return ipVersion(d, 0);
    case LinkType.IPV4:
      return d.length > 0 && d[0]! >> 4 === 4 ? { ethertype: ETHERTYPE_IPV4, headerLength: 0 } : { skip: "not IPv4" };
    case LinkType.IPV6:
      return d.length > 0 && d[0]! >> 4 === 6 ? { ethertype: ETHERTYPE_IPV6, headerLength: 0 } : { skip: "not IPv6" };
    case LinkType.NULL: {
      if (d.length < 4) return { skip: "truncated header" };
      // Host byte order of the capturing machine: the family is small, so the order that
      // gives a value below 0x10000 is the right one.
      const le = d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24);
      return addressFamily(le >>> 0 <= 0xffff ? le : (d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!);
    }
    case LinkType.LOOP:
      if (d.length < 4) return { skip: "truncated header" };
      return addressFamily(((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0);
    case LinkType.LINUX_SLL:
      return cooked(d, SLL);
    case LinkType.LINUX_SLL2:
      return cooked(d, SLL2);
    default:
      return { skip: "no Ethernet mapping" };
  }
}

function withEthernetHeader(p: Packet, a: { ethertype: number; headerLength: number; src?: Uint8Array; dst?: Uint8Array }): Packet {
  const payload = p.data.subarray(a.headerLength);
  const data = new Uint8Array(ETH_HEADER + payload.length);
  if (a.dst) data.set(a.dst, 0);
  if (a.src) data.set(a.src, 6);
  data[12] = a.ethertype >> 8;
  data[13] = a.ethertype & 0xff;
  data.set(payload, ETH_HEADER);
  const origLen = Math.max(data.length, p.origLen - a.headerLength + ETH_HEADER);
  return { data, ts: p.ts, origLen, linkType: LinkType.ETHERNET, iface: p.iface };
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Keep Ethernet packets, adapt what can be adapted (see above), count the rest as skipped. */
export function toEthernet(packets: readonly Packet[], options: EthernetOptions = {}): EthernetResult {
  const adapt = options.adapt ?? true;
  const result: EthernetResult = { packets: [], ethernet: 0, adapted: {}, skipped: {} };
  for (const p of packets) {
    if (p.linkType === LinkType.ETHERNET) {
      result.ethernet++;
      result.packets.push(p);
      continue;
    }
    const name = linkTypeName(p.linkType);
    const a = adapt ? adaptation(p) : { skip: "adaptation off" };
    if ("skip" in a) {
      bump(result.skipped, `${name} (${a.skip})`);
      continue;
    }
    bump(result.adapted, name);
    result.packets.push(withEthernetHeader(p, a));
  }
  return result;
}
