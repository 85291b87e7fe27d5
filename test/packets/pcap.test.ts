import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { readCapture, readPcap, writePcap, type Packet } from "../../vm/packets/index.js";
import { concat, pcapHeader, pcapRecord, seq } from "./build.js";

function expectError(f: () => unknown, message: RegExp, offset: number): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BpfError);
    expect((e as BpfError).message).toMatch(message);
    expect((e as BpfError).where.offset).toBe(offset);
    return;
  }
  throw new Error(`expected a BpfError matching ${message}`);
}

describe("pcap reader", () => {
  for (const little of [true, false]) {
    for (const [magic, unit] of [
      [0xa1b2c3d4, 1000n],
      [0xa1b23c4d, 1n],
    ] as const) {
      it(`reads ${little ? "little" : "big"}-endian ${unit === 1n ? "ns" : "µs"} files`, () => {
        const file = concat(
          pcapHeader({ little, magic, snaplen: 100, linkType: 1 }),
          pcapRecord({ little, sec: 1_700_000_000, frac: 123456, data: seq(60) }),
          pcapRecord({ little, sec: 1_700_000_001, frac: 999, caplen: 10, len: 1514, data: seq(10, 7) }),
        );
        const c = readPcap(file);
        expect(c.format).toBe("pcap");
        expect(c.littleEndian).toBe(little);
        expect(c.nanosecond).toBe(unit === 1n);
        expect(c.interfaces).toEqual([{ linkType: 1, snaplen: 100, snapshot: 100, tsUnitsPerSecond: unit === 1n ? 1_000_000_000n : 1_000_000n }]);
        expect(c.packets).toHaveLength(2);
        expect(c.packets[0]!.ts).toBe(1_700_000_000_000_000_000n + 123456n * unit);
        expect([...c.packets[0]!.data]).toEqual(seq(60));
        expect(c.packets[1]!.origLen).toBe(1514);
        expect([...c.packets[1]!.data]).toEqual(seq(10, 7));
        expect(c.packets[1]!.ts).toBe(1_700_000_001_000_000_000n + 999n * unit);
        expect(readCapture(file).packets).toHaveLength(2);
      });
    }
  }

  it("reads an empty capture (header only)", () => {
    expect(readPcap(pcapHeader()).packets).toEqual([]);
  });

  it("masks the FCS bits off the link-type field (LT_LINKTYPE) and reports the FCS length", () => {
    const c = readPcap(concat(pcapHeader({ linkType: 0x04000000 | (2 << 28) | 1 }), pcapRecord({ data: seq(20) })));
    expect(c.interfaces[0]!.linkType).toBe(1);
    expect(c.interfaces[0]!.fcsLength).toBe(4);
    expect(c.packets[0]!.linkType).toBe(1);
    const noFlag = readPcap(pcapHeader({ linkType: 0x30000001 })).interfaces[0]!;
    expect(noFlag.linkType).toBe(1);
    expect(noFlag).not.toHaveProperty("fcsLength");
  });

  it("swaps caplen and len before version 2.3, and at 2.3 only when caplen > len (libpcap)", () => {
    const old = readPcap(concat(pcapHeader({ minor: 2 }), pcapRecord({ caplen: 1000, len: 8, data: seq(8) })));
    expect(old.packets[0]).toMatchObject({ origLen: 1000 });
    expect(old.packets[0]!.data.length).toBe(8);
    const maybe = readPcap(concat(pcapHeader({ minor: 3 }), pcapRecord({ caplen: 1000, len: 8, data: seq(8) }), pcapRecord({ caplen: 4, len: 60, data: seq(4) })));
    expect(maybe.packets.map((p) => [p.data.length, p.origLen])).toEqual([
      [8, 1000],
      [4, 60],
    ]);
  });

  it("reads Kuznetzov's 24-byte record headers", () => {
    const rec = concat(pcapRecord({ sec: 5, data: [] }).subarray(0, 16), new Uint8Array(8), Uint8Array.from(seq(12)));
    rec[8] = 12;
    rec[12] = 12;
    const c = readPcap(concat(pcapHeader({ magic: 0xa1b2cd34 }), rec));
    expect([...c.packets[0]!.data]).toEqual(seq(12));
    expect(c.packets[0]!.ts).toBe(5_000_000_000n);
  });

  it("treats snaplen 0 or above the maximum as the maximum (pcap_adjust_snapshot)", () => {
    expect(readPcap(pcapHeader({ snaplen: 0 })).interfaces[0]!.snapshot).toBe(262144);
    expect(readPcap(pcapHeader({ snaplen: 0x7fffffff })).interfaces[0]!.snapshot).toBe(262144);
  });

  it("cuts records longer than the snaplen to the snaplen, as libpcap does; strict refuses them", () => {
    const file = concat(pcapHeader({ snaplen: 16 }), pcapRecord({ data: seq(40) }), pcapRecord({ data: seq(8) }));
    const c = readPcap(file);
    expect(c.packets.map((p) => p.data.length)).toEqual([16, 8]);
    expect([...c.packets[0]!.data]).toEqual(seq(16));
    expect(c.packets[0]!.origLen).toBe(40);
    expect(c.notes.truncatedToSnaplen).toBe(1);
    expectError(() => readPcap(file, { strict: true }), /record 0 at byte 24: caplen 40 is larger than the snaplen 16/, 24);
  });

  it("refuses caplen above 256 KiB (a corrupt record), naming its offset", () => {
    const rec = pcapRecord({ caplen: 262145, data: seq(4) });
    expectError(() => readPcap(concat(pcapHeader({ snaplen: 0 }), pcapRecord({ data: seq(4) }), rec)), /record 1 at byte 44: caplen 262145 is larger than the 262144-byte maximum/, 44);
  });

  it("refuses bad magic, archaic and unknown versions, a short header", () => {
    expectError(() => readPcap(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)), /bad magic number 0x01020304 at byte 0/, 0);
    expectError(() => readPcap(Uint8Array.of(1, 2)), /truncated magic number at byte 0: needs 4 bytes, 2 left/, 0);
    expectError(() => readPcap(pcapHeader({ major: 1 })), /archaic pcap savefile format \(version 1.4\)/, 4);
    expectError(() => readPcap(pcapHeader({ major: 2, minor: 5 })), /unsupported pcap savefile version 2.5/, 4);
    expectError(() => readPcap(pcapHeader().subarray(0, 20)), /truncated file header at byte 0: needs 24 bytes, 20 left/, 0);
    expectError(() => readCapture(Uint8Array.of(0xde, 0xad, 0xbe, 0xef)), /bad magic 0xdeadbeef/, 0);
  });

  it("refuses truncated record headers and data with the record's offset", () => {
    const good = concat(pcapHeader(), pcapRecord({ data: seq(10) }));
    expectError(() => readPcap(concat(good, new Uint8Array(5))), /truncated header of record 1 at byte 50: needs 16 bytes, 5 left/, 50);
    const cut = concat(good, pcapRecord({ data: seq(30) }).subarray(0, 30));
    expectError(() => readPcap(cut), /truncated data of record 1 \(caplen 30\) at byte 66: needs 30 bytes, 14 left/, 66);
  });

  it("accepts zero-length records", () => {
    const c = readPcap(concat(pcapHeader(), pcapRecord({ data: [] }), pcapRecord({ data: [] })));
    expect(c.packets.map((p) => p.data.length)).toEqual([0, 0]);
  });
});

describe("pcap writer", () => {
  const packets: Packet[] = [
    { data: Uint8Array.from(seq(60)), ts: 1_700_000_000_123_456_789n, origLen: 60, linkType: 1, iface: 0 },
    { data: Uint8Array.from(seq(14, 3)), ts: 1_700_000_001_000_000_001n, origLen: 1514, linkType: 1, iface: 0 },
  ];

  for (const littleEndian of [true, false]) {
    for (const nanosecond of [true, false]) {
      it(`round-trips ${littleEndian ? "LE" : "BE"} ${nanosecond ? "ns" : "µs"}`, () => {
        const bytes = writePcap(packets, { littleEndian, nanosecond });
        const c = readPcap(bytes);
        expect(c.littleEndian).toBe(littleEndian);
        expect(c.packets.map((p) => [[...p.data], p.origLen, p.linkType])).toEqual(packets.map((p) => [[...p.data], p.origLen, 1]));
        const ts = packets.map((p) => (nanosecond ? p.ts : (p.ts / 1000n) * 1000n));
        expect(c.packets.map((p) => p.ts)).toEqual(ts);
      });
    }
  }

  it("writes the header tcpdump writes (LE µs, version 2.4, snaplen 262144)", () => {
    const bytes = writePcap([]);
    expect([...bytes]).toEqual([...pcapHeader({ snaplen: 262144, linkType: 1 })]);
  });

  it("refuses what pcap cannot hold", () => {
    expect(() => writePcap([packets[0]!, { ...packets[1]!, linkType: 101 }])).toThrow(/packet 1 has link type 101, the file has 1/);
    expect(() => writePcap(packets, { snaplen: 20 })).toThrow(/packet 0 has 60 bytes, more than the snaplen 20/);
    expect(() => writePcap([{ ...packets[0]!, ts: -1n }])).toThrow(BpfError);
    expect(() => writePcap([{ ...packets[0]!, ts: 1n << 63n }])).toThrow(/does not fit/);
    expect(() => writePcap([{ ...packets[0]!, origLen: -1 }])).toThrow(/wire length -1 is not a 32-bit unsigned integer/);
  });
});
