import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { LinkType, readCapture, toEthernet, writePcap, type Packet } from "../../vm/packets/index.js";
import { corpusFiles, tcpdumpMissing, tcpdumpPrint } from "./tcpdump.js";

const ipv4 = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
const ipv6 = [0x60, 0, 0, 0, 0, 0, 59, 64, ...new Array(32).fill(0)];
const pkt = (linkType: number, data: number[], origLen = data.length): Packet => ({ data: Uint8Array.from(data), ts: 5n, origLen, linkType, iface: 2 });
const be16 = (v: number): number[] => [v >> 8, v & 0xff];

describe("toEthernet", () => {
  it("keeps Ethernet as is and adapts RAW/IPV4/IPV6 by the IP version", () => {
    const eth = pkt(1, [...new Array(14).fill(1)]);
    const r = toEthernet([eth, pkt(LinkType.RAW, ipv4), pkt(LinkType.RAW, ipv6, 100), pkt(LinkType.IPV4, ipv4), pkt(LinkType.IPV6, ipv6), pkt(LinkType.RAW, [0x55])]);
    expect(r.ethernet).toBe(1);
    expect(r.packets[0]).toBe(eth);
    expect(r.adapted).toEqual({ RAW: 2, IPV4: 1, IPV6: 1 });
    expect(r.skipped).toEqual({ "RAW (IP version 5)": 1 });
    const v4 = r.packets[1]!;
    expect([...v4.data.subarray(0, 14)]).toEqual([...new Array(12).fill(0), 0x08, 0x00]);
    expect([...v4.data.subarray(14)]).toEqual(ipv4);
    expect(v4).toMatchObject({ ts: 5n, iface: 2, linkType: 1, origLen: 34 });
    expect([...r.packets[2]!.data.subarray(12, 14)]).toEqual([0x86, 0xdd]);
    expect(r.packets[2]!.origLen).toBe(114);
  });

  it("adapts NULL (host order) and LOOP (network order) by address family", () => {
    const r = toEthernet([
      pkt(LinkType.NULL, [2, 0, 0, 0, ...ipv4]),
      pkt(LinkType.NULL, [0, 0, 0, 30, ...ipv6]),
      pkt(LinkType.LOOP, [0, 0, 0, 24, ...ipv6]),
      pkt(LinkType.LOOP, [0, 0, 0, 7, ...ipv4]),
      pkt(LinkType.NULL, [2, 0]),
    ]);
    expect(r.packets.map((p) => p.data[12]! * 256 + p.data[13]!)).toEqual([0x0800, 0x86dd, 0x86dd]);
    expect([...r.packets[0]!.data.subarray(14)]).toEqual(ipv4);
    expect(r.skipped).toEqual({ "LOOP (address family 7)": 1, "NULL (truncated header)": 1 });
  });

  it("adapts Linux cooked v1 and v2 when the protocol is an ethertype", () => {
    const mac = [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff];
    const sll = (pkttype: number, protocol: number, hatype = 1): number[] => [...be16(pkttype), ...be16(hatype), ...be16(6), ...mac, 0, 0, ...be16(protocol)];
    const sll2 = (pkttype: number, protocol: number): number[] => [...be16(protocol), 0, 0, 0, 0, 0, 3, ...be16(1), pkttype, 6, ...mac, 0, 0];
    const r = toEthernet([
      pkt(LinkType.LINUX_SLL, [...sll(0, 0x0800), ...ipv4]),
      pkt(LinkType.LINUX_SLL, [...sll(1, 0x86dd), ...ipv6]),
      pkt(LinkType.LINUX_SLL, [...sll(0, 0x0004), 1, 2, 3]),
      pkt(LinkType.LINUX_SLL, [...sll(0, 0x0800, 824), 1, 2, 3]),
      pkt(LinkType.LINUX_SLL2, [...sll2(2, 0x0806), 0, 1]),
      pkt(LinkType.LINUX_SLL2, [0, 8]),
    ]);
    expect(r.adapted).toEqual({ LINUX_SLL: 2, LINUX_SLL2: 1 });
    expect(r.skipped).toEqual({ "LINUX_SLL (protocol 0x0004)": 1, "LINUX_SLL (netlink)": 1, "LINUX_SLL2 (truncated header)": 1 });
    const [a, b, c] = r.packets.map((p) => [...p.data]);
    expect(a).toEqual([0, 0, 0, 0, 0, 0, ...mac, 0x08, 0x00, ...ipv4]);
    expect(b!.slice(0, 14)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...mac, 0x86, 0xdd]);
    expect(c).toEqual([1, 0, 0, 0, 0, 0, ...mac, 0x08, 0x06, 0, 1]);
  });

  it("skips other link types with a count, and everything when adaptation is off", () => {
    expect(toEthernet([pkt(105, [1, 2]), pkt(105, [3])]).skipped).toEqual({ "IEEE802_11 (no Ethernet mapping)": 2 });
    expect(toEthernet([pkt(LinkType.RAW, ipv4)], { adapt: false }).skipped).toEqual({ "RAW (adaptation off)": 1 });
  });

  it("adapted corpus captures decode in tcpdump as they did before (same network-layer lines)", () => {
    const missing = tcpdumpMissing();
    if (missing) {
      console.log(`skipped: tcpdump check of adapted captures: ${missing}`);
      return;
    }
    let compared = 0;
    for (const file of corpusFiles("tcpdump-linktypes")) {
      const bytes = new Uint8Array(readFileSync(file));
      const c = readCapture(bytes);
      const r = toEthernet(c.packets);
      if (r.packets.length === 0) continue;
      expect(r.packets.length, basename(file)).toBe(c.packets.length); // these files adapt whole
      const before = tcpdumpPrint(bytes, ["-t", "-q"]);
      const after = tcpdumpPrint(writePcap(r.packets), ["-t", "-q"]);
      expect(after, basename(file)).toEqual(before);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(7);
  });
});
