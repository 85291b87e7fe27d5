// One entry point for "here are the bytes of a capture file": pcap or pcapng, found by magic.

import { BpfError } from "../errors.js";
import type { Capture, ReadOptions } from "./packet.js";
import { isPcap, readPcap } from "./pcap.js";
import { isPcapng, readPcapng } from "./pcapng.js";

export function readCapture(bytes: Uint8Array, options: ReadOptions = {}): Capture {
  if (isPcapng(bytes)) return readPcapng(bytes, options);
  if (isPcap(bytes)) return readPcap(bytes, options);
  const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
  throw new BpfError(
    bytes.length < 4
      ? `capture: ${bytes.length} bytes is too short to be a pcap or pcapng file`
      : `capture: bad magic 0x${head} at byte 0: neither pcap (a1b2c3d4 / a1b23c4d, either byte order) nor pcapng (0a0d0d0a)`,
    { offset: 0 },
  );
}
