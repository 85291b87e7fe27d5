// Per-packet contexts for the JIT's packet driver on __sk_buff program types (socket filter, tc,
// cgroup_skb, ...), computed once per corpus by the runtime's own ContextWriter.
//
// An __sk_buff has fields the runtime computes per packet while it places it (len, protocol,
// pkt_type, the network header of a cgroup_skb packet, ...; vm/runtime/context.ts). Computing
// them in JS for every packet of every run cost 50–95 ns a packet, more than most programs take.
// They depend only on the packet and the program type, so they are computed once, when the corpus
// is loaded: ContextWriter.place() runs on each packet in a private memory, and what it wrote is
// kept as a template (the bytes every packet shares) plus, per packet, the few words that differ.
// The driver (driver.ts `skb`) then places a packet with two memory.copy and a handful of stores.
//
// What place() writes is observed, not assumed: the ctx area and the CPU's scratch area are filled
// with a sentinel before each packet, and every word that changed was written. The precomputed
// form is used only when it reproduces place() exactly —
//   - every packet is copied unchanged to the same place in the packet slot (no VLAN tag
//     stripped, for example),
//   - place() writes the same contiguous start of the ctx area for every packet,
//   - it writes the same words of the scratch area with the same values for every packet,
//   - pointer fields (kind other than "scalar") point into the packet slot (stored relative to
//     the packet's start, relocated to each CPU's slot by the driver),
//   - at most PLACEMENT_WORDS words differ between packets —
// otherwise the reason is recorded and the CPUs place packets with ContextWriter as before.

import { CTX_SIZE, Layout, SCRATCH_SIZE } from "../memory/layout.js";
import { ContextWriter } from "../runtime/context.js";
import type { ProgramType } from "../programs/types.js";

/** Most ctx words that may differ between packets (pointer fields included). */
export const PLACEMENT_WORDS = 24;
/** Most scratch-area words place() may write. */
export const PLACEMENT_RECORD = 8;
/** Bytes of a corpus region a placement needs beyond its per-packet values (corpus.ts reserves them). */
export const PLACEMENT_FIXED_BYTES = 8 * 4 + PLACEMENT_WORDS * 4 + PLACEMENT_RECORD * 8 + CTX_SIZE;
/** Bytes per packet. */
export const PLACEMENT_PACKET_BYTES = PLACEMENT_WORDS * 4;

const SENTINEL = 0xa5a5a5a5;
/** A word of the varying list that holds a pointer: relocated by the CPU's packet start. */
export const POINTER_WORD = 0x80000000;

/** The placement of every packet of a corpus, before it is written to the corpus region. */
export interface Placements {
  /** The ctx bytes place() writes for every packet, [0, template.length). */
  readonly template: Uint8Array;
  /** ctx byte offsets of the words that differ per packet, | POINTER_WORD for pointers. */
  readonly words: readonly number[];
  /** Per packet, the value of each of `words` (pointers relative to the packet's start). */
  readonly values: Uint32Array;
  /** Scratch-area words place() writes, with their value: [offset, value]. */
  readonly record: ReadonlyArray<readonly [number, number]>;
}

/** A packet to place: captured bytes and wire length. */
export interface PlacedPacket {
  readonly bytes: Uint8Array;
  readonly wire: number;
}

/** The placements of `packets` for `type`, or why they cannot be precomputed. */
export function computePlacements(type: ProgramType, packetMax: number, packets: readonly PlacedPacket[]): Placements | string {
  const layout = new Layout({ cpus: 1, packetMax, mapsSize: 0 });
  const cpu = layout.cpu(0);
  const memory = layout.createMemory(false);
  const u32 = new Uint32Array(memory.buffer);
  const u8 = new Uint8Array(memory.buffer);
  // Without the test run's socket: a program that loads __sk_buff.sk runs with ContextWriter
  // (load.ts), which writes it per packet outside the context.
  const writer = new ContextWriter(type, cpu, memory, layout, { testRunSocket: false });
  const ctxWords = CTX_SIZE / 4;
  const images = new Uint32Array(packets.length * ctxWords);
  let extent = -1;
  let record: Array<[number, number]> | undefined;
  for (let i = 0; i < packets.length; i++) {
    const { bytes, wire } = packets[i]!;
    u32.fill(SENTINEL, cpu.ctx / 4, cpu.ctx / 4 + ctxWords);
    u32.fill(SENTINEL, cpu.scratch / 4, (cpu.scratch + SCRATCH_SIZE) / 4);
    try {
      writer.place(bytes, wire);
    } catch (err) {
      return `packet ${i}: ${(err as Error).message}`;
    }
    if (!samePlacedBytes(u8, cpu.packetData, bytes)) return `packet ${i} is not placed as its captured bytes (a VLAN tag stripped?)`;
    const written = writtenExtent(u32, cpu.ctx / 4, ctxWords);
    if (written === undefined) return `packet ${i}: the context is not written as one run of words from its start`;
    if (extent !== -1 && written !== extent) return `packet ${i}: ${written * 4} context bytes written, ${extent * 4} for the first packet`;
    extent = written;
    const wrote = scratchWrites(u32, cpu.scratch / 4);
    if (record && !sameRecord(record, wrote)) return `packet ${i}: the scratch area is written differently from the first packet`;
    record = wrote;
    images.set(u32.subarray(cpu.ctx / 4, cpu.ctx / 4 + ctxWords), i * ctxWords);
  }
  if (record === undefined) return "no packets";
  if (record.length > PLACEMENT_RECORD) return `place() writes ${record.length} scratch words, more than ${PLACEMENT_RECORD}`;
  // Pointer fields NULL in every packet stay in the template as 0; others must all point into the slot.
  const pointers = pointerWords(type).filter((w) => w < extent && !allZero(images, ctxWords, w));
  for (const w of pointers) {
    for (let i = 0; i < packets.length; i++) {
      const v = images[i * ctxWords + w]!;
      if (v < cpu.packetSlot || v > cpu.packetEnd) return `packet ${i}: pointer field at ctx offset ${w * 4} holds 0x${v.toString(16)}, outside the packet slot`;
      images[i * ctxWords + w] = v - cpu.packetData;
    }
  }
  return build(images, ctxWords, extent, pointers, record);
}

/** The template (packet 0's words), the words that differ between packets, and their values. */
function build(images: Uint32Array, ctxWords: number, extent: number, pointers: readonly number[], record: Array<[number, number]>): Placements | string {
  const count = images.length / ctxWords;
  const varying = new Set(pointers);
  for (let i = 1; i < count; i++) {
    for (let w = 0; w < extent; w++) if (images[i * ctxWords + w] !== images[w]) varying.add(w);
  }
  if (varying.size > PLACEMENT_WORDS) return `${varying.size} context words differ between packets, more than ${PLACEMENT_WORDS}`;
  const order = [...varying].sort((a, b) => a - b);
  const values = new Uint32Array(count * order.length);
  for (let i = 0; i < count; i++) order.forEach((w, k) => (values[i * order.length + k] = images[i * ctxWords + w]!));
  const template = new Uint8Array(images.buffer, 0, extent * 4).slice();
  const isPointer = new Set(pointers);
  return { template, words: order.map((w) => (w * 4) | (isPointer.has(w) ? POINTER_WORD : 0)), values, record };
}

/** ctx word indices of the type's pointer fields (data, data_end, data_meta, ...): of 8-byte ones, the low word. */
function pointerWords(type: ProgramType): number[] {
  return (type.ctx?.fields ?? []).filter((f) => f.kind !== "scalar").map((f) => f.offset / 4);
}

function allZero(images: Uint32Array, ctxWords: number, w: number): boolean {
  for (let at = w; at < images.length; at += ctxWords) if (images[at] !== 0) return false;
  return true;
}

function samePlacedBytes(u8: Uint8Array, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (u8[at + i] !== bytes[i]) return false;
  return true;
}

/** Words written from `base` on, if they are one run from the start: its length. */
function writtenExtent(u32: Uint32Array, base: number, words: number): number | undefined {
  let n = 0;
  while (n < words && u32[base + n] !== SENTINEL) n++;
  for (let w = n; w < words; w++) if (u32[base + w] !== SENTINEL) return undefined;
  return n;
}

function scratchWrites(u32: Uint32Array, base: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let w = 0; w < SCRATCH_SIZE / 4; w++) if (u32[base + w] !== SENTINEL) out.push([w * 4, u32[base + w]!]);
  return out;
}

const sameRecord = (a: ReadonlyArray<readonly [number, number]>, b: ReadonlyArray<readonly [number, number]>): boolean =>
  a.length === b.length && a.every(([o, v], k) => b[k]![0] === o && b[k]![1] === v);
