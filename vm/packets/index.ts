export type { Capture, CaptureFormat, CaptureInterface, CaptureNotes, Packet, ReadOptions } from "./packet.js";
export { LinkType, linkTypeName, maxSnaplen, effectiveSnapshot, MAX_SNAPLEN } from "./linktypes.js";
export { readPcap, writePcap, isPcap, type PcapWriteOptions } from "./pcap.js";
export { readPcapng, writePcapng, isPcapng, BlockType, type PcapngWriteOptions } from "./pcapng.js";
export { readCapture } from "./capture.js";
export { toEthernet, type EthernetOptions, type EthernetResult } from "./ethernet.js";
