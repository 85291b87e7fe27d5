// The packet corpora of the line-rate benchmark:
//   flood64   generated 64-byte frames (60 captured + FCS), UDP from random sources (corpus/gen)
//   imix      generated IMIX: 64/594/1518-byte frames 7:4:1 (corpus/gen)
//   tcpdump   every Ethernet capture of corpus/pcap/tcpdump, concatenated in file name order
//   gen:SPEC  any corpus/gen spec (e.g. gen:mix:20k:seed=3)
//   FILE      a pcap or pcapng file (other link types adapted to Ethernet or skipped, counted)
// Bit rates count what the frames occupy on the wire: max(origLen, 60) + 4 (FCS) + 20
// (preamble, start delimiter, inter-frame gap) bytes, as the 10/40/100GbE line rates of 64-byte
// frames (14.88 / 59.52 / 148.8 Mpps) do.

import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { generate } from "../../corpus/gen/index.js";
import { BpfError } from "../../vm/errors.js";
import { readCapture, toEthernet } from "../../vm/packets/index.js";
import { packageRoot } from "../root.js";

export interface PacketLike {
  readonly data: Uint8Array;
  readonly origLen: number;
}

export interface BenchCorpus {
  readonly name: string;
  readonly packets: readonly PacketLike[];
  /** Average bits per packet on the wire (frame, FCS, preamble, gap). */
  readonly wireBits: number;
  /** What was left out, for the report (non-Ethernet packets, unreadable files). */
  readonly notes: string[];
}

export const DEFAULT_CORPORA = ["flood64", "imix", "tcpdump"];
const WIRE_OVERHEAD = 4 + 20;
const MIN_FRAME = 60;

/** Packets of the generated corpora: enough for rounds far longer than one pass. */
export const GEN_COUNTS = { flood64: 65536, imix: 16384 } as const;

export function wireBitsOf(packets: readonly PacketLike[]): number {
  if (packets.length === 0) return 0;
  let bytes = 0;
  for (const p of packets) bytes += Math.max(p.origLen, p.data.length, MIN_FRAME) + WIRE_OVERHEAD;
  return (bytes * 8) / packets.length;
}

function corpus(name: string, packets: readonly PacketLike[], notes: string[] = []): BenchCorpus {
  return { name, packets, wireBits: wireBitsOf(packets), notes };
}

/** Ethernet packets of one capture file, with what was adapted or skipped. */
function captureFile(path: string, notes: string[]): PacketLike[] {
  const capture = readCapture(readFileSync(path));
  const eth = toEthernet(capture.packets);
  const skipped = Object.entries(eth.skipped);
  if (skipped.length > 0) notes.push(`${basename(path)}: skipped ${skipped.map(([why, n]) => `${n} ${why}`).join(", ")}`);
  return eth.packets;
}

function tcpdumpCorpus(): BenchCorpus {
  const dir = join(packageRoot(), "corpus", "pcap", "tcpdump");
  const notes: string[] = [];
  const packets: PacketLike[] = [];
  const files = readdirSync(dir).filter((f) => f.endsWith(".pcap") || f.endsWith(".pcapng")).sort();
  for (const f of files) {
    try {
      packets.push(...captureFile(join(dir, f), notes));
    } catch (err) {
      notes.push(`${f}: not read (${(err as Error).message})`);
    }
  }
  notes.unshift(`${files.length} captures`);
  return corpus("tcpdump", packets, notes);
}

/** A corpus by name (see the header comment). */
export function loadCorpus(spec: string): BenchCorpus {
  if (spec === "flood64") return corpus(spec, generate(`flood64:${GEN_COUNTS.flood64}:seed=1`));
  if (spec === "imix") return corpus(spec, generate(`imix:${GEN_COUNTS.imix}:seed=1`));
  if (spec === "tcpdump") return tcpdumpCorpus();
  if (spec.startsWith("gen:")) return corpus(spec, generate(spec.slice(4)));
  const notes: string[] = [];
  let packets: PacketLike[];
  try {
    packets = captureFile(spec, notes);
  } catch (err) {
    throw new BpfError(`corpus '${spec}': ${(err as Error).message} (corpora: flood64, imix, tcpdump, gen:SPEC or a pcap/pcapng file)`);
  }
  return corpus(basename(spec), packets, notes);
}
