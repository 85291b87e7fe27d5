// The network model's sockets (vm/net/sockets.ts) without a kernel: what a model may hold (bad
// ones refused with a BpfError naming the socket), the lookups' order (established before
// listeners, a specific address before the wildcard, scores, the newest socket on a tie) and the
// struct bpf_sock / bpf_tcp_sock images. test/kernel/sk-*.test.ts compares all of it with the
// kernel.

import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { Network, type NetworkModel } from "../../vm/net/model.js";
import { BpfSock, BpfTcpSock, bpfSockImage, bpfTcpSockImage, lookupTcp, lookupUdp, type NetSocket, type Tuple } from "../../vm/net/sockets.js";
import { parseIp } from "../../vm/net/addr.js";

const DEVICES: NetworkModel["devices"] = [
  { ifindex: 1, name: "lo" },
  { ifindex: 10, name: "v0", addresses: ["10.1.0.1/24", "2001:db8:1::1/64"] },
];
const net = (sockets: NetSocket[]): Network => new Network({ devices: DEVICES, sockets });

const tuple = (src: string, sport: number, dst: string, dport: number): Tuple => {
  const s = parseIp(src, "src"), d = parseIp(dst, "dst");
  return { family: s.family, saddr: s.value, daddr: d.value, sport, dport };
};

describe("socket model", () => {
  it("refuses what bind() / connect() would refuse or what is not modelled, naming the socket", () => {
    const bad: Array<[NetSocket, RegExp]> = [
      [{ kind: "tcp_listen", local: "10.9.9.9:80" }, /network socket 0 \(tcp_listen 10.9.9.9:80\): 10.9.9.9:80 is not an address of a device/],
      [{ kind: "tcp_listen", local: "10.1.0.1" }, /is not address:port/],
      [{ kind: "tcp_listen", local: "10.1.0.1:0" }, /port 0 is not in 1..65535/],
      [{ kind: "tcp_listen", local: "2001:db8:1::1:80" }, /is not address:port|not an IPv4 or IPv6 address/],
      [{ kind: "udp", local: "[::ffff:a01:1]:53" }, /IPv4-mapped IPv6 addresses are not modelled/],
      [{ kind: "tcp_established", local: "10.1.0.1:80" }, /needs a remote end/],
      [{ kind: "tcp_established", local: "0.0.0.0:80", remote: "1.2.3.4:5" }, /needs a specific local address/],
      [{ kind: "tcp_listen", local: "10.1.0.1:80", remote: "1.2.3.4:5" }, /a listening socket has no remote end/],
      [{ kind: "udp", local: "10.1.0.1:53", remote: "[2001:db8::1]:53" }, /not of the local address's family/],
      [{ kind: "udp", local: "10.1.0.1:53", boundDev: 7 }, /boundDev 7 is not a device/],
      [{ kind: "udp", local: "10.1.0.1:53", v6only: true }, /v6only is for IPv6 sockets/],
      [{ kind: "raw" as never, local: "10.1.0.1:53" }, /kind 'raw' is not one of/],
    ];
    for (const [socket, message] of bad) expect(() => net([socket]), JSON.stringify(socket)).toThrow(message);
    expect(() => net([{ kind: "tcp_listen", local: "0.0.0.0:80" }, { kind: "tcp_listen", local: "10.1.0.1:80" }])).toThrow(BpfError);
    expect(() => net([{ kind: "tcp_established", local: "10.1.0.1:80", remote: "1.2.3.4:5" }, { kind: "tcp_established", local: "10.1.0.1:80", remote: "1.2.3.4:5" }])).toThrow(/the same connection twice/);
    // A listener and its connections share the port; UDP sockets may overlap (SO_REUSEADDR).
    expect(net([{ kind: "tcp_listen", local: "10.1.0.1:80" }, { kind: "tcp_established", local: "10.1.0.1:80", remote: "1.2.3.4:5" }]).sockets).toHaveLength(2);
    expect(net([{ kind: "udp", local: "0.0.0.0:53" }, { kind: "udp", local: "10.1.0.1:53" }]).sockets).toHaveLength(2);
  });

  it("TCP: established first, then listeners on the address, then on the wildcard", () => {
    const { sockets } = net([
      { kind: "tcp_listen", local: "0.0.0.0:80" },
      { kind: "tcp_established", local: "10.1.0.1:80", remote: "1.2.3.4:5" },
      { kind: "tcp_listen", local: "[::]:443" },
      { kind: "tcp_listen", local: "[::]:444", v6only: true },
      { kind: "tcp_listen", local: "0.0.0.0:81", boundDev: 10 },
    ]);
    expect(lookupTcp(sockets, tuple("1.2.3.4", 5, "10.1.0.1", 80), 1)?.index).toBe(1);
    expect(lookupTcp(sockets, tuple("1.2.3.4", 6, "10.1.0.1", 80), 1)?.index).toBe(0);
    expect(lookupTcp(sockets, tuple("1.2.3.4", 6, "10.1.0.1", 443), 1)?.index).toBe(2); // dual-stack
    expect(lookupTcp(sockets, tuple("1.2.3.4", 6, "10.1.0.1", 444), 1)).toBeUndefined(); // IPV6_V6ONLY
    expect(lookupTcp(sockets, tuple("2001:db8::9", 6, "2001:db8:1::1", 444), 1)?.index).toBe(3);
    expect(lookupTcp(sockets, tuple("1.2.3.4", 6, "10.1.0.1", 81), 1)).toBeUndefined(); // bound to another device
    expect(lookupTcp(sockets, tuple("1.2.3.4", 6, "10.1.0.1", 81), 10)?.index).toBe(4);
  });

  it("UDP: the best score, a connected socket only for its peer, the newest on a tie", () => {
    const { sockets } = net([
      { kind: "udp", local: "0.0.0.0:53" },
      { kind: "udp", local: "10.1.0.1:53" },
      { kind: "udp", local: "10.1.0.1:53", remote: "1.2.3.4:99" },
      { kind: "udp", local: "0.0.0.0:54" },
      { kind: "udp", local: "0.0.0.0:54" },
    ]);
    expect(lookupUdp(sockets, tuple("1.2.3.4", 99, "10.1.0.1", 53), 1)?.index).toBe(2);
    expect(lookupUdp(sockets, tuple("1.2.3.4", 98, "10.1.0.1", 53), 1)?.index).toBe(1);
    expect(lookupUdp(sockets, tuple("1.2.3.4", 98, "10.1.0.2", 53), 1)?.index).toBe(0);
    expect(lookupUdp(sockets, tuple("1.2.3.4", 98, "10.1.0.1", 54), 1)?.index).toBe(4);
  });

  it("struct bpf_sock and struct bpf_tcp_sock images", () => {
    const [listen, est, udp6] = net([
      { kind: "tcp_listen", local: "10.1.0.1:80", mark: 7, priority: 3 },
      { kind: "tcp_established", local: "10.1.0.1:80", remote: "1.2.3.4:4000" },
      { kind: "udp", local: "[2001:db8:1::1]:53", remote: "[2001:db8::9]:99" },
    ]).sockets;
    const v = (b: Uint8Array): DataView => new DataView(b.buffer);
    const l = v(bpfSockImage(listen!));
    expect([l.getUint32(BpfSock.family, true), l.getUint32(BpfSock.type, true), l.getUint32(BpfSock.protocol, true)]).toEqual([2, 1, 6]);
    expect([l.getUint32(BpfSock.mark, true), l.getUint32(BpfSock.priority, true), l.getUint32(BpfSock.state, true)]).toEqual([7, 3, 10]);
    expect([l.getUint32(BpfSock.src_ip4, false), l.getUint32(BpfSock.src_port, true)]).toEqual([0x0a010001, 80]);
    const e = v(bpfSockImage(est!));
    expect([e.getUint16(BpfSock.dst_port, false), e.getUint32(BpfSock.dst_ip4, false), e.getUint32(BpfSock.state, true)]).toEqual([4000, 0x01020304, 1]);
    expect([e.getUint32(BpfSock.dst_ip6 + 8, false), e.getUint32(BpfSock.dst_ip6 + 12, false)]).toEqual([0xffff, 0x01020304]); // v4-mapped
    const u = v(bpfSockImage(udp6!));
    expect([u.getUint32(BpfSock.family, true), u.getUint32(BpfSock.type, true), u.getUint32(BpfSock.src_ip4, false), u.getUint32(BpfSock.dst_ip4, false)]).toEqual([10, 2, 0x7f000006, 0]);
    expect(v(bpfTcpSockImage(listen!)).getUint32(BpfTcpSock.mss_cache, true)).toBe(536);
    expect(v(bpfTcpSockImage(est!)).getUint32(BpfTcpSock.mss_cache, true)).toBe(524);
  });
});
