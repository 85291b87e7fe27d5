// Test-only access to the system's tcpdump: the reference for how libpcap reads a capture and
// which packets a filter selects. Missing tcpdump → tests skip with a printed reason.

import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CORPUS = fileURLToPath(new URL("../../corpus/pcap/", import.meta.url));

let availability: string | undefined | null = null;

/** undefined when tcpdump runs; otherwise why not (for "skipped: …" messages). */
export function tcpdumpMissing(): string | undefined {
  if (availability === null) {
    const r = spawnSync("tcpdump", ["--version"], { encoding: "utf8" });
    availability = r.error ? `tcpdump not runnable (${r.error.message})` : r.status === 0 ? undefined : `tcpdump --version exited ${r.status}`;
  }
  return availability;
}

export interface TcpdumpRun {
  status: number;
  stdout: Uint8Array;
  stderr: string;
}

/** tcpdump -r FILE -w - [EXPR]: libpcap's reading of FILE (and selection by EXPR) as pcap. */
export function tcpdumpRewrite(input: string | Uint8Array, expr?: string): TcpdumpRun {
  const fromStdin = typeof input !== "string";
  const args = ["-r", fromStdin ? "-" : input, "-w", "-"];
  if (expr) args.push("--", expr); // an expression may start with "-"
  const r = spawnSync("tcpdump", args, { input: fromStdin ? input : undefined, maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: new Uint8Array(r.stdout), stderr: r.stderr.toString() };
}

/** tcpdump -r FILE -nn [extra args]: the printed lines (stdout). */
export function tcpdumpPrint(input: Uint8Array, extra: string[] = []): string[] {
  const r = spawnSync("tcpdump", ["-r", "-", "-nn", ...extra], { input, maxBuffer: 1 << 28, encoding: "utf8" });
  if (r.error) throw r.error;
  return r.stdout.split("\n").filter((l) => l.length > 0);
}

export function corpusFiles(dir: string): string[] {
  return readdirSync(CORPUS + dir)
    .filter((f) => f.endsWith(".pcap") || f.endsWith(".pcapng"))
    .sort()
    .map((f) => `${CORPUS}${dir}/${f}`);
}
