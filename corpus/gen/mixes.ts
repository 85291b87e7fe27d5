// Named traffic mixes: what `--gen KIND:…` produces.

import type { Frame, Traffic } from "./traffic.js";

/** IMIX frame sizes as the "simple IMIX" counts them (with the 4-byte FCS): 64, 594, 1518 in 7:4:1. */
export const IMIX_WIRE_SIZES = [64, 594, 1518] as const;
export const IMIX_WEIGHTS = [7, 4, 1] as const;
/** The FCS is not captured (NICs strip it), so captured frames are 4 bytes shorter. */
export const FCS = 4;

type Maker = (t: Traffic) => Frame | Frame[];

/** The realistic mix: mostly TCP, some UDP, IPv6, VLAN, and a little of everything odd. */
const MIX: ReadonlyArray<[number, Maker]> = [
  [38, (t) => t.tcp()],
  [18, (t) => t.udp()],
  [5, (t) => t.icmp()],
  [14, (t) => t.ipv6()],
  [9, (t) => t.vlan()],
  [4, (t) => t.fragments()],
  [4, (t) => t.arp()],
  [3, (t) => t.syn()],
  [3, (t) => t.truncated()],
  [2, (t) => t.malformed()],
];
const MIX_WEIGHTS = MIX.map(([w]) => w);

export interface MixDef {
  readonly summary: string;
  readonly make: Maker;
}

export const MIXES: Readonly<Record<string, MixDef>> = {
  imix: {
    summary: "simple IMIX: 64/594/1518-byte frames (with FCS) in 7:4:1, IPv4 TCP 4:1 UDP",
    make: (t) => t.imix(IMIX_WIRE_SIZES[t.rng.weighted(IMIX_WEIGHTS)]! - FCS),
  },
  flood64: { summary: "64-byte (60 captured) UDP flood from random sources to 10.0.0.1", make: (t) => t.flood64() },
  syn: { summary: "SYN flood from spoofed sources to 10.0.0.1:80", make: (t) => t.syn() },
  mix: {
    summary: "realistic mix: TCP, UDP, ICMP, IPv6, 802.1Q/QinQ, IPv4 fragments, ARP, SYNs, truncated and malformed frames",
    make: (t) => MIX[t.rng.weighted(MIX_WEIGHTS)]![1](t),
  },
  tcp: { summary: "IPv4 TCP of established, opening and closing connections", make: (t) => t.tcp() },
  udp: { summary: "IPv4 UDP: DNS, QUIC, NTP, mDNS, syslog, VXLAN ports", make: (t) => t.udp() },
  icmp: { summary: "ICMP echo request/reply and port unreachable", make: (t) => t.icmp() },
  ipv6: { summary: "IPv6 TCP, UDP and ICMPv6 echo", make: (t) => t.ipv6() },
  vlan: { summary: "802.1Q-tagged (and 1 in 5 QinQ) IPv4 TCP/UDP", make: (t) => t.vlan() },
  frag: { summary: "IPv4 fragments of large UDP datagrams", make: (t) => t.fragments() },
  arp: { summary: "ARP requests and replies", make: (t) => t.arp() },
  truncated: { summary: "valid frames captured short, the cut inside the headers", make: (t) => t.truncated() },
  malformed: { summary: "frames whose headers lie (IHL, version, lengths, data offset, checksum, flags)", make: (t) => t.malformed() },
};
