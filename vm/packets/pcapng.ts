// pcapng (IETF draft-ietf-opsawg-pcapng): a sequence of blocks
//
//   | type u32 | total length u32 | body ... | total length u32 |
//
// in the byte order of the Section Header Block (SHB) that opens each section. A section
// declares its interfaces with Interface Description Blocks (IDB: link type, snaplen, options
// such as if_tsresol and if_tsoffset) and carries packets in Enhanced Packet Blocks (EPB: an
// interface id, a timestamp in that interface's units, caplen, origlen, data), Simple Packet
// Blocks (SPB: interface 0, no timestamp) or the obsolete Packet Block (PB). Every other block
// type (name resolution, statistics, decryption secrets, custom) is skipped by its length.
//
// Every length is checked before it is used: leading and trailing lengths must agree, be a
// multiple of 4 (libpcap refuses others) and stay inside the file; options must stay inside
// their block. A bad file ends in a BpfError with the byte offset, never a RangeError or a hang
// (every step advances by at least the 12-byte minimum block).

import { BpfError } from "../errors.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { effectiveSnapshot, maxSnaplen } from "./linktypes.js";
import type { Capture, CaptureInterface, Packet, ReadOptions } from "./packet.js";

export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  PB: 0x00000002, // obsolete Packet Block
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
} as const;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_OVERHEAD = 12; // type + two lengths

const OPT_ENDOFOPT = 0;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_FCSLEN = 13;
const IF_TSOFFSET = 14;

/** Minimum total length of each block type we interpret (fixed fields + overhead). */
const MIN_LENGTH: Record<number, number> = {
  [BlockType.SHB]: 28,
  [BlockType.IDB]: 20,
  [BlockType.PB]: 32,
  [BlockType.SPB]: 16,
  [BlockType.EPB]: 32,
};

export function isPcapng(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x0a && bytes[1] === 0x0d && bytes[2] === 0x0d && bytes[3] === 0x0a;
}

interface Block {
  type: number;
  at: number; // offset of the block's type field
  body: number; // offset of the body
  bodyLength: number;
  index: number; // block number in the file, for messages
}

interface SectionInterface extends CaptureInterface {
  /** if_tsoffset in seconds. */
  tsOffset: bigint;
  /** Global index (across sections). */
  global: number;
}

interface Option {
  code: number;
  at: number; // offset of the value
  length: number;
}

/** Walk the options in [at, end) of a block; stops at opt_endofopt. */
function* options(r: ByteReader, at: number, end: number, block: Block): Generator<Option> {
  while (at < end) {
    if (end - at < 4) {
      throw r.error(`block ${block.index} at byte ${block.at}: ${end - at} stray bytes where an option header should be, at byte ${at}`, at);
    }
    const code = r.u16(at);
    const length = r.u16(at + 2);
    if (code === OPT_ENDOFOPT) {
      if (length !== 0) throw r.error(`block ${block.index} at byte ${block.at}: opt_endofopt at byte ${at} has length ${length}, not 0`, at);
      return;
    }
    const padded = length + ((4 - (length % 4)) % 4);
    if (at + 4 + padded > end) {
      throw r.error(
        `block ${block.index} at byte ${block.at}: option ${code} at byte ${at} (length ${length}) runs past the end of its block at byte ${end}`,
        at,
      );
    }
    yield { code, at: at + 4, length };
    at += 4 + padded;
  }
}

/** Read one block's framing at `at` (byte order already known) and validate its lengths. */
function readBlock(r: ByteReader, at: number, index: number): Block {
  r.need(at, 8, `header of block ${index}`);
  const type = r.u32(at);
  const total = r.u32(at + 4);
  const name = `block ${index} (type 0x${type.toString(16)}) at byte ${at}`;
  if (total < BLOCK_OVERHEAD) throw r.error(`${name}: total length ${total} is less than the 12-byte minimum`, at + 4);
  if (total % 4 !== 0) throw r.error(`${name}: total length ${total} is not a multiple of 4`, at + 4);
  if (total > r.length - at) {
    throw r.error(`${name}: total length ${total} runs past the end of the file (${r.length - at} bytes left)`, at + 4);
  }
  const trailing = r.u32(at + total - 4);
  if (trailing !== total) {
    throw r.error(`${name}: trailing length ${trailing} at byte ${at + total - 4} does not match the leading length ${total}`, at + total - 4);
  }
  const min = MIN_LENGTH[type];
  if (min !== undefined && total < min) throw r.error(`${name}: total length ${total} is less than the ${min} bytes this block type needs`, at + 4);
  return { type, at, body: at + 8, bodyLength: total - BLOCK_OVERHEAD, index };
}

/** The SHB's byte-order magic decides the byte order of the whole section. */
function sectionByteOrder(r: ByteReader, at: number): boolean {
  r.need(at, 12, "section header block");
  const le = new DataView(r.bytes.buffer, r.bytes.byteOffset + at + 8, 4).getUint32(0, true);
  if (le === BYTE_ORDER_MAGIC) return true;
  if (le === 0x4d3c2b1a) return false;
  throw r.error(`bad byte-order magic 0x${le.toString(16).padStart(8, "0")} in the section header block at byte ${at}`, at + 8);
}

function readSectionHeader(r: ByteReader, block: Block): void {
  const major = r.u16(block.body + 4);
  const minor = r.u16(block.body + 6);
  // libpcap reads 1.0 and treats 1.2 as 1.0 (some writers used it).
  if (major !== 1 || (minor !== 0 && minor !== 2)) {
    throw r.error(`unsupported pcapng version ${major}.${minor} in the section header block at byte ${block.at}`, block.body + 4);
  }
  // Options (shb_hardware, shb_os, shb_userappl) carry nothing we need; like libpcap we skip
  // them with the block instead of parsing them.
}

/** if_tsresol: 10^-n seconds, or 2^-n when the top bit is set. libpcap refuses what overflows 64 bits. */
function tsUnits(r: ByteReader, value: number, at: number): bigint {
  const exp = value & 0x7f;
  if (value & 0x80) {
    if (exp > 63) throw r.error(`if_tsresol 2^-${exp} at byte ${at} is too fine (max 2^-63)`, at);
    return 1n << BigInt(exp);
  }
  if (exp > 19) throw r.error(`if_tsresol 10^-${exp} at byte ${at} is too fine (max 10^-19)`, at);
  return 10n ** BigInt(exp);
}

function readInterface(r: ByteReader, block: Block, global: number): SectionInterface {
  const linkType = r.u16(block.body);
  const snaplen = r.u32(block.body + 4);
  const iface: SectionInterface = {
    linkType,
    snaplen,
    snapshot: effectiveSnapshot(linkType, snaplen),
    tsUnitsPerSecond: 1_000_000n,
    tsOffset: 0n,
    global,
  };
  for (const opt of options(r, block.body + 8, block.body + block.bodyLength, block)) {
    const expect = (n: number): void => {
      if (opt.length !== n) throw r.error(`IDB option ${opt.code} at byte ${opt.at - 4} has length ${opt.length}, expected ${n}`, opt.at - 4);
    };
    if (opt.code === IF_TSRESOL) {
      expect(1);
      iface.tsUnitsPerSecond = tsUnits(r, r.u8(opt.at), opt.at);
    } else if (opt.code === IF_TSOFFSET) {
      expect(8);
      iface.tsOffset = r.i64(opt.at);
    } else if (opt.code === IF_FCSLEN) {
      expect(1);
      iface.fcsLength = r.u8(opt.at);
    } else if (opt.code === IF_NAME) {
      iface.name = new TextDecoder("utf-8", { fatal: false }).decode(r.slice(opt.at, opt.length));
    }
  }
  return iface;
}

function toNanoseconds(iface: SectionInterface, high: number, low: number): bigint {
  const units = (BigInt(high) << 32n) | BigInt(low);
  return (units * 1_000_000_000n) / iface.tsUnitsPerSecond + iface.tsOffset * 1_000_000_000n;
}

class Reader {
  readonly r: ByteReader;
  readonly interfaces: SectionInterface[] = [];
  readonly packets: Packet[] = [];
  readonly skippedBlocks: Record<number, number> = {};
  private section: SectionInterface[] = [];

  constructor(bytes: Uint8Array) {
    this.r = new ByteReader(bytes, "pcapng");
  }

  read(): { littleEndian: boolean } {
    const { r } = this;
    if (!isPcapng(r.bytes)) {
      r.need(0, 4, "section header block");
      throw r.error(`bad magic 0x${r.u32be(0).toString(16).padStart(8, "0")} at byte 0: a pcapng file starts with a section header block (0x0a0d0d0a)`, 0);
    }
    const littleEndian = sectionByteOrder(r, 0);
    let at = 0;
    for (let index = 0; at < r.length; index++) {
      if (r.length - at >= 4 && isPcapng(r.bytes.subarray(at))) r.little = sectionByteOrder(r, at);
      const block = readBlock(r, at, index);
      this.block(block);
      at += block.bodyLength + BLOCK_OVERHEAD;
    }
    return { littleEndian };
  }

  private block(block: Block): void {
    switch (block.type) {
      case BlockType.SHB:
        readSectionHeader(this.r, block);
        this.section = [];
        return;
      case BlockType.IDB: {
        const iface = readInterface(this.r, block, this.interfaces.length);
        this.interfaces.push(iface);
        this.section.push(iface);
        return;
      }
      case BlockType.EPB:
        return this.enhanced(block);
      case BlockType.SPB:
        return this.simple(block);
      case BlockType.PB:
        return this.obsolete(block);
      default:
        this.skippedBlocks[block.type] = (this.skippedBlocks[block.type] ?? 0) + 1;
    }
  }

  private iface(id: number, block: Block, at: number): SectionInterface {
    const iface = this.section[id];
    if (!iface) {
      throw this.r.error(
        `block ${block.index} at byte ${block.at}: packet on interface ${id}, but the section has ${this.section.length} interface description block(s)`,
        at,
      );
    }
    return iface;
  }

  /** Fixed fields (`fixed` bytes), then caplen bytes of data padded to 4, then options. */
  private packet(block: Block, iface: SectionInterface, fixed: number, caplen: number, origLen: number, ts: bigint): void {
    const { r } = this;
    const max = maxSnaplen(iface.linkType);
    const where = `block ${block.index} at byte ${block.at}`;
    if (caplen > max) throw r.error(`${where}: caplen ${caplen} is larger than the ${max}-byte maximum for this link type`, block.body + fixed - 8);
    const room = block.bodyLength - fixed;
    if (caplen > room) {
      throw r.error(`${where}: caplen ${caplen} runs past the end of its block (${room} bytes of room)`, block.body + fixed - 8);
    }
    // Unlike a pcap record (which libpcap cuts to the snaplen), a pcapng packet longer than its
    // interface's snaplen makes libpcap stop with "invalid packet capture length N, bigger than
    // snaplen of S" (sf-pcapng.c); cutting it would hand programs a packet libpcap never shows.
    // libpcap compares with the first interface's snaplen (it refuses files whose interfaces
    // differ); we read such files, so each packet is held to its own interface's.
    if (caplen > iface.snapshot) {
      throw r.error(`${where}: caplen ${caplen} is larger than the interface's snaplen ${iface.snapshot}`, block.body + fixed - 8);
    }
    // Options after the data (epb_flags, epb_hash, comments) are skipped with the block, as
    // libpcap does: nothing here needs them.
    this.packets.push({ data: r.slice(block.body + fixed, caplen), ts, origLen, linkType: iface.linkType, iface: iface.global });
  }

  private enhanced(block: Block): void {
    const { r } = this;
    const b = block.body;
    const iface = this.iface(r.u32(b), block, b);
    this.packet(block, iface, 20, r.u32(b + 12), r.u32(b + 16), toNanoseconds(iface, r.u32(b + 4), r.u32(b + 8)));
  }

  private obsolete(block: Block): void {
    const { r } = this;
    const b = block.body;
    const iface = this.iface(r.u16(b), block, b);
    this.packet(block, iface, 20, r.u32(b + 12), r.u32(b + 16), toNanoseconds(iface, r.u32(b + 4), r.u32(b + 8)));
  }

  /** SPB: interface 0, no timestamp, caplen = min(origlen, snaplen); the data fills the block. */
  private simple(block: Block): void {
    const { r } = this;
    const iface = this.iface(0, block, block.body);
    const origLen = r.u32(block.body);
    const caplen = Math.min(origLen, iface.snapshot);
    const room = block.bodyLength - 4;
    if (caplen > room) {
      throw r.error(`block ${block.index} at byte ${block.at}: simple packet of ${caplen} bytes runs past the end of its block (${room} bytes of room)`, block.body);
    }
    this.packets.push({ data: r.slice(block.body + 4, caplen), ts: 0n, origLen, linkType: iface.linkType, iface: iface.global });
  }
}

/**
 * Read a whole pcapng file. Packets are views into `bytes`. `options.strict` changes nothing
 * here: a packet longer than its interface's snaplen is refused either way, as libpcap does.
 */
export function readPcapng(bytes: Uint8Array, _options: ReadOptions = {}): Capture {
  const reader = new Reader(bytes);
  const { littleEndian } = reader.read();
  return {
    format: "pcapng",
    littleEndian,
    nanosecond: false,
    interfaces: reader.interfaces.map(({ tsOffset: _o, global: _g, ...iface }) => iface),
    packets: reader.packets,
    notes: { truncatedToSnaplen: 0, skippedBlocks: reader.skippedBlocks },
  };
}

export interface PcapngWriteOptions {
  /** Default true. */
  littleEndian?: boolean;
  /** Snaplen written in each IDB. Default 0 (no limit). */
  snaplen?: number;
  /** Written as shb_userappl. Default "ebpf-wasm". */
  application?: string;
}

function writeOption(w: ByteWriter, code: number, value: Uint8Array): void {
  w.u16(code);
  w.u16(value.length);
  w.bytes(value);
  w.pad(4);
}

function writeBlock(w: ByteWriter, type: number, body: (w: ByteWriter) => void): void {
  const start = w.length;
  w.u32(type);
  w.u32(0); // patched below
  body(w);
  w.pad(4);
  const total = w.length - start + 4;
  w.u32(total);
  w.patchU32(start + 4, total);
}

/**
 * Write packets as pcapng: one section, one IDB per distinct `iface` value (in ascending order,
 * numbered from 0; each IDB takes the link type of its packets, which must agree), ns timestamps
 * (if_tsresol = 9), one EPB per packet.
 */
export function writePcapng(packets: readonly Packet[], options: PcapngWriteOptions = {}): Uint8Array {
  const ifaceIds = [...new Set(packets.map((p) => p.iface))].sort((a, b) => a - b);
  const local = new Map(ifaceIds.map((id, i) => [id, i]));
  const linkTypes = new Map<number, number>();
  packets.forEach((p, i) => {
    const known = linkTypes.get(p.iface);
    if (known === undefined) linkTypes.set(p.iface, p.linkType);
    else if (known !== p.linkType) {
      throw new BpfError(`pcapng writer: packet ${i} on interface ${p.iface} has link type ${p.linkType}, earlier packets there have ${known}`);
    }
    if (p.ts < 0n || p.ts >= 1n << 64n) throw new BpfError(`pcapng writer: packet ${i}: timestamp ${p.ts} ns does not fit 64 bits`);
    if (!Number.isInteger(p.origLen) || p.origLen < 0 || p.origLen > 0xffffffff) {
      throw new BpfError(`pcapng writer: packet ${i}: wire length ${p.origLen} is not a 32-bit unsigned integer`);
    }
    if (options.snaplen && p.data.length > options.snaplen) {
      throw new BpfError(`pcapng writer: packet ${i} has ${p.data.length} bytes, more than the snaplen ${options.snaplen}`);
    }
  });
  const w = new ByteWriter(options.littleEndian ?? true, 64 + packets.length * 96);
  const text = new TextEncoder();
  writeBlock(w, BlockType.SHB, () => {
    w.u32(BYTE_ORDER_MAGIC);
    w.u16(1);
    w.u16(0);
    w.u32(0xffffffff); // section length -1: not given
    w.u32(0xffffffff);
    writeOption(w, 4, text.encode(options.application ?? "ebpf-wasm")); // shb_userappl
    w.u32(OPT_ENDOFOPT);
  });
  for (const id of ifaceIds) {
    writeBlock(w, BlockType.IDB, () => {
      w.u16(linkTypes.get(id)!);
      w.u16(0);
      w.u32(options.snaplen ?? 0);
      writeOption(w, IF_TSRESOL, Uint8Array.of(9));
      w.u32(OPT_ENDOFOPT);
    });
  }
  for (const p of packets) {
    writeBlock(w, BlockType.EPB, () => {
      w.u32(local.get(p.iface)!);
      w.u32(Number(p.ts >> 32n));
      w.u32(Number(p.ts & 0xffffffffn));
      w.u32(p.data.length);
      w.u32(p.origLen);
      w.bytes(p.data);
    });
  }
  return w.finish();
}
