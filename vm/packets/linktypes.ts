// Link-layer header types as capture files number them (LINKTYPE_* of the tcpdump.org
// link-layer registry; pcap's header and pcapng's IDB use these, not the platform DLT_ values).

export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte address family in host byte order
  ETHERNET: 1, // DLT_EN10MB
  RAW: 101, // raw IPv4 or IPv6, version from the first nibble
  LOOP: 108, // OpenBSD loopback: 4-byte address family in network byte order
  LINUX_SLL: 113, // Linux "cooked" capture v1, 16-byte header
  IPV4: 228,
  IPV6: 229,
  DBUS: 231,
  LINUX_SLL2: 276, // Linux "cooked" capture v2, 20-byte header
} as const;

const NAMES: Record<number, string> = {
  0: "NULL",
  1: "ETHERNET",
  6: "IEEE802_5",
  8: "SLIP",
  9: "PPP",
  10: "FDDI",
  12: "RAW(DLT 12)",
  14: "RAW(DLT 14)",
  50: "PPP_HDLC",
  51: "PPP_ETHER",
  101: "RAW",
  104: "C_HDLC",
  105: "IEEE802_11",
  107: "FRELAY",
  108: "LOOP",
  113: "LINUX_SLL",
  119: "PRISM_HEADER",
  127: "IEEE802_11_RADIOTAP",
  143: "DOCSIS",
  147: "USER0",
  195: "IEEE802_15_4_WITHFCS",
  228: "IPV4",
  229: "IPV6",
  231: "DBUS",
  242: "IPOIB",
  249: "USBPCAP",
  271: "VSOCK",
  276: "LINUX_SLL2",
};

export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE_${linkType}`;
}

/** libpcap's MAXIMUM_SNAPLEN: the largest record it considers sane for most link types. */
export const MAX_SNAPLEN = 262144;

/**
 * libpcap's max_snaplen_for_dlt(): records larger than this are corrupt (pcap-common.c gives
 * D-Bus 128 MiB and USBPCAP 1 MiB; everything else 256 KiB).
 */
export function maxSnaplen(linkType: number): number {
  if (linkType === LinkType.DBUS) return 128 * 1024 * 1024;
  if (linkType === 249) return 1024 * 1024;
  return MAX_SNAPLEN;
}

/** libpcap's pcap_adjust_snapshot(): 0 or an implausibly large snaplen means "the maximum". */
export function effectiveSnapshot(linkType: number, snaplen: number): number {
  const max = maxSnaplen(linkType);
  return snaplen === 0 || snaplen > max ? max : snaplen;
}
