// Packet makers: each draws one kind of realistic traffic from the seeded PRNG and a pool of
// flows (so the same 5-tuples recur, with a few heavy hitters, as on a real link). A maker
// returns one or more Ethernet frames; `origLen` is the wire length without FCS, equal to the
// captured length except for the deliberately truncated kind.

import {
  arp,
  EtherType,
  ethernet,
  icmp,
  icmpv6,
  IpProto,
  ipv4,
  ipv6,
  put16,
  tcp,
  TcpFlag,
  udp,
  ETH_HEADER,
  IPV4_HEADER,
  TCP_HEADER,
  UDP_HEADER,
  type L3,
  type VlanTag,
} from "./headers.js";
import type { Rng } from "./prng.js";

export interface Frame {
  data: Uint8Array;
  origLen: number;
}

interface Flow {
  clientMac: Uint8Array;
  gatewayMac: Uint8Array;
  client4: Uint8Array;
  server4: Uint8Array;
  client6: Uint8Array;
  server6: Uint8Array;
  clientPort: number;
  tcpPort: number;
  udpPort: number;
  seq: number;
  ack: number;
  vlan: number;
}

const TCP_SERVER_PORTS = [443, 80, 22, 8080, 25, 3306, 5432, 993];
const TCP_PORT_WEIGHTS = [45, 25, 6, 6, 4, 5, 4, 5];
const UDP_SERVER_PORTS = [53, 443, 123, 5353, 514, 4789];
const UDP_PORT_WEIGHTS = [45, 30, 10, 5, 5, 5];
/** Server /24s: the three documentation ranges plus a few public-looking ones. */
const SERVER_NETS = [
  [203, 0, 113],
  [198, 51, 100],
  [192, 0, 2],
  [93, 184, 216],
  [151, 101, 1],
  [140, 82, 112],
];

/** The victim of the flood and SYN-flood kinds. */
export const TARGET4 = Uint8Array.of(10, 0, 0, 1);
export const TARGET_PORT = 80;
const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export class Traffic {
  private readonly flows: Flow[];

  constructor(
    readonly rng: Rng,
    flowCount: number,
  ) {
    this.flows = Array.from({ length: flowCount }, () => this.newFlow());
  }

  private mac(first: number): Uint8Array {
    const m = this.rng.bytes(6);
    m[0] = first; // locally administered, unicast
    return m;
  }

  private newFlow(): Flow {
    const { rng } = this;
    const client4 = rng.chance(0.6) ? Uint8Array.of(10, rng.int(256), rng.int(256), rng.range(1, 254)) : Uint8Array.of(192, 168, rng.int(256), rng.range(1, 254));
    const client6 = new Uint8Array(16);
    client6.set([0xfd, 0x00, ...rng.bytes(6)], 0);
    client6.set(rng.bytes(8), 8);
    const server6 = new Uint8Array(16);
    server6.set([0x20, 0x01, 0x0d, 0xb8, ...rng.bytes(4)], 0);
    server6[15] = rng.range(1, 255);
    return {
      clientMac: this.mac(0x02),
      gatewayMac: this.mac(0x06),
      client4,
      server4: Uint8Array.of(...rng.pick(SERVER_NETS), rng.range(1, 254)),
      client6,
      server6,
      clientPort: rng.range(32768, 60999),
      tcpPort: TCP_SERVER_PORTS[rng.weighted(TCP_PORT_WEIGHTS)]!,
      udpPort: UDP_SERVER_PORTS[rng.weighted(UDP_PORT_WEIGHTS)]!,
      seq: rng.u32(),
      ack: rng.u32(),
      vlan: rng.range(2, 4094),
    };
  }

  /** A flow, skewed so that a few flows carry much of the traffic. */
  private flow(): Flow {
    const u = this.rng.float();
    return this.flows[Math.floor(u * u * this.flows.length)]!;
  }

  private frame(data: Uint8Array): Frame {
    return { data, origLen: data.length };
  }

  /** Direction: true = client → server. Returns addresses and MACs for it. */
  private ends(f: Flow, v6: boolean): { up: boolean; l3: L3; srcMac: Uint8Array; dstMac: Uint8Array } {
    const up = this.rng.chance(0.5);
    const [c, s] = v6 ? [f.client6, f.server6] : [f.client4, f.server4];
    return {
      up,
      l3: { version: v6 ? 6 : 4, src: up ? c : s, dst: up ? s : c },
      srcMac: up ? f.clientMac : f.gatewayMac,
      dstMac: up ? f.gatewayMac : f.clientMac,
    };
  }

  private ip(l3: L3, protocol: number, payload: Uint8Array, ttl?: number): Uint8Array {
    const { rng } = this;
    if (l3.version === 6) return ipv6({ src: l3.src, dst: l3.dst, nextHeader: protocol, hopLimit: ttl ?? rng.pick([64, 255, 57]), flowLabel: rng.int(1 << 20) }, payload);
    return ipv4({ src: l3.src, dst: l3.dst, protocol, ttl: ttl ?? rng.pick([64, 128, 57, 119, 255]), id: rng.int(65536), dontFragment: rng.chance(0.7) }, payload);
  }

  private synOptions(): Uint8Array {
    // MSS 1460, SACK permitted, timestamps, NOP, window scale 7: what Linux sends.
    const o = Uint8Array.of(2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7);
    o.set(this.rng.bytes(4), 8);
    return o;
  }

  /** TCP segment of an established (or opening/closing) connection. `payload` fixes the data size. */
  tcpSegment(l3: L3, f: Flow, up: boolean, payload?: number): Uint8Array {
    const { rng } = this;
    const kind = payload !== undefined ? 0 : rng.weighted([62, 20, 5, 4, 5, 2, 2]);
    const flags = [TcpFlag.PSH | TcpFlag.ACK, TcpFlag.ACK, TcpFlag.SYN, TcpFlag.SYN | TcpFlag.ACK, TcpFlag.FIN | TcpFlag.ACK, TcpFlag.RST, TcpFlag.RST | TcpFlag.ACK][kind]!;
    const size = payload ?? (kind === 0 ? rng.pick([rng.range(1, 200), rng.range(200, 1460), 1448, 1460]) : 0);
    const data = rng.bytes(size);
    const syn = (flags & TcpFlag.SYN) !== 0;
    const seg = tcp(
      l3,
      {
        srcPort: up ? f.clientPort : f.tcpPort,
        dstPort: up ? f.tcpPort : f.clientPort,
        seq: up ? f.seq : f.ack,
        ack: flags & TcpFlag.ACK ? (up ? f.ack : f.seq) : 0,
        flags,
        window: syn ? 64240 : rng.range(500, 65535),
        options: syn ? this.synOptions() : undefined,
      },
      data,
    );
    if (up) f.seq = (f.seq + size + (syn ? 1 : 0)) >>> 0;
    else f.ack = (f.ack + size + (syn ? 1 : 0)) >>> 0;
    return seg;
  }

  private udpPayload(port: number): Uint8Array {
    const { rng } = this;
    if (port === 53 || port === 5353) {
      // A DNS query header + a short question: id, flags RD, 1 question.
      const q = Uint8Array.of(0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...[..."example"].map((c) => c.charCodeAt(0)), 3, 0x63, 0x6f, 0x6d, 0, 0, 1, 0, 1);
      q.set(rng.bytes(2), 0);
      return q;
    }
    if (port === 123) return Uint8Array.of(0x23, ...rng.bytes(47)); // NTPv4 client
    if (port === 443) return rng.bytes(rng.pick([1200, 1252, rng.range(30, 1350)])); // QUIC
    return rng.bytes(rng.range(8, 512));
  }

  /** IPv4/IPv6 TCP packet of a flow; `frameSize` pads the data to reach that frame length. */
  tcp(v6 = false, frameSize?: number, vlans: VlanTag[] = []): Frame {
    const f = this.flow();
    const e = this.ends(f, v6);
    const overhead = ETH_HEADER + 4 * vlans.length + (v6 ? 40 : IPV4_HEADER) + TCP_HEADER;
    const payload = frameSize === undefined ? undefined : Math.max(0, frameSize - overhead);
    const seg = this.tcpSegment(e.l3, f, e.up, payload);
    return this.frame(ethernet(e.dstMac, e.srcMac, v6 ? EtherType.IPV6 : EtherType.IPV4, this.ip(e.l3, IpProto.TCP, seg), vlans));
  }

  udp(v6 = false, frameSize?: number, vlans: VlanTag[] = []): Frame {
    const f = this.flow();
    const e = this.ends(f, v6);
    const overhead = ETH_HEADER + 4 * vlans.length + (v6 ? 40 : IPV4_HEADER) + UDP_HEADER;
    const data = frameSize === undefined ? this.udpPayload(f.udpPort) : this.rng.bytes(Math.max(0, frameSize - overhead));
    const dgram = udp(e.l3, e.up ? f.clientPort : f.udpPort, e.up ? f.udpPort : f.clientPort, data);
    return this.frame(ethernet(e.dstMac, e.srcMac, v6 ? EtherType.IPV6 : EtherType.IPV4, this.ip(e.l3, IpProto.UDP, dgram), vlans));
  }

  /** ICMP echo request/reply (56 data bytes, as ping sends), or a port-unreachable quoting a UDP packet. */
  icmp(): Frame {
    const { rng } = this;
    const f = this.flow();
    const e = this.ends(f, false);
    let msg: Uint8Array;
    if (rng.chance(0.85)) {
      msg = icmp(rng.pick([8, 0]), 0, (rng.int(65536) << 16) | rng.int(65536), rng.bytes(56));
    } else {
      const quoted = ipv4({ src: e.l3.dst, dst: e.l3.src, protocol: IpProto.UDP, id: rng.int(65536) }, udp({ version: 4, src: e.l3.dst, dst: e.l3.src }, f.clientPort, 33434 + rng.int(100), rng.bytes(24)));
      msg = icmp(3, 3, 0, quoted.subarray(0, IPV4_HEADER + 8));
    }
    return this.frame(ethernet(e.dstMac, e.srcMac, EtherType.IPV4, this.ip(e.l3, IpProto.ICMP, msg)));
  }

  /** IPv6: TCP, UDP or ICMPv6 echo. */
  ipv6(): Frame {
    const { rng } = this;
    const k = rng.weighted([50, 35, 15]);
    if (k === 0) return this.tcp(true);
    if (k === 1) return this.udp(true);
    const f = this.flow();
    const e = this.ends(f, true);
    const msg = icmpv6(e.l3, rng.pick([128, 129]), 0, rng.u32(), rng.bytes(56));
    return this.frame(ethernet(e.dstMac, e.srcMac, EtherType.IPV6, this.ip(e.l3, IpProto.ICMPV6, msg)));
  }

  /** 802.1Q-tagged IPv4 TCP/UDP; one in five double-tagged (802.1ad outer, 802.1Q inner). */
  vlan(): Frame {
    const { rng } = this;
    const vid = this.flow().vlan;
    const inner: VlanTag = { tpid: EtherType.VLAN, vid, pcp: rng.int(8) };
    const tags = rng.chance(0.2) ? [{ tpid: EtherType.QINQ, vid: rng.range(2, 4094) }, inner] : [inner];
    return rng.chance(0.6) ? this.tcp(false, undefined, tags) : this.udp(false, undefined, tags);
  }

  /** A UDP datagram over IPv4 larger than the MTU, as its fragments (first has the UDP header, MF set). */
  fragments(): Frame[] {
    const { rng } = this;
    const f = this.flow();
    const e = this.ends(f, false);
    const dgram = udp(e.l3, f.clientPort, rng.pick([4789, 2049, 5004]), rng.bytes(rng.range(1600, 4400)));
    const id = rng.int(65536);
    const ttl = rng.pick([64, 128]);
    const chunk = 1480; // a multiple of 8 that fills a 1500-byte MTU
    const frames: Frame[] = [];
    for (let off = 0; off < dgram.length; off += chunk) {
      const part = dgram.subarray(off, off + chunk);
      const more = off + chunk < dgram.length;
      const packet = ipv4({ src: e.l3.src, dst: e.l3.dst, protocol: IpProto.UDP, ttl, id, moreFragments: more, fragmentOffset: off / 8 }, part);
      frames.push(this.frame(ethernet(e.dstMac, e.srcMac, EtherType.IPV4, packet)));
    }
    return frames;
  }

  arp(): Frame {
    const { rng } = this;
    const f = this.flow();
    const gateway = Uint8Array.of(f.client4[0]!, f.client4[1]!, f.client4[2]!, 1);
    if (rng.chance(0.6)) {
      const payload = arp(1, f.clientMac, f.client4, new Uint8Array(6), gateway);
      return this.frame(ethernet(BROADCAST, f.clientMac, EtherType.ARP, payload));
    }
    return this.frame(ethernet(f.clientMac, f.gatewayMac, EtherType.ARP, arp(2, f.gatewayMac, gateway, f.clientMac, f.client4)));
  }

  /** SYN flood: spoofed random sources, one target, MSS option only, 60-byte frames. */
  syn(): Frame {
    const { rng } = this;
    const src = Uint8Array.of(rng.range(1, 223), rng.int(256), rng.int(256), rng.range(1, 254));
    const l3: L3 = { version: 4, src, dst: TARGET4 };
    const seg = tcp(l3, { srcPort: rng.range(1024, 65535), dstPort: TARGET_PORT, seq: rng.u32(), flags: TcpFlag.SYN, window: rng.pick([1024, 2048, 4096, 65535]), options: Uint8Array.of(2, 4, 0x05, 0xb4) }, new Uint8Array(0));
    const packet = ipv4({ src, dst: TARGET4, protocol: IpProto.TCP, ttl: rng.range(30, 255), id: rng.int(65536) }, seg);
    return this.frame(ethernet(this.mac(0x02), this.mac(0x06), EtherType.IPV4, packet));
  }

  /** Minimum-size UDP flood: 60-byte frames (64 on the wire), random sources, one target. */
  flood64(): Frame {
    const { rng } = this;
    const src = Uint8Array.of(rng.range(1, 223), rng.int(256), rng.int(256), rng.range(1, 254));
    const l3: L3 = { version: 4, src, dst: TARGET4 };
    const dgram = udp(l3, rng.range(1024, 65535), rng.range(1, 65535), rng.bytes(60 - ETH_HEADER - IPV4_HEADER - UDP_HEADER));
    const packet = ipv4({ src, dst: TARGET4, protocol: IpProto.UDP, ttl: 64, id: rng.int(65536) }, dgram);
    return this.frame(ethernet(this.mac(0x02), this.mac(0x06), EtherType.IPV4, packet));
  }

  /** IMIX frame of one of the three sizes: 60/590/1514 captured bytes (64/594/1518 with FCS), TCP 4:1 UDP. */
  imix(size: number): Frame {
    return this.rng.chance(0.8) ? this.tcp(false, size) : this.udp(false, size);
  }

  private anyValid(): Frame {
    const k = this.rng.weighted([40, 25, 15, 10, 10]);
    return [() => this.tcp(), () => this.udp(), () => this.ipv6(), () => this.vlan(), () => this.icmp()][k]!();
  }

  /** A valid frame captured short: the cut falls inside the headers; origLen keeps the wire length. */
  truncated(): Frame {
    const full = this.anyValid();
    const cut = this.rng.range(1, Math.min(full.data.length - 1, ETH_HEADER + 8 + 40 + TCP_HEADER));
    return { data: full.data.slice(0, cut), origLen: full.origLen };
  }

  /** Every TCP flag at once: nonsense a filter must classify, but with valid checksums. */
  private christmasTree(): Frame {
    const f = this.flow();
    const e = this.ends(f, false);
    const all = TcpFlag.FIN | TcpFlag.SYN | TcpFlag.RST | TcpFlag.PSH | TcpFlag.ACK | TcpFlag.URG;
    const seg = tcp(e.l3, { srcPort: f.clientPort, dstPort: f.tcpPort, seq: f.seq, ack: f.ack, flags: all, window: 1024 }, new Uint8Array(0));
    return this.frame(ethernet(e.dstMac, e.srcMac, EtherType.IPV4, this.ip(e.l3, IpProto.TCP, seg)));
  }

  /** A frame whose headers lie: each corruption is one a parser must survive. Checksums are not fixed up. */
  malformed(): Frame {
    const { rng } = this;
    const corruption = rng.int(MALFORMATIONS);
    if (corruption === 0) {
      // A runt: IPv4 ethertype but only 8 bytes of IP header, no padding.
      const f = this.tcp().data.slice(0, ETH_HEADER + 8);
      return { data: f, origLen: f.length };
    }
    if (corruption === 8) {
      const f = this.ipv6().data;
      put16(f, ETH_HEADER + 4, 0xffff); // payload length beyond the frame
      return this.frame(f);
    }
    const base = corruption === 6 ? this.udp() : this.tcp();
    const d = base.data;
    const ip = ETH_HEADER;
    switch (corruption) {
      case 1: d[ip] = 0x40 | rng.int(5); break; // IHL < 5
      case 2: d[ip] = 0x4f; break; // IHL 15: options past the header
      case 3: d[ip] = (rng.pick([0, 5, 7, 15]) << 4) | 5; break; // not version 4
      case 4: put16(d, ip + 2, rng.pick([0xffff, d.length + 100])); break; // total length beyond the frame
      case 5: put16(d, ip + 2, rng.int(IPV4_HEADER)); break; // total length below the header
      case 6: put16(d, ip + IPV4_HEADER + 4, rng.pick([0, 3, 0xffff])); break; // UDP length lies
      case 7: d[ip + IPV4_HEADER + 12] = rng.int(5) << 4; break; // TCP data offset < 5
      case 9: d[ip + 10]! ^= 0x5a; break; // IPv4 header checksum wrong
      default: return this.christmasTree();
    }
    return base;
  }
}

/** Number of distinct corruptions `malformed()` draws from. */
const MALFORMATIONS = 11;
