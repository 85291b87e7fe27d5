import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_CAPTURES, generate, generatePcap, MIXES, parseGenSpec, Rng, START_NS } from "../../corpus/gen/index.js";
import { BpfError } from "../../vm/errors.js";
import { readPcap, type Packet } from "../../vm/packets/index.js";
import { CORPUS, tcpdumpMissing, tcpdumpPrint } from "./tcpdump.js";

// An independent checker (not the generator's checksum code): RFC 1071 sum over big-endian words.
function sum16(bytes: Uint8Array, start = 0): number {
  let s = start;
  for (let i = 0; i + 1 < bytes.length; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length % 2) s += bytes[bytes.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

interface Parsed {
  ethertype: number;
  vlans: number;
  l3: number; // offset of the network header
}

function parseL2(d: Uint8Array): Parsed {
  let at = 12;
  let vlans = 0;
  while ((d[at]! << 8 | d[at + 1]!) === 0x8100 || (d[at]! << 8 | d[at + 1]!) === 0x88a8) {
    at += 4;
    vlans++;
  }
  return { ethertype: (d[at]! << 8) | d[at + 1]!, vlans, l3: at + 2 };
}

/** Check every checksum of a frame whose headers are complete. Returns what it checked. */
function verifyChecksums(p: Packet): string[] {
  const d = p.data;
  const { ethertype, l3 } = parseL2(d);
  const checked: string[] = [];
  const l4check = (proto: number, seg: Uint8Array, pseudo: number): void => {
    if (proto === 6 || proto === 17 || proto === 58 || proto === 1) {
      const s = proto === 1 ? sum16(seg) : sum16(seg, pseudo);
      expect(s, `L4 proto ${proto} checksum`).toBe(0xffff);
      checked.push(`l4:${proto}`);
    }
  };
  if (ethertype === 0x0800) {
    const ihl = (d[l3]! & 0xf) * 4;
    expect(sum16(d.subarray(l3, l3 + ihl)), "IPv4 header checksum").toBe(0xffff);
    checked.push("ipv4");
    const total = (d[l3 + 2]! << 8) | d[l3 + 3]!;
    const fragmented = ((d[l3 + 6]! << 8) | d[l3 + 7]!) & 0x3fff;
    if (!fragmented) {
      const seg = d.subarray(l3 + ihl, l3 + total);
      const pseudo = sum16(d.subarray(l3 + 12, l3 + 20)) + d[l3 + 9]! + seg.length;
      l4check(d[l3 + 9]!, seg, pseudo);
    }
  } else if (ethertype === 0x86dd) {
    const len = (d[l3 + 4]! << 8) | d[l3 + 5]!;
    const seg = d.subarray(l3 + 40, l3 + 40 + len);
    const pseudo = sum16(d.subarray(l3 + 8, l3 + 40)) + d[l3 + 6]! + len;
    l4check(d[l3 + 6]!, seg, pseudo);
  }
  return checked;
}

describe("PRNG", () => {
  it("matches an independent xoshiro128** seeded by SplitMix64 (known answers)", () => {
    const draws = (seed: bigint): number[] => {
      const r = new Rng(seed);
      return [r.u32(), r.u32(), r.u32(), r.u32(), r.u32()];
    };
    // Computed with a separate Python implementation of both algorithms.
    expect(draws(1n)).toEqual([1695105466, 1423115009, 634581793, 1068227753, 716759206]);
    expect(draws(42n)).toEqual([1776835114, 4165204688, 17111135, 2317295270, 2792088233]);
    expect(draws((1n << 64n) - 1n)).toEqual([477689756, 2493998634, 555695776, 607808419, 61340979]);
  });

  it("draws unbiased integers and weighted picks", () => {
    const r = new Rng(7n);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[r.weighted([1, 2, 3])]!++;
    expect(counts[0]! / 30000).toBeCloseTo(1 / 6, 1);
    expect(counts[2]! / 30000).toBeCloseTo(3 / 6, 1);
    for (let i = 0; i < 1000; i++) {
      const x = r.range(5, 9);
      expect(x >= 5 && x <= 9).toBe(true);
    }
  });
});

describe("--gen spec parser", () => {
  it("parses kind, count with suffixes, and options", () => {
    expect(parseGenSpec("imix:10000:seed=1")).toEqual({ kind: "imix", count: 10000, seed: 1n, gbps: 10, flows: 256 });
    expect(parseGenSpec("flood64:2M:seed=0x10,gbps=100")).toEqual({ kind: "flood64", count: 2_000_000, seed: 16n, gbps: 100, flows: 256 });
    expect(parseGenSpec("mix:5k:flows=4096:gbps=2.5")).toMatchObject({ count: 5000, flows: 4096, gbps: 2.5, seed: 1n });
  });

  it.each([
    ["", /missing the generator kind/],
    ["bogus:10", /unknown generator 'bogus'/],
    ["imix", /missing the packet count/],
    ["imix:ten", /count 'ten' is not a whole number/],
    ["imix:-5", /count '-5' is not a whole number/],
    ["imix:200M", /above the limit/],
    ["imix:10:seed", /option 'seed' is not key=value/],
    ["imix:10:color=red", /unknown option 'color'/],
    ["imix:10:seed=1:seed=2", /option 'seed' given twice/],
    ["imix:10:seed=-1", /seed '-1' is not a non-negative integer/],
    ["imix:10:seed=0x1ffffffffffffffff", /does not fit 64 bits/],
    ["imix:10:gbps=0", /gbps '0' must be a number above 0/],
    ["imix:10:flows=0", /flows '0' must be an integer from 1/],
  ])("refuses %j", (spec, why) => {
    expect(() => parseGenSpec(spec)).toThrow(BpfError);
    expect(() => parseGenSpec(spec)).toThrow(why);
    expect(() => parseGenSpec(spec)).toThrow(/kinds: imix, flood64/);
  });
});

describe("generator", () => {
  it("is deterministic: same spec, same bytes; another seed, other bytes", () => {
    const a = generatePcap("mix:500:seed=11");
    expect(Buffer.compare(a, generatePcap("mix:500:seed=11"))).toBe(0);
    expect(Buffer.compare(a, generatePcap("mix:500:seed=12"))).not.toBe(0);
    expect(generate("mix:0:seed=1")).toEqual([]);
    expect(generate("frag:7:seed=1")).toHaveLength(7); // makers that return several frames are cut at the count
  });

  it("writes IMIX sizes 64/594/1518 (60/590/1514 captured) in 7:4:1", () => {
    const packets = generate("imix:12000:seed=3");
    const counts = new Map<number, number>();
    for (const p of packets) counts.set(p.data.length, (counts.get(p.data.length) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([60, 590, 1514]);
    expect(counts.get(60)! / 12000).toBeCloseTo(7 / 12, 1);
    expect(counts.get(590)! / 12000).toBeCloseTo(4 / 12, 1);
    expect(counts.get(1514)! / 12000).toBeCloseTo(1 / 12, 1);
    for (const p of packets.slice(0, 500)) expect(verifyChecksums(p)).toContain("ipv4");
  });

  it("floods 60-byte frames and SYNs at 10.0.0.1, spaced at the 10G line rate", () => {
    const flood = generate("flood64:1000:seed=1");
    expect(new Set(flood.map((p) => p.data.length))).toEqual(new Set([60]));
    expect(flood.every((p) => p.data[23] === 17 && p.data.subarray(30, 34).join(".") === "10.0.0.1")).toBe(true);
    // 64 bytes + 20 of preamble and gap = 672 bits = 67.2 ns at 10 Gb/s.
    expect(flood[0]!.ts).toBe(START_NS);
    expect(flood[10]!.ts - START_NS).toBe(672n);
    const syn = generate("syn:1000:seed=1");
    for (const p of syn) {
      expect(p.data.length).toBe(60);
      expect(p.data[47]).toBe(0x02); // SYN only
      expect((p.data[36]! << 8) | p.data[37]!).toBe(80);
      verifyChecksums(p);
    }
    expect(new Set(syn.map((p) => p.data.subarray(26, 30).join("."))).size).toBeGreaterThan(990); // spoofed sources
  });

  it("gives valid IPv4/TCP/UDP/ICMP/ICMPv6 checksums wherever headers are complete", () => {
    for (const kind of ["tcp", "udp", "icmp", "ipv6", "vlan", "frag", "imix", "flood64", "syn"]) {
      const checked = new Set<string>();
      for (const p of generate(`${kind}:400:seed=21`)) {
        expect(p.data.length).toBe(p.origLen);
        for (const c of verifyChecksums(p)) checked.add(c);
      }
      expect(checked.size, kind).toBeGreaterThan(0);
    }
  });

  it("mixes every kind of traffic", () => {
    const packets = generate("mix:4000:seed=5");
    const l2 = packets.map((p) => parseL2(p.data));
    const share = (f: (p: Packet, i: number) => boolean): number => packets.filter(f).length / packets.length;
    expect(share((_, i) => l2[i]!.ethertype === 0x86dd)).toBeGreaterThan(0.05);
    expect(share((_, i) => l2[i]!.ethertype === 0x0806)).toBeGreaterThan(0.01);
    expect(share((_, i) => l2[i]!.vlans === 1)).toBeGreaterThan(0.03);
    expect(share((_, i) => l2[i]!.vlans === 2)).toBeGreaterThan(0.003);
    expect(share((p) => p.data.length < p.origLen)).toBeGreaterThan(0.01);
    const ipv4 = packets.filter((_, i) => l2[i]!.ethertype === 0x0800 && l2[i]!.vlans === 0 && packets[i]!.data.length >= 34);
    expect(ipv4.filter((p) => p.data[23] === 1).length).toBeGreaterThan(20); // ICMP
    expect(ipv4.filter((p) => ((p.data[20]! << 8) | p.data[21]!) & 0x3fff).length).toBeGreaterThan(20); // fragments
    expect(ipv4.filter((p) => p.data[23] === 6 && p.data[47] === 0x02).length).toBeGreaterThan(20); // SYNs
  });

  it("truncates inside the headers and breaks headers on purpose", () => {
    for (const p of generate("truncated:300:seed=2")) {
      expect(p.data.length).toBeLessThan(p.origLen);
      expect(p.data.length).toBeLessThanOrEqual(14 + 8 + 40 + 20);
    }
    const bad = generate("malformed:300:seed=2");
    const ipHeaderBroken = bad.filter((p) => p.data[12] === 0x08 && p.data[13] === 0 && (p.data.length < 34 || p.data[14] !== 0x45 || sum16(p.data.subarray(14, 34)) !== 0xffff));
    expect(ipHeaderBroken.length).toBeGreaterThan(100);
  });

  it("has the generated captures committed, small, and exactly what their specs produce", () => {
    let total = 0;
    for (const [file, spec] of Object.entries(GENERATED_CAPTURES)) {
      const path = `${CORPUS}gen/${file}`;
      total += statSync(path).size;
      const committed = new Uint8Array(readFileSync(path));
      expect(Buffer.compare(committed, generatePcap(spec)), `${file} differs from ${spec}: regenerate (corpus/gen/regenerate.node.ts)`).toBe(0);
      expect(readPcap(committed).packets.length).toBe(parseGenSpec(spec).count);
    }
    expect(total).toBeLessThanOrEqual(1 << 20);
    expect(Object.keys(MIXES)).toEqual(expect.arrayContaining(["imix", "flood64", "mix", "syn"]));
  });

  it("passes tcpdump's own checksum verification (tcpdump -vvv) outside the malformed kinds", () => {
    const missing = tcpdumpMissing();
    if (missing) {
      console.log(`skipped: tcpdump checksum check of generated traffic: ${missing}`);
      return;
    }
    for (const kind of ["tcp", "udp", "icmp", "ipv6", "vlan", "frag", "imix", "flood64", "syn"]) {
      const lines = tcpdumpPrint(generatePcap(`${kind}:300:seed=31`), ["-vvv"]);
      const bad = lines.filter((l) => /bad cksum|bad udp cksum|incorrect ->|bad icmp/.test(l));
      expect(bad, kind).toEqual([]);
      // tcpdump says "sum ok"/"(correct)" for TCP and UDP; it only complains about ICMP, and
      // cannot check UDP across fragments.
      if (kind !== "icmp" && kind !== "frag") expect(lines.some((l) => /sum ok|\(correct\)/.test(l)), kind).toBe(true);
    }
    const malformed = tcpdumpPrint(generatePcap("malformed:300:seed=31"), ["-vvv"]);
    expect(malformed.some((l) => /bad cksum|incorrect ->|bad udp cksum|bad-len|bad-hlen|IP6, bad version|truncated|\[\|/.test(l))).toBe(true);
  });
});
