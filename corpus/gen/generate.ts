// Seeded packet generation: a spec (or spec string) → Packet[] or pcap bytes. The same spec
// gives the same bytes everywhere: the PRNG is seeded from the spec, nothing reads the clock.

import { writePcap, type Packet } from "../../vm/packets/index.js";
import { MIXES } from "./mixes.js";
import { Rng } from "./prng.js";
import { parseGenSpec, type GenSpec } from "./spec.js";
import { Traffic, type Frame } from "./traffic.js";

/** Timestamps start here: 2023-11-14T22:13:20Z. */
export const START_NS = 1_700_000_000_000_000_000n;
/** Preamble + start delimiter (8) and the minimum inter-frame gap (12): wire time around a frame. */
const WIRE_EXTRA = 20;
const FCS = 4;

export function generate(spec: GenSpec | string): Packet[] {
  const s = typeof spec === "string" ? parseGenSpec(spec) : spec;
  const traffic = new Traffic(new Rng(s.seed), s.flows);
  const make = MIXES[s.kind]!.make;
  // Frames leave back to back at the link rate: time = bits sent so far / rate.
  const rateMbps = BigInt(Math.round(s.gbps * 1000));
  let bits = 0n;
  const packets: Packet[] = [];
  while (packets.length < s.count) {
    const made = make(traffic);
    for (const frame of Array.isArray(made) ? made : [made as Frame]) {
      if (packets.length === s.count) break;
      packets.push({ data: frame.data, ts: START_NS + (bits * 1000n) / rateMbps, origLen: frame.origLen, linkType: 1, iface: 0 });
      bits += BigInt((Math.max(frame.origLen, 60) + FCS + WIRE_EXTRA) * 8);
    }
  }
  return packets;
}

/** Generated packets as a pcap file (ns timestamps, so back-to-back 10G spacing survives). */
export function generatePcap(spec: GenSpec | string): Uint8Array {
  return writePcap(generate(spec), { nanosecond: true });
}
