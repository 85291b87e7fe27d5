// cBPF differential test on link types other than Ethernet: tcpdump compiles each expression for
// the capture's link type (a pcap header with that LINKTYPE on stdin), we translate it and run it
// on the packets' own bytes (link header included, as a socket filter sees them). Per packet the
// engines' r0 must equal the classic oracle's under Linux's rules, and tcpdump -r's selection
// the oracle's verdict under libpcap's (oracle.ts: they differ only for shifts by X >= 32 and
// X + k overflow). The packets: the corpus's own non-Ethernet captures (tcpdump-linktypes/) and
// the Ethernet corpus's frames re-wrapped in each link type's header (IPv4/IPv6 frames for the
// IP-only link types; every ethertype for Linux cooked captures, whose packet type field then
// takes all values, so `inbound`/`outbound` select something).

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { translateClassic } from "../../vm/cbpf/index.js";
import { compileTcpdumpFilter } from "../../vm/cbpf/tcpdump.node.js";
import { LinkType, readCapture, readPcap, writePcap, type Packet } from "../../vm/packets/index.js";
import { corpusFiles, tcpdumpMissing, tcpdumpRewrite } from "../packets/tcpdump.js";
import { corpusPackets } from "./expressions.js";
import { SocketFilterRunner } from "./harness.js";
import { runClassic } from "./oracle.js";

const ENGINES = ["interpreter", "jit"];

/** Link header for an Ethernet frame's payload, or undefined when the link type cannot carry it. */
type Wrap = (ethertype: number, frame: Uint8Array, n: number) => number[] | undefined;

const ip = (et: number): boolean => et === 0x0800 || et === 0x86dd;
/** BSD address families: AF_INET 2; AF_INET6 differs by platform (24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS), libpcap takes all. */
const family = (et: number, n: number): number => (et === 0x0800 ? 2 : [24, 28, 30][n % 3]!);
/** Linux cooked header: packet type (0 host … 4 outgoing), ARPHRD_ETHER, the 6-byte source address. */
const WRAPS: Record<string, [number, Wrap]> = {
  LINUX_SLL: [LinkType.LINUX_SLL, (et, f, n) => [0, n % 5, 0, 1, 0, 6, ...f.subarray(6, 12), 0, 0, et >> 8, et & 0xff]],
  LINUX_SLL2: [LinkType.LINUX_SLL2, (et, f, n) => [et >> 8, et & 0xff, 0, 0, 0, 0, 0, 2, 0, 1, n % 5, 6, ...f.subarray(6, 12), 0, 0]],
  RAW: [LinkType.RAW, (et) => (ip(et) ? [] : undefined)],
  IPV4: [LinkType.IPV4, (et) => (et === 0x0800 ? [] : undefined)],
  IPV6: [LinkType.IPV6, (et) => (et === 0x86dd ? [] : undefined)],
  NULL: [LinkType.NULL, (et, _f, n) => (ip(et) ? [family(et, n), 0, 0, 0] : undefined)],
  LOOP: [LinkType.LOOP, (et, _f, n) => (ip(et) ? [0, 0, 0, family(et, n)] : undefined)],
};

/** Expressions per link type: what libpcap compiles there (cooked captures have direction and no VLAN/MPLS). */
const COMMON = ["tcp port 179 or udp port 53 or ip6 and icmp6", "ip[2:2] - ((ip[0]&0xf)<<2) > 100 and net 10.0.0.0/8", "len % 7 = 3", "ip[8] << ip[9] > 1000"];
const EXPRESSIONS: Record<string, string[]> = {
  LINUX_SLL: [...COMMON, "arp", "outbound and ip", "inbound", "link[0:2] = 4"],
  LINUX_SLL2: [...COMMON, "outbound and arp", "inbound"],
  RAW: [...COMMON, "ip6 multicast"],
  IPV4: ["tcp port 179 or udp port 53", ...COMMON.slice(1), "icmp[icmptype] = icmp-echo"],
  IPV6: ["ip6 and icmp6", "icmp6[icmp6type] = icmp6-echo or ip6[6] = 17", "ip6 multicast"],
  NULL: [...COMMON, "link[0] = 2"],
  LOOP: [...COMMON, "link[3] = 2"],
};

function wrapAll(ethernet: readonly Packet[], linkType: number, wrap: Wrap): Packet[] {
  const out: Packet[] = [];
  ethernet.forEach((p, n) => {
    // Every other frame: the run stays at a few seconds and still meets every kind of packet.
    if (n % 2 || p.data.length < 14 || p.origLen < p.data.length) return;
    const et = (p.data[12]! << 8) | p.data[13]!;
    const head = wrap(et, p.data, n);
    if (!head) return;
    const data = new Uint8Array(head.length + p.data.length - 14);
    data.set(head);
    data.set(p.data.subarray(14), head.length);
    out.push({ data, origLen: p.origLen - 14 + head.length, ts: 0n, linkType, iface: 0 });
  });
  return out;
}

const missing = tcpdumpMissing();

describe("classic BPF on other link types: our verdicts equal tcpdump's selection", () => {
  if (missing) {
    it.skip(`skipped: ${missing}`, () => {});
    console.log(`skipped: cBPF link-type test: ${missing}`);
    return;
  }

  let ethernet: Packet[] = [];
  const native: Packet[] = [];
  const summary: string[] = [];

  beforeAll(() => {
    ethernet = corpusPackets().packets;
    for (const f of corpusFiles("tcpdump-linktypes")) native.push(...readCapture(new Uint8Array(readFileSync(f))).packets);
  });

  afterAll(() => {
    if (summary.length) console.log(`cBPF on other link types:\n${summary.join("\n")}`);
  });

  const cases = Object.entries(EXPRESSIONS).flatMap(([name, exprs]) => exprs.map((e): [string, string] => [name, e]));

  it.each(cases)("%s: %s", async (name, expr) => {
    const [linkType, wrap] = WRAPS[name]!;
    const own = native.filter((p) => p.linkType === linkType);
    const packets = [...own, ...wrapAll(ethernet, linkType, wrap)].map((p, i) => ({ ...p, ts: BigInt(i) * 1_000_000_000n }));
    const filter = compileTcpdumpFilter(expr, { linkType });
    const insns = translateClassic(filter);
    const ref = tcpdumpRewrite(writePcap(packets, { linkType }), expr);
    expect(ref.status, ref.stderr).toBe(0);
    const selected = new Set(readPcap(ref.stdout).packets.map((p) => Number(p.ts / 1_000_000_000n)));
    const mismatches: string[] = [];
    const linux = packets.map((p) => runClassic(filter, p.data, { len: p.origLen }));
    packets.forEach((p, i) => {
      const libpcap = runClassic(filter, p.data, { len: p.origLen }, "libpcap") !== 0;
      if (libpcap !== selected.has(i)) mismatches.push(`libpcap's rules: packet ${i}: oracle ${libpcap ? "selects" : "drops"}, tcpdump ${selected.has(i) ? "selects" : "drops"}`);
    });
    for (const engine of ENGINES) {
      const runner = await SocketFilterRunner.load(engine, insns);
      try {
        packets.forEach((p, i) => {
          const r0 = runner.run(p.data, { len: p.origLen });
          if (r0 !== linux[i]) mismatches.push(`${engine}: packet ${i} (${p.data.length} bytes): r0 ${r0}, oracle (Linux's rules) ${linux[i]}`);
        });
      } finally {
        runner.dispose();
      }
    }
    summary.push(`  ${`${name}: ${expr}`.padEnd(56)} ${packets.length} packets (${own.length} native), ${selected.size} selected`);
    expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    expect(selected.size).toBeGreaterThan(0);
    expect(selected.size).toBeLessThan(packets.length);
  });
});
