// Shared by the kernel-bridge tests that run an object both here and in the kernel: the
// objects of test/kernel/fixtures (rebuilt by fixtures/build.sh), frames, and one run of an
// object's entry program on our interpreter and JIT and through `--engine kernel` (runInKernel),
// as plain data to compare.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { generate } from "../../corpus/gen/index.js";
import { findProgram, loadObject, type BpfObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, type NodeObjectMachineOptions } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { RingBuf } from "../../vm/maps/ringbuf.js";
import { PacketRunner } from "../../vm/runtime/run.js";

export const fixtureObject = (name: string): BpfObject =>
  loadObject(new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures", `${name}.o`))));

/**
 * Generated frames of 14..1500 bytes: long enough for BPF_PROG_TEST_RUN and all in the XDP test
 * run's linear part (frames over ~3.5 KiB become multi-buffer there).
 */
export const frames = (spec: string): Uint8Array[] => generate(spec).map((p) => p.data).filter((d) => d.length >= 14 && d.length <= 1500);

/**
 * The frames an skb test run takes: it refuses (EINVAL) an IPv4 / IPv6 frame too short for its
 * IP header (bpf_prog_test_run_skb), which our runner would run.
 */
export function skbTestRunnable(data: readonly Uint8Array[]): Uint8Array[] {
  return data.filter((f) => f.length >= 14 + (IP_HEADER.get((f[12]! << 8) | f[13]!) ?? 0));
}

/** EtherType → the IP header a test run wants whole (IPv4, IPv6). */
const IP_HEADER: ReadonlyMap<number, number> = new Map([[0x0800, 20], [0x86dd, 40]]);

export interface ObjectRun {
  readonly results: ReadonlyArray<{ verdict: string; retval: string; packet: string }>;
  /**
   * Keyed maps as sorted "key=value" hex lines (per-CPU values comma-separated, CPU 0 first;
   * PROG_ARRAYs left out: their values are fds / ids; BLOOM_FILTERs too: user space can only ask
   * them about a value); ring buffers as their records' hex, in the order they were submitted.
   */
  readonly maps: Record<string, string[]>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const PROG_ARRAY = 3;
const RINGBUF = 27;
const BLOOM_FILTER = 30;
/** Maps whose contents user space cannot list. */
const unlisted = (type: number): boolean => type === PROG_ARRAY || type === BLOOM_FILTER;

export async function runOurs(
  obj: BpfObject, engine: "interpreter" | "jit", data: readonly Uint8Array[], program?: string, options: NodeObjectMachineOptions = {},
): Promise<ObjectRun> {
  const loaded = instantiateObjectNode(obj, program, options);
  const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine));
  try {
    const results = runner.runBatch(data, { results: true }).results!.map((r) => ({ verdict: r.verdict, retval: r.retval.toString(16), packet: hex(r.packet) }));
    const maps: Record<string, string[]> = {};
    obj.maps.forEach((m) => {
      if (unlisted(m.spec.type)) return;
      const map = loaded.machine.maps.get(m.name);
      if (map instanceof RingBuf) maps[m.name] = map.drain().map(hex);
      // Per-CPU values as the kernel report lists them: each CPU's, comma-separated.
      else maps[m.name] = [...(map as BpfMap<Uint8Array | Uint8Array[]>).entries()].map(([k, v]) => `${hex(k)}=${Array.isArray(v) ? v.map(hex).join(",") : hex(v)}`).sort();
    });
    return { results, maps };
  } finally {
    runner.dispose();
  }
}

export function runKernel(obj: BpfObject, data: readonly Uint8Array[], program?: string): ObjectRun {
  const packets = data.map((d) => ({ data: d, ts: 0n, origLen: d.length, linkType: 1, iface: 0 }));
  const report = runInKernel(obj, findProgram(obj, program), packets, [], { verify: true, results: true });
  const results = report.results!.map((r) => ({ verdict: r.verdict, retval: r.retval.toString(16), packet: hex(r.packet) }));
  const maps: Record<string, string[]> = {};
  obj.maps.forEach((m) => {
    if (unlisted(m.spec.type)) return;
    const entries = report.maps[m.name] as Array<{ key: string; value: string }>;
    maps[m.name] = m.spec.type === RINGBUF ? entries.map((e) => e.value) : entries.map((e) => `${e.key}=${e.value}`).sort();
  });
  return { results, maps };
}
