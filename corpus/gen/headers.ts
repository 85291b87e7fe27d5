// Protocol headers, built inside out: a payload gets a TCP/UDP/ICMP header, then an IPv4/IPv6
// header, then an Ethernet header (optionally with 802.1Q / 802.1ad tags). Lengths and
// checksums are computed from what is inside, so every complete header is valid; the traffic
// makers break them on purpose only where they say so.

import { checksum, pseudoSum4, pseudoSum6 } from "./checksum.js";

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;
export const IpProto = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58, GRE: 47 } as const;
export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

/** Smallest Ethernet frame without its FCS: shorter frames are padded on the wire. */
export const MIN_FRAME = 60;
export const ETH_HEADER = 14;
export const IPV4_HEADER = 20;
export const IPV6_HEADER = 40;
export const TCP_HEADER = 20;
export const UDP_HEADER = 8;

const put16 = (b: Uint8Array, at: number, v: number): void => {
  b[at] = (v >> 8) & 0xff;
  b[at + 1] = v & 0xff;
};
const put32 = (b: Uint8Array, at: number, v: number): void => {
  put16(b, at, v >>> 16);
  put16(b, at + 2, v & 0xffff);
};

export interface VlanTag {
  /** 0x8100 (802.1Q) or 0x88a8 (802.1ad outer tag). */
  tpid: number;
  vid: number;
  pcp?: number;
}

export function ethernet(dst: Uint8Array, src: Uint8Array, ethertype: number, payload: Uint8Array, vlans: readonly VlanTag[] = [], pad = true): Uint8Array {
  const header = ETH_HEADER + 4 * vlans.length;
  const frame = new Uint8Array(Math.max(header + payload.length, pad ? MIN_FRAME : 0));
  frame.set(dst, 0);
  frame.set(src, 6);
  let at = 12;
  for (const tag of vlans) {
    put16(frame, at, tag.tpid);
    put16(frame, at + 2, ((tag.pcp ?? 0) << 13) | (tag.vid & 0xfff));
    at += 4;
  }
  put16(frame, at, ethertype);
  frame.set(payload, header);
  return frame;
}

export interface L3 {
  version: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
}

export interface Ipv4Options {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  ttl?: number;
  id?: number;
  tos?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In 8-byte units. */
  fragmentOffset?: number;
}

export function ipv4(h: Ipv4Options, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(IPV4_HEADER + payload.length);
  p[0] = 0x45;
  p[1] = h.tos ?? 0;
  put16(p, 2, p.length);
  put16(p, 4, h.id ?? 0);
  put16(p, 6, (h.dontFragment ? 0x4000 : 0) | (h.moreFragments ? 0x2000 : 0) | ((h.fragmentOffset ?? 0) & 0x1fff));
  p[8] = h.ttl ?? 64;
  p[9] = h.protocol;
  p.set(h.src, 12);
  p.set(h.dst, 16);
  put16(p, 10, checksum(p.subarray(0, IPV4_HEADER)));
  p.set(payload, IPV4_HEADER);
  return p;
}

export interface Ipv6Options {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  hopLimit?: number;
  flowLabel?: number;
  trafficClass?: number;
}

export function ipv6(h: Ipv6Options, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(IPV6_HEADER + payload.length);
  put32(p, 0, (6 << 28) | ((h.trafficClass ?? 0) << 20) | ((h.flowLabel ?? 0) & 0xfffff));
  put16(p, 4, payload.length);
  p[6] = h.nextHeader;
  p[7] = h.hopLimit ?? 64;
  p.set(h.src, 8);
  p.set(h.dst, 24);
  p.set(payload, IPV6_HEADER);
  return p;
}

function pseudo(l3: L3, protocol: number, length: number): number {
  return l3.version === 4 ? pseudoSum4(l3.src, l3.dst, protocol, length) : pseudoSum6(l3.src, l3.dst, protocol, length);
}

export interface TcpOptions {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  flags: number;
  window?: number;
  /** Raw option bytes (padded to 4 here). */
  options?: Uint8Array;
}

export function tcp(l3: L3, h: TcpOptions, payload: Uint8Array): Uint8Array {
  const optLen = Math.ceil((h.options?.length ?? 0) / 4) * 4;
  const header = TCP_HEADER + optLen;
  const s = new Uint8Array(header + payload.length);
  put16(s, 0, h.srcPort);
  put16(s, 2, h.dstPort);
  put32(s, 4, h.seq ?? 0);
  put32(s, 8, h.ack ?? 0);
  s[12] = (header / 4) << 4;
  s[13] = h.flags;
  put16(s, 14, h.window ?? 65535);
  if (h.options) s.set(h.options, TCP_HEADER);
  s.set(payload, header);
  put16(s, 16, checksum(s, pseudo(l3, IpProto.TCP, s.length)));
  return s;
}

export function udp(l3: L3, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const s = new Uint8Array(UDP_HEADER + payload.length);
  put16(s, 0, srcPort);
  put16(s, 2, dstPort);
  put16(s, 4, s.length);
  s.set(payload, UDP_HEADER);
  // RFC 768: a computed checksum of 0 is sent as 0xffff (0 means "none").
  put16(s, 6, checksum(s, pseudo(l3, IpProto.UDP, s.length)) || 0xffff);
  return s;
}

/** ICMP (IPv4): type, code, checksum, 4 bytes of "rest of header", data. */
export function icmp(type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m[0] = type;
  m[1] = code;
  put32(m, 4, rest);
  m.set(data, 8);
  put16(m, 2, checksum(m));
  return m;
}

/** ICMPv6: like ICMP, but the checksum covers the IPv6 pseudo-header too (RFC 4443 §2.3). */
export function icmpv6(l3: L3, type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m[0] = type;
  m[1] = code;
  put32(m, 4, rest);
  m.set(data, 8);
  put16(m, 2, checksum(m, pseudo(l3, IpProto.ICMPV6, m.length)));
  return m;
}

/** ARP for IPv4 over Ethernet (RFC 826). */
export function arp(op: 1 | 2, senderMac: Uint8Array, senderIp: Uint8Array, targetMac: Uint8Array, targetIp: Uint8Array): Uint8Array {
  const a = new Uint8Array(28);
  put16(a, 0, 1); // hardware: Ethernet
  put16(a, 2, EtherType.IPV4);
  a[4] = 6;
  a[5] = 4;
  put16(a, 6, op);
  a.set(senderMac, 8);
  a.set(senderIp, 14);
  a.set(targetMac, 18);
  a.set(targetIp, 24);
  return a;
}

export { put16, put32 };
