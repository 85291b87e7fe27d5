// One captured packet and one capture file, as the readers return them and the writers take
// them. Bytes in, bytes out: nothing here touches files, so captures work the same in Node and
// in a browser (file I/O lives in tests and the CLI).

/** One packet as a capture holds it. */
export interface Packet {
  /** The captured bytes (caplen of them). Readers return views into the input, not copies. */
  data: Uint8Array;
  /** Capture time in nanoseconds since the Unix epoch (0n when the format has none: pcapng SPB). */
  ts: bigint;
  /** Length on the wire; larger than data.length when the capture was cut at the snaplen. */
  origLen: number;
  /** LINKTYPE_* of the packet's link layer as capture files number them (1 = Ethernet). */
  linkType: number;
  /** Interface index: 0 for pcap; for pcapng the file-wide index of its IDB (counted across sections). */
  iface: number;
}

/** An interface of a capture: pcap has one, pcapng one per Interface Description Block. */
export interface CaptureInterface {
  linkType: number;
  /** The snaplen as the file states it (0 = unlimited in pcapng). */
  snaplen: number;
  /** Records longer than this are cut to it, as libpcap does (the stated snaplen, or the
   * link type's maximum when the stated one is 0 or larger than that). */
  snapshot: number;
  /** Timestamp units per second (1e6 for µs pcap, 1e9 for ns pcap, if_tsresol for pcapng). */
  tsUnitsPerSecond: bigint;
  /** pcapng if_name, when present. */
  name?: string;
  /** FCS bits of a pcap link-type field (LT_FCS_LENGTH): bytes of FCS at the end of each packet, when known. */
  fcsLength?: number;
}

export type CaptureFormat = "pcap" | "pcapng";

/** What a reader tolerated without failing, so callers can report it. */
export interface CaptureNotes {
  /** pcap records whose caplen exceeded the snaplen and were cut to it (libpcap's behaviour; pcapng refuses such packets). */
  truncatedToSnaplen: number;
  /** pcapng blocks skipped because they carry no packet (NRB, ISB, DSB, custom, unknown), by block type. */
  skippedBlocks: Record<number, number>;
}

export interface Capture {
  readonly format: CaptureFormat;
  /** Byte order of the file (pcapng: of the first section). */
  readonly littleEndian: boolean;
  /** pcap: whether the file used the nanosecond magic. pcapng: always false (per-interface). */
  readonly nanosecond: boolean;
  readonly interfaces: CaptureInterface[];
  readonly packets: Packet[];
  readonly notes: CaptureNotes;
}

export interface ReadOptions {
  /**
   * libpcap cuts a pcap record whose caplen is larger than the file's snaplen (but within the
   * link type's maximum) to the snaplen and goes on; tcpdump therefore reads such files. `strict`
   * refuses them instead with a BpfError naming the record's byte offset. (A pcapng packet
   * longer than its interface's snaplen is refused either way: libpcap refuses it too.)
   */
  strict?: boolean;
}
