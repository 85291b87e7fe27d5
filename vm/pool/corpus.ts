// The packet corpus in the shared memory's corpus region (Layout.corpusBase / corpusSize), written
// once by the thread that owns the machine and read in place by every worker: tasks carry packet
// indices, never bytes (DESIGN.md "Workers").
//
//   corpusBase + 0      control: Int32 words (run cursors, cancel flags), 256 bytes
//              + 256    histograms: u64 × 16 per CPU (verdict bins of the CPU's current task)
//   desc               count × { u32 ptr, u32 len }  (the JIT's BatchInput descriptor format)
//   wire               count × u32: length on the wire (Packet.origLen)
//   results            count × u64: r0 of each packet's last run (when a run asks for results)
//   data               the packets' captured bytes, each at an 8-byte aligned address
//   placement          for __sk_buff program types: each packet's context, precomputed
//                      (placements.ts): a descriptor, the template, count × PLACEMENT_WORDS u32
//
// The region is plain data: SharedCorpusInfo (numbers) is all a worker needs to find it.

import { BpfError } from "../errors.js";
import type { Layout } from "../memory/layout.js";
import type { ProgramType } from "../programs/types.js";
import { computePlacements, PLACEMENT_FIXED_BYTES, PLACEMENT_PACKET_BYTES, PLACEMENT_RECORD, PLACEMENT_WORDS, type Placements } from "./placements.js";

/** A packet as the corpus takes it: bytes (wire length = their length) or a captured packet. */
export type CorpusPacket = Uint8Array | { readonly data: Uint8Array; readonly origLen: number };

export const CONTROL_BYTES = 256;
/** Int32 control words: one cursor per concurrent run slot. */
export const CONTROL_WORDS = CONTROL_BYTES / 4;
/**
 * Verdict bins of u32 r0: 0..13 exactly (every XDP and TC_ACT_* verdict), 14 any other value,
 * 15 0xffffffff (TC_ACT_UNSPEC = -1).
 */
export const HIST_BINS = 16;
export const HIST_OTHER = 14;
export const HIST_MINUS_ONE = 15;

export function histBin(r0: bigint): number {
  const v = Number(r0 & 0xffffffffn);
  return v < HIST_OTHER ? v : v === 0xffffffff ? HIST_MINUS_ONE : HIST_OTHER;
}

/** A bin's r0 for naming its verdict (bin 14 stands for "some other value"). */
export const binValue = (bin: number): bigint => (bin === HIST_MINUS_ONE ? 0xffffffffn : BigInt(bin));
const HIST_BYTES = HIST_BINS * 8;
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Where things are: plain numbers, structured-clonable to workers. */
export interface SharedCorpusInfo {
  readonly base: number;
  readonly count: number;
  readonly control: number;
  readonly hist: number;
  readonly desc: number;
  readonly wire: number;
  readonly results: number;
  readonly data: number;
  /** Longest captured packet (a per-CPU copy must fit the packet slot). */
  readonly maxLength: number;
  /** Sum of wire lengths (for bit rates). */
  readonly wireBytes: number;
  /**
   * __sk_buff program types: the address of the packets' precomputed contexts (the driver's
   * placement descriptor, see writePlacement), or why there is none (`placementNote`).
   */
  readonly placement?: number;
  readonly placementNote?: string;
}

const bytesOf = (p: CorpusPacket): Uint8Array => (p instanceof Uint8Array ? p : p.data);
const wireOf = (p: CorpusPacket): number => (p instanceof Uint8Array ? p.length : Math.max(p.origLen, p.data.length));

/**
 * Bytes of corpus region `packets` need on a machine of `cpus` CPUs (for Layout's corpusSize),
 * with room for the precomputed contexts of an __sk_buff program type (96 bytes a packet).
 */
export function corpusRegionSize(packets: readonly CorpusPacket[], cpus: number): number {
  let data = 0;
  for (const p of packets) data += align8(bytesOf(p).length);
  const placement = PLACEMENT_FIXED_BYTES + packets.length * PLACEMENT_PACKET_BYTES;
  return CONTROL_BYTES + cpus * HIST_BYTES + packets.length * (8 + 4 + 8) + 16 + data + 8 + placement;
}

/**
 * Write `packets` into the layout's corpus region (replacing what was there), and for a `type`
 * with an __sk_buff context their precomputed contexts. Only call this while no run is in
 * flight: workers read the region without locks.
 */
export function writeCorpus(memory: WebAssembly.Memory, layout: Layout, packets: readonly CorpusPacket[], type?: ProgramType): SharedCorpusInfo {
  const need = corpusRegionSize(packets, layout.cpus);
  if (need > layout.corpusSize) {
    throw new BpfError(`the corpus needs ${need} bytes of corpus region, the machine has ${layout.corpusSize} (create it with corpusSize >= ${need})`);
  }
  const base = layout.corpusBase;
  const count = packets.length;
  const control = base;
  const hist = control + CONTROL_BYTES;
  const desc = align8(hist + layout.cpus * HIST_BYTES);
  const wire = desc + count * 8;
  const results = align8(wire + count * 4);
  let at = results + count * 8;
  const u8 = new Uint8Array(memory.buffer);
  const dv = new DataView(memory.buffer);
  u8.fill(0, base, base + CONTROL_BYTES + layout.cpus * HIST_BYTES);
  let maxLength = 0;
  let wireBytes = 0;
  packets.forEach((p, i) => {
    const bytes = bytesOf(p);
    u8.set(bytes, at);
    dv.setUint32(desc + 8 * i, at, true);
    dv.setUint32(desc + 8 * i + 4, bytes.length, true);
    dv.setUint32(wire + 4 * i, wireOf(p), true);
    maxLength = Math.max(maxLength, bytes.length);
    wireBytes += wireOf(p);
    at = align8(at + bytes.length);
  });
  u8.fill(0, results, results + count * 8);
  const info = { base, count, control, hist, desc, wire, results, data: results + count * 8, maxLength, wireBytes };
  if (!type?.ctx || type.ctx.name === "xdp_md") return info;
  const placements = computePlacements(type, layout.packetMax, packets.map((p) => ({ bytes: bytesOf(p), wire: wireOf(p) })));
  if (typeof placements === "string") return { ...info, placementNote: placements };
  return { ...info, placement: writePlacement(dv, u8, align8(at), placements) };
}

/**
 * The driver's placement descriptor at `at` (u32 words: template, extent, values, word count,
 * words, record count, record), then the words, the record pairs, the template and the values.
 */
function writePlacement(dv: DataView, u8: Uint8Array, at: number, p: Placements): number {
  const words = at + 32;
  const record = words + PLACEMENT_WORDS * 4;
  const template = record + PLACEMENT_RECORD * 8;
  const values = align8(template + p.template.length);
  [template, p.template.length, values, p.words.length, words, p.record.length, record, 0].forEach((v, k) => dv.setUint32(at + 4 * k, v, true));
  p.words.forEach((w, k) => dv.setUint32(words + 4 * k, w, true));
  p.record.forEach(([offset, value], k) => {
    dv.setUint32(record + 8 * k, offset, true);
    dv.setUint32(record + 8 * k + 4, value, true);
  });
  u8.set(p.template, template);
  u8.set(new Uint8Array(p.values.buffer, p.values.byteOffset, p.values.byteLength), values);
  return at;
}

/** The histogram of CPU `cpu`. */
export const histAddress = (info: SharedCorpusInfo, cpu: number): number => info.hist + cpu * HIST_BYTES;
