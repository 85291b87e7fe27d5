// The tcpdump expressions of the cBPF differential tests, and the packets they run over.

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { readCapture, type Packet } from "../../vm/packets/index.js";
import { corpusFiles } from "../packets/tcpdump.js";

/** At least 20 expressions (issue 5 asks for 20), covering every classic instruction tcpdump emits. */
export const EXPRESSIONS = [
  "tcp port 80",
  "udp",
  "icmp",
  "arp",
  "vlan",
  "ip6",
  "ip[8] < 64",
  "tcp[tcpflags] & tcp-syn != 0",
  "tcp[tcpflags] == tcp-syn",
  "portrange 1-1023",
  "net 10.0.0.0/8",
  "ip proto 47",
  "ether host 00:1f:29:da:2d:79",
  "greater 1000",
  "less 100",
  "udp port 53 or udp port 5353",
  "ip and not tcp and not udp",
  "ip6 and tcp",
  "icmp6",
  "vlan and tcp",
  "ip[6:2] & 0x1fff != 0",
  "ether broadcast",
  "ether multicast and not ether broadcast",
  "src net 192.168.0.0/16 and dst port 443",
  "ip[2:2] > 576",
  "icmp[icmptype] = icmp-echo",
  "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
  "tcp[tcpflags] & (tcp-rst|tcp-fin) != 0",
  "not ip and not ip6 and not arp",
  "len % 7 = 3",
  "ip and ip[9] * 3 - ip[8] / 2 > 40",
  "ip6 proto 58 or ip6[6] = 17",
  "mpls",
  "ip[0] & 0xf != 5",
  "ip[12:4] ^ ip[16:4] > 0x80000000",
  "udp[8:2] = 0x0001 or tcp dst port 22",
  // From the session-5 sweep over the pcap-filter(7) grammar (803 expressions × 8 link types):
  // one of each kind of code it reaches that the list above does not.
  "ether[len - 4:4] != 0",
  "vlan and vlan and ip",
  "(vlan 1 or vlan 786) and ip",
  "mpls 16006",
  "pppoed or pppoes",
  "geneve and ip",
  "llc u",
  "stp",
  "iso",
  "decnet",
  "ipx",
  "atalk or aarp",
  "ip multicast",
  "ip broadcast",
  "ip6 multicast",
  "ip6 host fe80::e091:f5ff:fecc:7abd",
  "dst net ff02::/16",
  "src and dst net 10.0.0.0/8",
  "pim or vrrp or igmp",
  "esp or ah or sctp",
  "ether proto \\arp",
  "ip proto \\udp",
  "icmp6[icmp6type] = icmp6-neighborsolicit",
  "udp port 53 and udp[10] & 0x80 != 0",
  "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
  "ip[2:2] - ((ip[0]&0xf)<<2) > 100",
  "ip[8] / ip[9] > 3",
  "ip[12:4] % ip[16:4] = ip[12:4]",
  "ip and -ip[8] = -64",
  "len << 1 > 200",
  "udp[4:2] - 8 = len - 42",
  "not vlan and not mpls and ip",
  "ip[ip[0] & 0xf] = 0",
  // Where libpcap's user-space filter (tcpdump -r) and Linux differ (oracle.ts): shifts by X >= 32
  // and indirect loads whose X + k overflows. Listed in LIBPCAP_RULES below.
  "ip[8] << ip[9] > 1000",
  "ip[16:4] >> ip[19] = 0",
  "ip[ip[16:4]] = 0",
];

/** The expressions above whose selection on the corpus differs between libpcap's rules and Linux's. */
export const LIBPCAP_RULES = ["ip[8] << ip[9] > 1000", "ip[16:4] >> ip[19] = 0", "ip[ip[16:4]] = 0"];

/** Also compiled without libpcap's optimizer (tcpdump -O): longer code, dead code, more jumps. */
export const UNOPTIMIZED = ["tcp port 80", "vlan and tcp", "portrange 1-1023", "icmp[icmptype] = icmp-echo", "ip6 and tcp", "vlan and vlan and ip", "ip[8] << ip[9] > 1000"];

export interface PacketSource {
  file: string;
  index: number;
}

/** Every Ethernet packet of corpus/pcap/tcpdump and corpus/pcap/gen, with where it came from. */
export function corpusPackets(): { packets: Packet[]; sources: PacketSource[] } {
  const packets: Packet[] = [];
  const sources: PacketSource[] = [];
  for (const file of [...corpusFiles("tcpdump"), ...corpusFiles("gen")]) {
    readCapture(new Uint8Array(readFileSync(file))).packets.forEach((p, index) => {
      if (p.linkType !== 1) return;
      packets.push(p);
      sources.push({ file: basename(file), index });
    });
  }
  return { packets, sources };
}
