// Compile a tcpdump filter expression to classic BPF with the system's tcpdump (Node only):
//
//   tcpdump -r - -ddd -- EXPR     with a pcap file header on stdin
//
// Reading the link type from a header-only capture on stdin (instead of opening a live
// interface) compiles for exactly that link type and snaplen, needs no privileges, touches no
// network device, and gives the portable code libpcap generates for savefiles (no Linux-only
// ancillary loads such as the out-of-band VLAN tag).

import { spawnSync } from "node:child_process";
import { BpfError } from "../errors.js";
import { writePcap } from "../packets/pcap.js";
import { parseTcpdumpDdd } from "./parse.js";
import type { SockFilter } from "./filter.js";

export interface TcpdumpCompileOptions {
  /** LINKTYPE_* to compile for. Default 1 (Ethernet). */
  linkType?: number;
  /** Snapshot length: what `ret` returns for an accepted packet. Default 262144, as tcpdump. */
  snaplen?: number;
  /** libpcap's optimizer (default true); false passes -O. */
  optimize?: boolean;
  /** The tcpdump binary. Default "tcpdump" from PATH. */
  tcpdump?: string;
}

/** Why tcpdump cannot be used, or undefined when it runs. */
export function tcpdumpUnavailable(binary = "tcpdump"): string | undefined {
  const r = spawnSync(binary, ["--version"], { encoding: "utf8" });
  if (r.error) return `${binary} is not installed or not runnable (${r.error.message})`;
  return r.status === 0 ? undefined : `${binary} --version exited with status ${r.status}`;
}

/** tcpdump's classic BPF for `expr`, checked by nothing yet (translateClassic checks it). */
export function compileTcpdumpFilter(expr: string, options: TcpdumpCompileOptions = {}): SockFilter[] {
  const binary = options.tcpdump ?? "tcpdump";
  const header = writePcap([], { linkType: options.linkType ?? 1, snaplen: options.snaplen ?? 262144 });
  const args = ["-r", "-", "-ddd", ...(options.optimize === false ? ["-O"] : []), "--", expr];
  const r = spawnSync(binary, args, { input: header, encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.error) {
    throw new BpfError(`cannot run ${binary} to compile the filter '${expr}' (${r.error.message}); install tcpdump, or give the program as tcpdump -ddd text (translateClassicText)`);
  }
  if (r.status !== 0) {
    const why = r.stderr
      .split("\n")
      .filter((l) => l && !l.startsWith("reading from file"))
      .join("; ");
    throw new BpfError(`tcpdump could not compile the filter '${expr}': ${why || `exit status ${r.status}`}`);
  }
  return parseTcpdumpDdd(r.stdout);
}
