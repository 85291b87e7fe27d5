// Our readers against libpcap's: for every capture in corpus/pcap, `tcpdump -r FILE -w -` writes
// the packets as libpcap read them (µs pcap). Ours must give the same packets — bytes, caplen,
// wire length and timestamp — and fail exactly where libpcap fails.

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { readCapture } from "../../vm/packets/index.js";
import { corpusFiles, tcpdumpMissing, tcpdumpRewrite } from "./tcpdump.js";

/** A deliberately separate, minimal parser for tcpdump's own output (LE µs pcap). */
function parseTcpdumpOutput(bytes: Uint8Array): { linkType: number; records: { usec: bigint; caplen: number; len: number; data: Uint8Array }[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(view.getUint32(0, true)).toBe(0xa1b2c3d4);
  const records = [];
  for (let at = 24; at < bytes.length; ) {
    const caplen = view.getUint32(at + 8, true);
    records.push({
      usec: BigInt(view.getUint32(at, true)) * 1_000_000n + BigInt(view.getUint32(at + 4, true)),
      caplen,
      len: view.getUint32(at + 12, true),
      data: bytes.subarray(at + 16, at + 16 + caplen),
    });
    at += 16 + caplen;
  }
  return { linkType: view.getUint32(20, true) & 0x03ffffff, records };
}

/**
 * Where libpcap's reading is not what the format says, we follow the format and list the
 * difference here. timestamp_invalid_nano.pcap's third record has a nanosecond field of
 * 2147483648: libpcap scales it through a signed 32-bit field (−2147483648 / 1000), we read the
 * field as the unsigned number pcap-savefile(5) defines.
 */
const TIMESTAMP_DIVERGES: Record<string, number[]> = { "timestamp_invalid_nano.pcap": [2] };

const missing = tcpdumpMissing();
const files = [...corpusFiles("tcpdump"), ...corpusFiles("tcpdump-linktypes"), ...corpusFiles("gen")];

describe("readers agree with libpcap (tcpdump -r FILE -w -) on every corpus capture", () => {
  if (missing) {
    it.skip(`skipped: ${missing}`, () => {});
    console.log(`skipped: reader-vs-libpcap corpus comparison: ${missing}`);
    return;
  }

  it("has the corpus", () => {
    expect(corpusFiles("tcpdump").length).toBeGreaterThanOrEqual(300);
  });

  it.each(files.map((f) => [basename(f), f]))("%s", (_name, file) => {
    const bytes = new Uint8Array(readFileSync(file));
    const ref = tcpdumpRewrite(file);
    if (ref.status !== 0) {
      // libpcap refused the file (or part of it): we must refuse it too, with an offset.
      expect(() => readCapture(bytes)).toThrow(BpfError);
      try {
        readCapture(bytes);
      } catch (e) {
        expect((e as BpfError).where.offset).toBeTypeOf("number");
      }
      return;
    }
    const ours = readCapture(bytes);
    const theirs = parseTcpdumpOutput(ref.stdout);
    expect(ours.packets.length).toBe(theirs.records.length);
    ours.packets.forEach((p, i) => {
      const t = theirs.records[i]!;
      expect(p.data.length, `packet ${i} caplen`).toBe(t.caplen);
      expect(p.origLen, `packet ${i} len`).toBe(t.len);
      if (!TIMESTAMP_DIVERGES[basename(file)]?.includes(i)) expect(p.ts / 1000n, `packet ${i} timestamp (µs)`).toBe(t.usec);
      expect(Buffer.from(p.data).equals(Buffer.from(t.data)), `packet ${i} bytes`).toBe(true);
      expect(p.linkType).toBe(theirs.linkType);
    });
  });
});
