// Fuzzing the capture readers: random mutations of corpus captures (and of synthetic pcapng
// files with several sections, interfaces, byte orders and block types). Every read must either
// return packets that lie inside the input, or throw a BpfError with a byte offset — never
// another exception, never a hang. 3,000 cases normally; 100,000 with EBPF_WASM_LONG=1.
// A second test compares with libpcap on a sample of mutated pcap files: where tcpdump reads a
// file, we must read the same packets; where it refuses, we must refuse.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generate, Rng } from "../../corpus/gen/index.js";
import { BpfError } from "../../vm/errors.js";
import { readCapture, toEthernet, writePcap, writePcapng, type Capture } from "../../vm/packets/index.js";
import { concat, epb, idb, option, shb, spb, block, endOfOptions, seq } from "./build.js";
import { mutate } from "./mutate.js";
import { corpusFiles, tcpdumpMissing, tcpdumpRewrite } from "./tcpdump.js";

const LONG = process.env.EBPF_WASM_LONG === "1";
const CASES = LONG ? 100_000 : 3_000;

function seeds(): Uint8Array[] {
  const files = [...corpusFiles("tcpdump"), ...corpusFiles("tcpdump-linktypes")].map((f) => new Uint8Array(readFileSync(f)));
  const gen = generate("mix:40:seed=3");
  const multi = concat(
    shb({ little: false }),
    idb({ little: false, linkType: 1, snaplen: 128, options: concat(option(9, [0x80 | 10], false), option(14, [0, 0, 0, 0, 0, 0, 0, 5], false), endOfOptions(false)) }),
    idb({ little: false, linkType: 101 }),
    epb({ little: false, iface: 1, ts: 99n, data: seq(30) }),
    block(5, new Uint8Array(16), { little: false }),
    spb({ little: false, len: 40, data: seq(40) }),
    shb(),
    idb({ linkType: 113, options: concat(option(2, [101, 116, 104, 48]), endOfOptions()) }),
    epb({ data: seq(33), options: concat(option(1, [104, 105]), endOfOptions()) }),
  );
  return [
    ...files.filter((f) => f.length <= 16384),
    writePcap(gen),
    writePcap(gen, { littleEndian: false, nanosecond: true }),
    writePcapng(gen),
    writePcapng(gen, { littleEndian: false }),
    multi,
  ];
}

/** Read and check the result's invariants; returns "ok", or "error" for a BpfError. */
function readOnce(bytes: Uint8Array): { result: "ok" | "error"; capture?: Capture; message?: string } {
  let capture: Capture;
  try {
    capture = readCapture(bytes);
  } catch (e) {
    if (!(e instanceof BpfError)) throw new Error(`not a BpfError: ${(e as Error)?.stack ?? e}`);
    expect(e.where.offset, e.message).toBeTypeOf("number");
    expect(e.where.offset!).toBeGreaterThanOrEqual(0);
    expect(e.where.offset!).toBeLessThanOrEqual(bytes.length);
    return { result: "error", message: e.message };
  }
  for (const p of capture.packets) {
    // Views into the input, never past its end, never above libpcap's maximum.
    expect(p.data.buffer).toBe(bytes.buffer);
    expect(p.data.byteOffset - bytes.byteOffset + p.data.length).toBeLessThanOrEqual(bytes.length);
    expect(p.data.length).toBeLessThanOrEqual(128 * 1024 * 1024);
  }
  toEthernet(capture.packets); // must not throw either
  return { result: "ok", capture };
}

describe(`capture readers survive ${CASES} mutated inputs${LONG ? " (long mode)" : ""}`, () => {
  it("throws only BpfErrors with an offset, and reads only inside the input", () => {
    const inputs = seeds();
    const rng = new Rng(LONG ? 0x10ad_f00dn : 0xf0221n);
    const tally = { ok: 0, error: 0 } as Record<string, number>;
    for (let i = 0; i < CASES; i++) {
      const input = rng.pick(inputs);
      const { bytes, how } = mutate(rng, input, rng.pick(inputs));
      try {
        tally[readOnce(bytes).result]!++;
      } catch (e) {
        throw new Error(`case ${i} (${how} of a ${input.length}-byte input): ${(e as Error).message}`);
      }
    }
    console.log(`reader fuzz: ${CASES} cases, ${tally.ok} read, ${tally.error} refused with a BpfError`);
    // Both outcomes must be common, or the mutations are too weak or too strong to test much.
    expect(tally.ok).toBeGreaterThan(CASES / 10);
    expect(tally.error).toBeGreaterThan(CASES / 10);
  }, 600_000);

  /**
   * Where we knowingly differ from libpcap, by design:
   *  - tcpdump refuses link types it has no printer for, even with -w (not a file-format matter);
   *  - we also check the section header block's trailing length (libpcap checks every other block's);
   *  - we read pcapng interfaces with different link types (libpcap refuses all but the first's).
   */
  const KNOWN: ReadonlyArray<[name: string, matches: (ours: string, theirs: string) => boolean]> = [
    ["tcpdump has no printer for the link type", (_o, t) => /unknown data link type/.test(t)],
    ["we check the SHB's trailing length", (o, t) => t === "" && /type 0xa0d0d0a\).*trailing length/.test(o)],
    ["we read interfaces of several link types", (_o, t) => /different from the type of the first interface/.test(t)],
  ];

  it("agrees with libpcap on mutated pcap and pcapng files", () => {
    const missing = tcpdumpMissing();
    if (missing) {
      console.log(`skipped: reader-vs-libpcap fuzz: ${missing}`);
      return;
    }
    const inputs = seeds();
    const rng = new Rng(77n);
    const n = LONG ? 3000 : 200;
    const tally: Record<string, number> = { "read alike": 0, "refused alike": 0 };
    for (let i = 0; i < n; i++) {
      const { bytes, how } = mutate(rng, rng.pick(inputs), rng.pick(inputs));
      const ours = readOnce(bytes);
      const message = ours.message ?? "";
      const ref = tcpdumpRewrite(bytes);
      const theirs = ref.status === 0 ? "ok" : "error";
      const why = ref.stderr.split("\n").filter((l) => l && !l.startsWith("reading from")).join(" ");
      if (ours.result !== theirs) {
        const known = KNOWN.find(([, m]) => m(message, why));
        expect(known, `case ${i} (${how}): ours ${ours.result} ${message}; tcpdump ${theirs} ${why}`).toBeDefined();
        tally[known![0]] = (tally[known![0]] ?? 0) + 1;
        continue;
      }
      if (theirs === "error") {
        tally["refused alike"]!++;
        continue;
      }
      tally["read alike"]!++;
      const view = new DataView(ref.stdout.buffer, ref.stdout.byteOffset);
      let at = 24;
      for (const p of ours.capture!.packets) {
        const caplen = view.getUint32(at + 8, true);
        expect(p.data.length, `case ${i} (${how})`).toBe(caplen);
        expect(p.origLen).toBe(view.getUint32(at + 12, true));
        expect(Buffer.compare(p.data, ref.stdout.subarray(at + 16, at + 16 + caplen))).toBe(0);
        at += 16 + caplen;
      }
      expect(at).toBe(ref.stdout.length);
    }
    console.log(`reader vs libpcap on ${n} mutated files: ${JSON.stringify(tally)}`);
    expect(tally["read alike"]).toBeGreaterThan(n / 10);
    expect(tally["refused alike"]).toBeGreaterThan(n / 10);
  }, 600_000);
});
