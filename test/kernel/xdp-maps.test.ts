// Objects that redirect into a CPUMAP and an XSKMAP (fixtures/cpumap_redirect.c: the shape of
// xdp-redirect-cpu; fixtures/xsk_def.c: libxdp's default AF_XDP program, the socket's queue_id
// read), loaded from their ELF files, run on the interpreter and the JIT and through
// `--engine kernel` (BPF_PROG_TEST_RUN) over the same frames: verdicts, frames and the counting
// maps must agree. The kernel's CPUMAP gets real entries for CPUs 0 and 1 (qsize 8: a kthread
// each, freed when the map closes); its XSKMAP stays empty (we create no AF_XDP socket), so the
// populated XSKMAP run is compared between our engines, against what the program must do.

import { afterAll, describe, expect, it } from "vitest";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import type { MapInit } from "../../bin/cli/commands/run-object.js";
import { findProgram, type BpfObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import type { MapSet } from "../../vm/maps/mapset.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames } from "./objects.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const cpumapVal = (qsize: number): Uint8Array => new Uint8Array(new Uint32Array([qsize, 0]).buffer);

interface Run {
  readonly results: string[];
  /** The counting ARRAY's values, hex. */
  readonly counts: string[];
  readonly redirects?: Record<string, number>;
}

/** Run the object's program on our engine over `data`, after `setup` filled its maps (2 CPUs, as the kernel here). */
async function runOurs(obj: BpfObject, engine: "interpreter" | "jit", data: readonly Uint8Array[], counts: string | undefined, setup: (maps: MapSet) => void): Promise<Run> {
  const loaded = instantiateObjectNode(obj, undefined, { cpus: 2 });
  setup(loaded.machine.maps);
  const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine));
  try {
    const batch = runner.runBatch(data, { results: true });
    const results = batch.results!.map((r) => `${r.verdict} ${hex(r.packet)}`);
    const values = counts ? [...loaded.machine.maps.keyed(counts).entries()].map(([, v]) => hex(v)) : [];
    return { results, counts: values, ...(batch.redirects ? { redirects: batch.redirects } : {}) };
  } finally {
    runner.dispose();
  }
}

function runTheirs(obj: BpfObject, data: readonly Uint8Array[], counts: string | undefined, inits: MapInit[]): Run {
  const packets = data.map((d) => ({ data: d, ts: 0n, origLen: d.length, linkType: 1, iface: 0 }));
  const report = runInKernel(obj, findProgram(obj), packets, inits, { verify: true, results: true });
  const results = report.results!.map((r) => `${r.verdict} ${hex(r.packet)}`);
  return { results, counts: counts ? (report.maps[counts] as Array<{ value: string }>).map((e) => e.value) : [] };
}

const count = (results: readonly string[], verdict: string): number => results.filter((r) => r.startsWith(`${verdict} `)).length;

describe.skipIf(!status.ok)("CPUMAP and XSKMAP objects: our engines and the kernel agree", () => {
  const data = frames("mix:400:seed=16");

  it("cpumap_redirect.o: CPUs 0 and 1 have entries, 2 and 3 cannot (XDP_PASS)", async () => {
    const obj = fixtureObject("cpumap_redirect");
    const theirs = runTheirs(obj, data, "cpu_seen", [{ map: "cpu_map", file: "(test)", entries: [0, 1].map((c) => ({ key: u32(c), value: cpumapVal(8) })) }]);
    const fill = (maps: MapSet): void => {
      for (const c of [0, 1]) maps.keyed("cpu_map").update(u32(c), cpumapVal(8));
    };
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, data, "cpu_seen", fill);
      expect(ours.results, engine).toEqual(theirs.results);
      expect(ours.counts, engine).toEqual(theirs.counts);
      // The record names the CPU each redirect went to.
      const seen = theirs.counts.map((v) => Number(Buffer.from(v, "hex").readBigUInt64LE()));
      expect(ours.redirects, engine).toEqual({ "cpu_map[0] -> cpu 0": seen[0], "cpu_map[1] -> cpu 1": seen[1] });
    }
    expect(count(theirs.results, "XDP_REDIRECT")).toBeGreaterThan(50);
    expect(count(theirs.results, "XDP_PASS")).toBeGreaterThan(50);
  });

  it("cpumap_redirect.o with an empty CPUMAP: every frame falls back to XDP_PASS", async () => {
    const obj = fixtureObject("cpumap_redirect");
    const theirs = runTheirs(obj, data, "cpu_seen", []);
    expect(count(theirs.results, "XDP_PASS")).toBe(data.length);
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, data, "cpu_seen", () => {});
      expect(ours.results, engine).toEqual(theirs.results);
      expect(ours.counts, engine).toEqual(theirs.counts);
    }
  });

  it("xsk_def.o with an empty XSKMAP (the kernel's only case): every frame passes", async () => {
    const obj = fixtureObject("xsk_def");
    const theirs = runTheirs(obj, data, "xsk_stats", []);
    expect(count(theirs.results, "XDP_PASS")).toBe(data.length);
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, data, "xsk_stats", () => {});
      expect(ours.results, engine).toEqual(theirs.results);
      expect(ours.counts, engine).toEqual(theirs.counts);
    }
  });
});

describe.skipIf(!status.ok)("xsk_run_config.o (libxdp's post-5.3 default program, with its .xdp_run_config section)", () => {
  it("loads with its run configuration ignored; on an empty XSKMAP every frame passes, as in the kernel", async () => {
    const obj = fixtureObject("xsk_run_config");
    expect(obj.maps.map((m) => m.name)).toEqual(["xsks_map"]);
    const data = frames("mix:100:seed=18");
    const theirs = runTheirs(obj, data, undefined, []);
    expect(count(theirs.results, "XDP_PASS")).toBe(data.length);
    for (const engine of ["interpreter", "jit"] as const) expect((await runOurs(obj, engine, data, undefined, () => {})).results, engine).toEqual(theirs.results);
    const bound = await runOurs(obj, "jit", data, undefined, (maps) => maps.xskMap("xsks_map").bind(0, 5));
    expect(bound.redirects).toEqual({ "xsks_map[0] -> xsk 5": data.length });
  });
});

describe.skipIf(!status.ok)("older AF_XDP and CPUMAP-entry objects", () => {
  it("xsk_legacy.o (a legacy 'maps' XSKMAP, section xdp_sock): XDP_DROP without a socket as in the kernel, a redirect with one", async () => {
    const obj = fixtureObject("xsk_legacy");
    expect(obj.maps.map((m) => [m.name, m.origin, m.spec.type])).toEqual([["xsks_map", "legacy", 17]]);
    const data = frames("mix:60:seed=19");
    const theirs = runTheirs(obj, data, undefined, []);
    expect(count(theirs.results, "XDP_DROP")).toBe(data.length);
    for (const engine of ["interpreter", "jit"] as const) expect((await runOurs(obj, engine, data, undefined, () => {})).results, engine).toEqual(theirs.results);
    const bound = await runOurs(obj, "interpreter", data, undefined, (maps) => maps.xskMap("xsks_map").bind(0, 1));
    expect(count(bound.results, "XDP_REDIRECT")).toBe(data.length);
  });

  it("cpumap_entry_prog.o (xdp/cpumap): both verifiers accept it as BPF_XDP_CPUMAP; the kernel's test run refuses it (EINVAL), ours runs it alone", async () => {
    const obj = fixtureObject("cpumap_entry_prog");
    const entry = findProgram(obj);
    expect(entry.sectionType?.expectedAttach).toBe(35); // BPF_XDP_CPUMAP
    const data = frames("mix:20:seed=20");
    const theirs = runTheirs(obj, data, undefined, []); // loads (verified by both), then test-runs
    expect(new Set(theirs.results.map((r) => r.split(" ")[0]))).toEqual(new Set(["ERROR(22)"]));
    const ours = await runOurs(obj, "jit", data, undefined, () => {});
    expect(ours.results.map((r) => r.split(" ")[0])).toEqual(data.map((d) => (d.length < 60 ? "XDP_DROP" : "XDP_PASS")));
  });
});

describe("xsk_def.o with a socket on queue 0 (ours only: the kernel engine has no AF_XDP socket)", () => {
  const data = frames("mix:200:seed=17");
  it("every frame (rx queue 0) is redirected to the socket, on both engines alike", async () => {
    const obj = fixtureObject("xsk_def");
    const runs: Run[] = [];
    for (const engine of ["interpreter", "jit"] as const) {
      runs.push(await runOurs(obj, engine, data, "xsk_stats", (maps) => maps.xskMap("xsks_map").bind(0, 42)));
    }
    const [interp, jit] = runs as [Run, Run];
    expect(count(interp.results, "XDP_REDIRECT")).toBe(data.length);
    expect(interp.redirects).toEqual({ "xsks_map[0] -> xsk 42": data.length });
    // xsk_stats[0] counts the redirected frames (the socket's queue_id matched the rx queue).
    expect(Buffer.from(interp.counts[0]!, "hex").readBigUInt64LE()).toBe(BigInt(data.length));
    expect(jit).toEqual(interp);
  });

  it("a socket on another queue only: the program's lookup of queue 0 finds nothing", async () => {
    const obj = fixtureObject("xsk_def");
    const run = await runOurs(obj, "jit", data, "xsk_stats", (maps) => maps.xskMap("xsks_map").bind(5, 42));
    expect(count(run.results, "XDP_PASS")).toBe(data.length);
    expect(run.redirects).toBeUndefined();
  });
});
