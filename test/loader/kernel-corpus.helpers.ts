// Inputs for kernel-corpus.test.ts: every Ethernet frame of the tcpdump captures and the
// generated corpora, each named by where it came from, and the map entries that make the corpus
// programs take their interesting paths (allowed flows for xdp_firewall, backends for l4_lb).

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { generate } from "../../corpus/gen/index.js";
import { LinkType, readCapture } from "../../vm/packets/index.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CAPTURES = join(ROOT, "corpus", "pcap", "tcpdump");
/** BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header (EINVAL). */
const ETH_HLEN = 14;

/** One frame to run, with where it came from (capture file#record index, or the gen spec#index). */
export interface Frame {
  readonly source: string;
  /** The captured bytes only: the kernel sees these (skb->len = their length), so we do too. */
  readonly data: Uint8Array;
}

export interface FrameSet {
  readonly frames: Frame[];
  /** Ethernet captures read, and what was left out (non-Ethernet link types, runts). */
  readonly captures: number;
  readonly nonEthernet: number;
  readonly runts: number;
}

/** The generated corpora (corpus/gen): sizes kept modest so the whole file stays well under 60 s. */
export const GEN_SPECS = ["imix:2000:seed=51", "flood64:1000:seed=52", "mix:2000:seed=53", "syn:500:seed=54"];

const SYN_REPEAT = { spec: "syn:4:seed=55", sources: 4, times: 12 };

export function corpusFrames(): FrameSet {
  const frames: Frame[] = [];
  let captures = 0;
  let nonEthernet = 0;
  let runts = 0;
  for (const file of readdirSync(CAPTURES).filter((f) => /\.pcap(ng)?$/.test(f)).sort()) {
    const capture = readCapture(new Uint8Array(readFileSync(join(CAPTURES, file))));
    let any = false;
    capture.packets.forEach((p, i) => {
      if (p.linkType !== LinkType.ETHERNET) nonEthernet++;
      else if (p.data.length < ETH_HLEN) runts++;
      else {
        any = true;
        frames.push({ source: `${file}#${i}`, data: p.data });
      }
    });
    if (any) captures++;
  }
  for (const spec of GEN_SPECS) {
    generate(spec).forEach((p, i) => {
      if (p.data.length < ETH_HLEN) runts++;
      else frames.push({ source: `${spec}#${i}`, data: p.data });
    });
  }
  // SYN floods from a few sources: every SYN of the generators comes from a new (spoofed) source,
  // so syn_limiter (drops a source's SYNs after 8) would never drop. The first 4 SYNs of the syn
  // corpus, each sent 12 times, interleaved: 48 frames, 16 over the limit.
  const syns = generate(SYN_REPEAT.spec).slice(0, SYN_REPEAT.sources);
  for (let round = 0; round < SYN_REPEAT.times; round++) {
    syns.forEach((p, i) => frames.push({ source: `${SYN_REPEAT.spec}#${i} (repeat ${round})`, data: p.data }));
  }
  return { frames, captures, nonEthernet, runts };
}

/** Initial entries of one map (same on every engine). */
export interface MapFill {
  readonly map: string;
  readonly entries: ReadonlyArray<{ readonly key: Uint8Array; readonly value: Uint8Array }>;
}

const u32le = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

/** IPv4 TCP/UDP {saddr, daddr, dport} of an untagged frame (xdp_firewall's key), or undefined. */
function flowKey(d: Uint8Array): Uint8Array | undefined {
  if (d.length < 34 || d[12] !== 0x08 || d[13] !== 0x00) return undefined;
  const ip = 14;
  const ihl = (d[ip]! & 0x0f) * 4;
  const proto = d[ip + 9];
  if (ihl < 20 || (proto !== 6 && proto !== 17) || d.length < ip + ihl + 4) return undefined;
  const key = new Uint8Array(12); // struct flow_key: saddr, daddr, dport (network order), pad
  key.set(d.subarray(ip + 12, ip + 20), 0);
  key.set(d.subarray(ip + ihl + 2, ip + ihl + 4), 8);
  return key;
}

/**
 * Map entries per program. xdp_firewall: every other distinct flow seen in the frames (in order
 * of first appearance) is allowed, so both the PASS and the DROP path of the lookup run.
 * l4_lb: three backends behind the VIP 10.0.0.1 (flood64 and syn send to it).
 */
export function mapFills(program: string, frames: readonly Frame[]): MapFill[] {
  if (program === "xdp_firewall") {
    const seen = new Map<string, Uint8Array>();
    for (const f of frames) {
      const key = flowKey(f.data);
      if (!key) continue;
      const hex = Array.from(key, (x) => x.toString(16).padStart(2, "0")).join("");
      if (!seen.has(hex)) seen.set(hex, key);
    }
    const keys = [...seen.values()].filter((_, i) => i % 2 === 0);
    return [{ map: "allow", entries: keys.map((key) => ({ key, value: u32le(1) })) }];
  }
  if (program === "l4_lb") {
    const backend = (i: number): Uint8Array => {
      const v = new Uint8Array(12); // struct backend: ip (network order), mac[6], pad
      v.set([10, 1, 0, 10 + i], 0);
      v.set([0x02, 0, 0, 0, 0, 0x10 + i], 4);
      return v;
    };
    return [
      { map: "backend_count", entries: [{ key: u32le(0), value: u32le(3) }] },
      { map: "backends", entries: [0, 1, 2].map((i) => ({ key: u32le(i), value: backend(i) })) },
    ];
  }
  if (program === "xdp_katran_lb") return katranFills(frames);
  return [];
}

/**
 * xdp_katran_lb: every third distinct (destination, protocol) of the IPv4 (no options) and IPv6
 * TCP/UDP/ICMP frames is a VIP (struct vip_definition {addr, port 0 = any, proto}; for IPv6 the
 * last word of the address), 14 of them, with flags none / GUE / no-source-port in turn; each
 * VIP's ring of 61 slots spread over 12 reals (fd00::n, whose first word serves IPv4 too).
 */
function katranFills(frames: readonly Frame[]): MapFill[] {
  const vips = new Map<string, { addr: Uint8Array; proto: number }>();
  for (const { data: d } of frames) {
    const v4 = d.length >= 38 && d[12] === 0x08 && d[13] === 0x00 && d[14] === 0x45;
    const v6 = d.length >= 58 && d[12] === 0x86 && d[13] === 0xdd;
    const proto = v4 ? d[23]! : v6 ? d[20]! : -1;
    if (![1, 6, 17, 58].includes(proto)) continue;
    const addr = v4 ? d.subarray(30, 34) : d.subarray(50, 54);
    const id = `${Buffer.from(addr).toString("hex")}/${proto}`;
    if (!vips.has(id)) vips.set(id, { addr: addr.slice(), proto });
  }
  const picked = [...vips.values()].filter((_, i) => i % 3 === 0).slice(0, 14);
  const vipEntries = picked.map((v, i) => {
    const key = new Uint8Array(8);
    key.set(v.addr, 0);
    key[6] = v.proto;
    const value = new Uint8Array(8); // struct vip_meta { flags, vip_num }
    value.set(u32le([0, 1, 2][i % 3]!), 0);
    value.set(u32le(i), 4);
    return { key, value };
  });
  const RING = 61;
  const ring = Array.from({ length: 16 * RING }, (_, n) => ({ key: u32le(n), value: u32le((Math.floor(n / RING) * 5 + (n % RING) * 7) % 12) }));
  const reals = Array.from({ length: 12 }, (_, i) => {
    const r = new Uint8Array(20); // struct real_definition: 16-byte address, flags, pad
    r.set([0xfd, 0, 0, i + 1], 0);
    r[15] = i + 1;
    return { key: u32le(i), value: r };
  });
  return [
    { map: "vip_map", entries: vipEntries },
    { map: "ch_rings", entries: ring },
    { map: "reals", entries: reals },
    { map: "ctl_array", entries: [{ key: u32le(0), value: Uint8Array.of(2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 8) }] },
  ];
}
