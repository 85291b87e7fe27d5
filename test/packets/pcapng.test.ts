import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { readCapture, readPcapng, writePcapng, type Packet } from "../../vm/packets/index.js";
import { block, Bytes, concat, endOfOptions, epb, idb, option, seq, shb, spb } from "./build.js";
import { tcpdumpMissing, tcpdumpPrint } from "./tcpdump.js";

function expectError(f: () => unknown, message: RegExp, offset?: number): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BpfError);
    expect((e as BpfError).message).toMatch(message);
    if (offset !== undefined) expect((e as BpfError).where.offset).toBe(offset);
    else expect((e as BpfError).where.offset).toBeTypeOf("number");
    return;
  }
  throw new Error(`expected a BpfError matching ${message}`);
}

const tsresol = (v: number, little = true): Uint8Array => option(9, [v], little);
const tsoffset = (seconds: bigint, little = true): Uint8Array => option(14, new Bytes(little).u64(seconds).bytes(), little);

describe("pcapng reader", () => {
  for (const little of [true, false]) {
    it(`reads a ${little ? "little" : "big"}-endian section with several interfaces, link types and ts resolutions`, () => {
      const file = concat(
        shb({ little, options: concat(option(4, [...new TextEncoder().encode("test app")], little), endOfOptions(little)) }),
        // if0: Ethernet, default µs resolution, a name
        idb({ little, linkType: 1, snaplen: 0, options: concat(option(2, [...new TextEncoder().encode("eth0")], little), endOfOptions(little)) }),
        // if1: raw IP, ns resolution, an offset of 100 s
        idb({ little, linkType: 101, snaplen: 96, options: concat(tsresol(9, little), tsoffset(100n, little), endOfOptions(little)) }),
        // if2: LINUX_SLL, 2^-20 s resolution
        idb({ little, linkType: 113, snaplen: 65535, options: concat(tsresol(0x80 | 20, little), endOfOptions(little)) }),
        epb({ little, iface: 0, ts: 1_500_000_000_000_001n, data: seq(60), options: concat(option(2, [1, 0, 0, 0], little), endOfOptions(little)) }),
        block(4, new Uint8Array(8), { little }), // name resolution block: skipped
        epb({ little, iface: 1, ts: 7n, len: 1500, data: seq(21) }),
        block(5, new Uint8Array(20), { little }), // interface statistics: skipped
        epb({ little, iface: 2, ts: 3n << 20n, data: seq(3) }),
        block(0x40000bad, new Uint8Array(12), { little }), // custom block: skipped
      );
      const c = readPcapng(file);
      expect(c.format).toBe("pcapng");
      expect(c.littleEndian).toBe(little);
      expect(c.interfaces.map((i) => [i.linkType, i.snaplen, i.snapshot, i.tsUnitsPerSecond, i.name])).toEqual([
        [1, 0, 262144, 1_000_000n, "eth0"],
        [101, 96, 96, 1_000_000_000n, undefined],
        [113, 65535, 65535, 1n << 20n, undefined],
      ]);
      expect(c.packets.map((p) => [p.iface, p.linkType, p.data.length, p.origLen, p.ts])).toEqual([
        [0, 1, 60, 60, 1_500_000_000_000_001_000n],
        [1, 101, 21, 1500, 100_000_000_007n],
        [2, 113, 3, 3, 3_000_000_000n],
      ]);
      expect([...c.packets[0]!.data]).toEqual(seq(60));
      expect([...c.packets[1]!.data]).toEqual(seq(21));
      expect(c.notes.skippedBlocks).toEqual({ 4: 1, 5: 1, [0x40000bad]: 1 });
    });
  }

  it("reads simple packet blocks (interface 0, caplen = min(origlen, snaplen)) and obsolete packet blocks", () => {
    const pb = new Bytes().u16(0).u16(0).u32(0).u32(2_000_000).u32(5).u32(9).raw(seq(5)).pad4().bytes();
    const c = readPcapng(
      concat(shb(), idb({ snaplen: 8 }), spb({ len: 6, data: seq(6) }), spb({ len: 64, data: seq(8) }), block(2, pb)),
    );
    expect(c.packets.map((p) => [p.data.length, p.origLen, p.ts])).toEqual([
      [6, 6, 0n],
      [8, 64, 0n],
      [5, 9, 2_000_000_000n],
    ]);
  });

  it("numbers interfaces across sections and follows each section's byte order", () => {
    const file = concat(
      shb({ little: true }),
      idb({ little: true, linkType: 1 }),
      epb({ little: true, iface: 0, ts: 1n, data: seq(4) }),
      shb({ little: false }),
      idb({ little: false, linkType: 228 }),
      idb({ little: false, linkType: 1, options: concat(tsresol(3, false), endOfOptions(false)) }),
      epb({ little: false, iface: 1, ts: 2n, data: seq(5) }),
      epb({ little: false, iface: 0, ts: 3n, data: seq(6) }),
    );
    const c = readCapture(file);
    expect(c.interfaces.map((i) => i.linkType)).toEqual([1, 228, 1]);
    expect(c.packets.map((p) => [p.iface, p.linkType, p.ts, p.data.length])).toEqual([
      [0, 1, 1000n, 4],
      [2, 1, 2_000_000n, 5],
      [1, 228, 3000n, 6],
    ]);
  });

  it("refuses a packet longer than its interface's snaplen, strict or not, as libpcap does", () => {
    // libpcap (sf-pcapng.c): "invalid packet capture length 30, bigger than snaplen of 10"; it
    // cuts pcap records but not pcapng packets. The offset is the EPB's caplen field.
    const file = concat(shb(), idb({ snaplen: 10 }), epb({ data: seq(5) }), epb({ data: seq(30) }));
    const caplenAt = 28 + 20 + 40 + 8 + 12; // SHB, IDB, the first EPB; the second's header and 3 fields
    for (const options of [{}, { strict: true }]) {
      expectError(() => readPcapng(file, options), /block 3 at byte 88: caplen 30 is larger than the interface's snaplen 10/, caplenAt);
    }
    // At the snaplen exactly, and a snaplen of 0 (no limit), it reads.
    expect(readPcapng(concat(shb(), idb({ snaplen: 10 }), epb({ data: seq(10) }))).packets[0]!.data.length).toBe(10);
    expect(readPcapng(concat(shb(), idb({ snaplen: 0 }), epb({ data: seq(30) }))).packets[0]!.data.length).toBe(30);
  });

  it("holds each packet to its own interface's snaplen (libpcap refuses interfaces whose snaplens differ)", () => {
    const file = concat(shb(), idb({ snaplen: 100 }), idb({ snaplen: 10 }), epb({ iface: 0, data: seq(30) }), epb({ iface: 1, data: seq(30) }));
    expectError(() => readPcapng(file), /caplen 30 is larger than the interface's snaplen 10/);
    const ok = concat(shb(), idb({ snaplen: 10 }), idb({ snaplen: 100 }), epb({ iface: 1, data: seq(30) }));
    expect(readPcapng(ok).packets[0]!.data.length).toBe(30);
  });

  describe("bad input: a BpfError with the byte offset", () => {
    const head = concat(shb(), idb());
    const at = head.length;

    it("bad magic and bad byte-order magic", () => {
      expectError(() => readPcapng(Uint8Array.of(1, 2, 3, 4)), /bad magic 0x01020304 at byte 0/, 0);
      const bad = shb();
      bad[8] = 0x11;
      expectError(() => readPcapng(bad), /bad byte-order magic 0x1a2b3c11/, 8);
      expectError(() => readPcapng(shb().subarray(0, 10)), /truncated section header block at byte 0/, 0);
    });

    it("unsupported version", () => {
      expectError(() => readPcapng(shb({ major: 2 })), /unsupported pcapng version 2.0/, 12);
    });

    it("leading and trailing block lengths that disagree", () => {
      const b = epb({ data: seq(8) });
      expectError(() => readPcapng(concat(head, block(6, b.subarray(8, b.length - 4), { trailing: 44 }))), new RegExp(`block 2 \\(type 0x6\\) at byte ${at}: trailing length 44 at byte ${at + 36} does not match the leading length 40`), at + 36);
    });

    it("block lengths that are zero, too small, not a multiple of 4, or past the end", () => {
      const body = new Uint8Array(20);
      expectError(() => readPcapng(concat(head, block(6, body, { total: 0 }))), /total length 0 is less than the 12-byte minimum/, at + 4);
      expectError(() => readPcapng(concat(head, block(6, body, { total: 30 }))), /total length 30 is not a multiple of 4/, at + 4);
      expectError(() => readPcapng(concat(head, block(6, body, { total: 0xfffffffc }))), /total length 4294967292 runs past the end of the file/, at + 4);
      expectError(() => readPcapng(concat(head, block(6, new Uint8Array(8)))), /total length 20 is less than the 32 bytes this block type needs/, at + 4);
      expectError(() => readPcapng(concat(head, Uint8Array.of(6, 0, 0, 0, 32))), /truncated header of block 2/, at);
    });

    it("a packet on an interface the section has not described", () => {
      expectError(() => readPcapng(concat(head, epb({ iface: 1, data: seq(4) }))), /packet on interface 1, but the section has 1 interface description block/, at + 8);
      expectError(() => readPcapng(concat(shb(), spb({ len: 4, data: seq(4) }))), /packet on interface 0, but the section has 0/);
    });

    it("a caplen that runs past its block, or above 256 KiB", () => {
      const b = new Bytes().u32(0).u32(0).u32(0).u32(100).u32(100).raw(seq(8)).bytes();
      expectError(() => readPcapng(concat(head, block(6, b))), /caplen 100 runs past the end of its block \(8 bytes of room\)/, at + 20);
      const big = new Bytes().u32(0).u32(0).u32(0).u32(300000).u32(300000).bytes();
      expectError(() => readPcapng(concat(head, block(6, big))), /caplen 300000 is larger than the 262144-byte maximum/);
      expectError(() => readPcapng(concat(head, spb({ len: 100, data: seq(8) }))), /simple packet of 100 bytes runs past the end of its block/);
    });

    it("IDB options that run past the block or have the wrong size; a resolution too fine", () => {
      const badOpt = new Bytes().u16(1).u16(0).u32(0).u16(2).u16(40).raw(seq(4)).bytes();
      expectError(() => readPcapng(concat(shb(), block(1, badOpt))), /option 2 at byte 44 \(length 40\) runs past the end of its block/, 44);
      expectError(() => readPcapng(concat(shb(), idb({ options: option(9, [6, 6]) }))), /IDB option 9 at byte 44 has length 2, expected 1/, 44);
      expectError(() => readPcapng(concat(shb(), idb({ options: tsresol(20) }))), /if_tsresol 10\^-20 at byte 48 is too fine/, 48);
      expectError(() => readPcapng(concat(shb(), idb({ options: tsresol(0x80 | 64) }))), /if_tsresol 2\^-64/, 48);
      // A padded tsresol option, then 4 bytes that are not an end-of-options: read as an option
      // header of length 0 (code 0x0101), which is fine; 2 stray bytes would not be.
      const opts = new Bytes().u16(1).u16(0).u32(0).u16(9).u16(1).u8(9, 0, 0, 0).u8(1, 1, 0, 0).bytes();
      expect(readPcapng(concat(shb(), block(1, opts))).interfaces[0]!.tsUnitsPerSecond).toBe(1_000_000_000n);
    });
  });
});

describe("pcapng writer", () => {
  const packets: Packet[] = [
    { data: Uint8Array.from(seq(60)), ts: 1_700_000_000_123_456_789n, origLen: 60, linkType: 1, iface: 0 },
    { data: Uint8Array.from(seq(7, 3)), ts: 1_700_000_000_200_000_000n, origLen: 40, linkType: 101, iface: 3 },
    { data: Uint8Array.from(seq(61, 9)), ts: 1_700_000_001_000_000_001n, origLen: 1514, linkType: 1, iface: 0 },
  ];

  for (const littleEndian of [true, false]) {
    it(`round-trips several interfaces with ns timestamps (${littleEndian ? "LE" : "BE"})`, () => {
      const c = readPcapng(writePcapng(packets, { littleEndian }));
      expect(c.littleEndian).toBe(littleEndian);
      expect(c.interfaces.map((i) => [i.linkType, i.tsUnitsPerSecond])).toEqual([
        [1, 1_000_000_000n],
        [101, 1_000_000_000n],
      ]);
      expect(c.packets.map((p) => [[...p.data], p.ts, p.origLen, p.linkType, p.iface])).toEqual(
        packets.map((p) => [[...p.data], p.ts, p.origLen, p.linkType, p.iface === 0 ? 0 : 1]),
      );
    });
  }

  it("refuses what the file could not hold", () => {
    expect(() => writePcapng([packets[0]!], { snaplen: 10 })).toThrow(/packet 0 has 60 bytes, more than the snaplen 10/);
    expect(() => writePcapng([{ ...packets[0]!, origLen: 2 ** 32 }])).toThrow(/wire length/);
    expect(() => writePcapng([{ ...packets[0]!, ts: -5n }])).toThrow(/does not fit 64 bits/);
  });

  it("refuses one interface with two link types", () => {
    expect(() => writePcapng([packets[0]!, { ...packets[1]!, iface: 0 }])).toThrow(/interface 0 has link type 101, earlier packets there have 1/);
  });

  it("writes files tcpdump reads", () => {
    const missing = tcpdumpMissing();
    if (missing) {
      console.log(`skipped: tcpdump check of the pcapng writer: ${missing}`);
      return;
    }
    const eth = packets.filter((p) => p.linkType === 1);
    const lines = tcpdumpPrint(writePcapng(eth), ["-tt", "-e"]).filter((l) => /^\d/.test(l)); // not hex-dump lines
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^1700000000\.123456 /);
    expect(lines[1]).toMatch(/^1700000001\.000000 /);
  });
});
