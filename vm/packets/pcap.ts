// The classic pcap format (pcap-savefile(5); IETF draft-ietf-opsawg-pcap): a 24-byte file
// header, then records of a 16-byte header and caplen bytes. Either byte order; the magic
// says which and whether timestamps are in µs or ns.
//
// Reading follows libpcap's sf-pcap.c, because tcpdump's view of a file is the reference the
// cBPF differential test compares against:
//   - versions 2.0–2.4 and DG/UX 543.0; before 2.3 caplen/len are swapped, at 2.3 maybe;
//   - the link-type field's upper 6 bits are FCS flags (LT_LINKTYPE masks them off);
//   - a snaplen of 0 or above the link type's maximum means that maximum;
//   - caplen above the maximum (256 KiB) is corrupt → error; caplen above the snaplen but
//     within the maximum is cut to the snaplen (libpcap reads and discards the rest), or an
//     error with `strict`;
//   - a partial record header or partial data at the end is an error ("truncated dump file").

import { BpfError } from "../errors.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { effectiveSnapshot, maxSnaplen, MAX_SNAPLEN } from "./linktypes.js";
import type { Capture, CaptureInterface, Packet, ReadOptions } from "./packet.js";

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetzov's patched libpcap: µs, 24-byte record headers (ifindex, protocol, pkt_type). */
const MAGIC_KUZNETZOV = 0xa1b2cd34;
const MAGICS = [MAGIC_US, MAGIC_NS, MAGIC_KUZNETZOV];

export const PCAP_HEADER_SIZE = 24;
const RECORD_HEADER_SIZE = 16;
const KUZNETZOV_RECORD_HEADER_SIZE = 24;

const LT_LINKTYPE_MASK = 0x03ffffff;
const LT_FCS_LENGTH_PRESENT = 0x04000000;

/** Whether the bytes start with a pcap magic (either byte order). */
export function isPcap(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  return MAGICS.includes(view.getUint32(0, true)) || MAGICS.includes(view.getUint32(0, false));
}

type LengthOrder = "normal" | "swapped" | "maybe";

function lengthOrder(major: number, minor: number): LengthOrder {
  if (major === 543) return "swapped";
  if (minor < 3) return "swapped";
  return minor === 3 ? "maybe" : "normal";
}

interface FileHeader {
  magic: number;
  little: boolean;
  iface: CaptureInterface;
  order: LengthOrder;
  recordHeader: number;
}

function readHeader(r: ByteReader): FileHeader {
  r.need(0, 4, "magic number");
  const le = r.u32(0);
  const little = MAGICS.includes(le);
  r.little = little;
  const magic = little ? le : r.u32be(0);
  if (!MAGICS.includes(magic)) {
    throw r.error(`bad magic number 0x${r.u32be(0).toString(16).padStart(8, "0")} at byte 0 (not a pcap file)`, 0);
  }
  r.need(0, PCAP_HEADER_SIZE, "file header");
  const major = r.u16(4);
  const minor = r.u16(6);
  if (major < 2) throw r.error(`archaic pcap savefile format (version ${major}.${minor}) at byte 4`, 4);
  if (!((major === 2 && minor <= 4) || (major === 543 && minor === 0))) {
    throw r.error(`unsupported pcap savefile version ${major}.${minor} at byte 4`, 4);
  }
  const snaplen = r.u32(16);
  const field = r.u32(20);
  const linkType = field & LT_LINKTYPE_MASK;
  let snapshot = effectiveSnapshot(linkType, snaplen);
  // The patched libpcap may have written cooked captures with a faked 14-byte Ethernet header.
  if (magic === MAGIC_KUZNETZOV && linkType === 1) snapshot = Math.min(snapshot + 14, 0x7fffffff);
  const iface: CaptureInterface = {
    linkType,
    snaplen,
    snapshot,
    tsUnitsPerSecond: magic === MAGIC_NS ? 1_000_000_000n : 1_000_000n,
  };
  if (field & LT_FCS_LENGTH_PRESENT) iface.fcsLength = ((field >>> 28) & 0xf) * 2;
  return {
    magic,
    little,
    iface,
    order: lengthOrder(major, minor),
    recordHeader: magic === MAGIC_KUZNETZOV ? KUZNETZOV_RECORD_HEADER_SIZE : RECORD_HEADER_SIZE,
  };
}

/** Read a whole pcap file. Packets are views into `bytes`. */
export function readPcap(bytes: Uint8Array, options: ReadOptions = {}): Capture {
  const r = new ByteReader(bytes, "pcap");
  const header = readHeader(r);
  const { iface } = header;
  const nsPerUnit = 1_000_000_000n / iface.tsUnitsPerSecond;
  const max = maxSnaplen(iface.linkType);
  const packets: Packet[] = [];
  let truncatedToSnaplen = 0;
  let at = PCAP_HEADER_SIZE;
  for (let index = 0; at < r.length; index++) {
    r.need(at, header.recordHeader, `header of record ${index}`);
    const sec = r.u32(at);
    const frac = r.u32(at + 4);
    let caplen = r.u32(at + 8);
    let origLen = r.u32(at + 12);
    if (header.order === "swapped" || (header.order === "maybe" && caplen > origLen)) {
      [caplen, origLen] = [origLen, caplen];
    }
    if (caplen > max) {
      throw r.error(
        `record ${index} at byte ${at}: caplen ${caplen} is larger than the ${max}-byte maximum for this link type (corrupt file)`,
        at,
      );
    }
    const dataAt = at + header.recordHeader;
    r.need(dataAt, caplen, `data of record ${index} (caplen ${caplen})`);
    let kept = caplen;
    if (caplen > iface.snapshot) {
      if (options.strict) {
        throw r.error(`record ${index} at byte ${at}: caplen ${caplen} is larger than the snaplen ${iface.snapshot}`, at);
      }
      kept = iface.snapshot;
      truncatedToSnaplen++;
    }
    packets.push({
      data: r.slice(dataAt, kept),
      ts: BigInt(sec) * 1_000_000_000n + BigInt(frac) * nsPerUnit,
      origLen,
      linkType: iface.linkType,
      iface: 0,
    });
    at = dataAt + caplen;
  }
  return {
    format: "pcap",
    littleEndian: header.little,
    nanosecond: header.magic === MAGIC_NS,
    interfaces: [iface],
    packets,
    notes: { truncatedToSnaplen, skippedBlocks: {} },
  };
}

export interface PcapWriteOptions {
  /** Nanosecond timestamps (magic a1b23c4d). Default false: µs, as tcpdump writes. */
  nanosecond?: boolean;
  /** Default: true (the byte order of every machine this runs on). */
  littleEndian?: boolean;
  /** Default: the packets' common link type, or Ethernet for no packets. */
  linkType?: number;
  /** Default 262144 (libpcap's maximum). Every packet must fit in it. */
  snaplen?: number;
}

/** Write packets as a pcap file. All packets must share one link type (pcap has one per file). */
export function writePcap(packets: readonly Packet[], options: PcapWriteOptions = {}): Uint8Array {
  const linkType = options.linkType ?? packets[0]?.linkType ?? 1;
  const snaplen = options.snaplen ?? MAX_SNAPLEN;
  const nanosecond = options.nanosecond ?? false;
  const w = new ByteWriter(options.littleEndian ?? true, PCAP_HEADER_SIZE + packets.length * 80);
  w.u32(nanosecond ? MAGIC_NS : MAGIC_US);
  w.u16(2);
  w.u16(4);
  w.u32(0); // thiszone: always 0
  w.u32(0); // sigfigs: always 0
  w.u32(snaplen);
  w.u32(linkType);
  const unit = nanosecond ? 1n : 1000n;
  packets.forEach((p, i) => {
    if (p.linkType !== linkType) {
      throw new BpfError(`pcap writer: packet ${i} has link type ${p.linkType}, the file has ${linkType}: pcap holds one link type (use pcapng)`);
    }
    if (p.data.length > snaplen) {
      throw new BpfError(`pcap writer: packet ${i} has ${p.data.length} bytes, more than the snaplen ${snaplen}`);
    }
    if (!Number.isInteger(p.origLen) || p.origLen < 0 || p.origLen > 0xffffffff) {
      throw new BpfError(`pcap writer: packet ${i}: wire length ${p.origLen} is not a 32-bit unsigned integer`);
    }
    const sec = p.ts / 1_000_000_000n;
    if (p.ts < 0n || sec > 0xffffffffn) throw new BpfError(`pcap writer: packet ${i}: timestamp ${p.ts} ns does not fit pcap's unsigned 32-bit seconds`);
    w.u32(Number(sec));
    w.u32(Number((p.ts % 1_000_000_000n) / unit));
    w.u32(p.data.length);
    w.u32(p.origLen);
    w.bytes(p.data);
  });
  return w.finish();
}
