// Maps of maps end to end (test/kernel/fixtures/map_in_map.c): an ARRAY_OF_MAPS of ARRAY
// counters and a HASH_OF_MAPS of HASH verdict tables, declared with libbpf's
// __array(values, struct inner), slots set statically and from user space. The XDP program
// runs on the interpreter and the JIT and, where bpf() works, in the kernel (`run --engine
// kernel`'s path: the inner template as inner_map_fd, slots set with the inner maps' fds); the
// verdicts, packets and the inner maps' contents must agree.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { main } from "../../bin/cli/main.js";
import { findProgram, innerSlotError, verifyObjectProgram, type BpfObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames } from "./objects.js";

const status = kernelAvailability();
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
const MAP_OF_MAPS = new Set([12, 13]);

/** An IPv4 frame: protocol, TTL and source address chosen (the program's slot and keys). */
function ipv4(protocol: number, ttl: number, saddr: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, len - 14, 0, 0, 0, 0, ttl, protocol, 0, 0], 14);
  new DataView(f.buffer).setUint32(26, saddr);
  new DataView(f.buffer).setUint32(30, 0x0a000001);
  return f;
}

const handmade = [
  ...[1, 6, 17, 47, 132].flatMap((proto) => [0, 64, 128, 255].flatMap((ttl) => [0x0a000002, 0x0a000003].map((src) => ipv4(proto, ttl, src)))),
  Uint8Array.of(1, 2, 3), // shorter than Ethernet: XDP_ABORTED... but the kernel test run needs 14 bytes
].filter((f) => f.length >= 14);
const data = [...handmade, ...frames("mix:200:seed=9")];

/** User-space setup, the same on both sides: count_c into slot 2, verdict_hi (filled) under key 1. */
const VERDICTS_HI: ReadonlyArray<[number, number]> = [[6, 1], [17, 3], [47, 2]]; // TCP drop, UDP tx, GRE pass

interface Run {
  readonly results: string[];
  readonly maps: Record<string, string[]>;
}

async function runOurs(obj: BpfObject, engine: "interpreter" | "jit"): Promise<Run> {
  const loaded = instantiateObjectNode(obj, undefined);
  const maps = loaded.machine.maps;
  maps.mapOfMaps("by_proto").update(u32(2), maps.get("count_c")!);
  for (const [k, v] of VERDICTS_HI) maps.keyed("verdict_hi").update(u32(k), u32(v));
  maps.mapOfMaps("by_source").update(u32(1), maps.get("verdict_hi")!.fd);
  const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine));
  try {
    const results = runner.runBatch(data, { results: true }).results!.map((r) => `${r.verdict} ${hex(r.packet)}`);
    const dump: Record<string, string[]> = {};
    for (const m of obj.maps) {
      if (MAP_OF_MAPS.has(m.spec.type)) continue;
      dump[m.name] = [...(maps.keyed(m.name) as BpfMap<Uint8Array>).entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
    }
    return { results, maps: dump };
  } finally {
    runner.dispose();
  }
}

function runKernel(obj: BpfObject): Run {
  const fd = (name: string): number => obj.maps.findIndex((m) => m.name === name);
  const inits = [
    { map: "by_proto", file: "(test)", entries: [{ key: u32(2), value: u32(fd("count_c")) }] },
    { map: "verdict_hi", file: "(test)", entries: VERDICTS_HI.map(([k, v]) => ({ key: u32(k), value: u32(v) })) },
    { map: "by_source", file: "(test)", entries: [{ key: u32(1), value: u32(fd("verdict_hi")) }] },
  ];
  const packets = data.map((d) => ({ data: d, ts: 0n, origLen: d.length, linkType: 1, iface: 0 }));
  const report = runInKernel(obj, findProgram(obj), packets, inits, { verify: true, results: true });
  const results = report.results!.map((r) => `${r.verdict} ${hex(r.packet)}`);
  const dump: Record<string, string[]> = {};
  for (const m of obj.maps) {
    if (MAP_OF_MAPS.has(m.spec.type)) continue;
    dump[m.name] = (report.maps[m.name] as Array<{ key: string; value: string }>).map((e) => `${e.key}=${e.value}`).sort();
  }
  return { results, maps: dump };
}

describe("map-in-map: map_in_map.o on our engines", () => {
  const obj = fixtureObject("map_in_map");

  it("reads the inner templates and the static slots from BTF and .rel.maps", () => {
    const byProto = obj.maps.find((m) => m.name === "by_proto")!;
    expect(byProto.spec).toMatchObject({ type: 12, keySize: 4, valueSize: 4, maxEntries: 4, inner: { type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 } });
    expect(byProto.innerSlots).toEqual([{ index: 0, map: "count_a" }, { index: 1, map: "count_b" }]);
    const bySource = obj.maps.find((m) => m.name === "by_source")!;
    expect(bySource.spec).toMatchObject({ type: 13, valueSize: 4, maxEntries: 8, inner: { type: 1, keySize: 4, valueSize: 4, maxEntries: 16 } });
    expect(bySource.innerSlots).toEqual([{ index: 0, map: "verdict_lo" }]);
  });

  it("interpreter and JIT agree: verdicts, packets, every inner map", async () => {
    const interp = await runOurs(obj, "interpreter");
    const jit = await runOurs(obj, "jit");
    expect(jit).toEqual(interp);
    const verdicts = new Set(interp.results.map((r) => r.split(" ")[0]));
    // Every path: empty slot (PASS), counted + learned (PASS), verdict_hi's DROP / TX, no table (TX).
    expect([...verdicts].sort()).toEqual(["XDP_DROP", "XDP_PASS", "XDP_TX"]);
    expect(interp.maps.count_c!.length).toBeGreaterThan(0);
    expect(interp.maps.count_c!.some((e) => !e.endsWith("=0000000000000000"))).toBe(true);
    expect(interp.maps.verdict_lo!.length).toBeGreaterThan(0); // learned by the program through the inner pointer
  });

  it.skipIf(!status.ok)("agrees with the kernel (inner maps created from the template, slots by fd)", async () => {
    const kernel = runKernel(obj);
    const interp = await runOurs(obj, "interpreter");
    expect(interp.results.length).toBe(data.length);
    interp.results.forEach((r, i) => expect(r, `packet ${i}`).toBe(kernel.results[i]));
    expect(interp.maps).toEqual(kernel.maps);
    console.log(`map-in-map: ${data.length} packets, ${Object.keys(kernel.maps).length} inner maps agree with the kernel`);
  });
});

describe("map-in-map: what the verifier and the loader refuse, as the kernel does", () => {
  const bad = fixtureObject("map_in_map_bad");
  const REFUSALS: ReadonlyArray<[program: string, insn: number, message: string]> = [
    // The outer lookup may fail: its result is map_value_or_null until a NULL check.
    ["no_null_check", 13, "R1 type=map_value_or_null expected=map_ptr"],
    // check_map_func_compatibility: programs only look a map of maps up.
    ["update_outer", 12, "cannot pass map_type 12 into func bpf_map_update_elem#2"],
    ["delete_outer", 6, "cannot pass map_type 13 into func bpf_map_delete_elem#3"],
  ];

  for (const [program, insn, message] of REFUSALS) {
    it(`${program}: refused at insn ${insn}: ${message}`, () => {
      const p = findProgram(bad, program);
      expect(() => instantiateObjectNode(bad, p)).toThrow(`program '${program}' (section 'xdp') was rejected by the verifier: insn ${insn}: call`);
      expect(() => instantiateObjectNode(bad, p)).toThrow(message);
      const v = verifyOurs(bad, program);
      expect(v.insn).toBe(insn);
      if (!status.ok) return;
      let log = "";
      try {
        runInKernel(bad, p, [], [], { verify: false, results: false });
      } catch (err) {
        log = (err as Error).message;
      }
      expect(log, "the kernel refuses it too").toContain(`${insn}: (85) call`);
      expect(log).toContain(message);
    });
  }

  it("a static slot naming a map unlike the inner template: refused naming the map, the slot and the field", () => {
    const obj = fixtureObject("map_in_map_slot");
    const why = "map 'outer': cannot initialise slot [1] to map 'wide': its value_size is 8, the inner map template's is 4 (bpf_map_update_elem fails with -EINVAL)";
    expect(() => instantiateObjectNode(obj, undefined)).toThrow(why);
    expect(verifyOurs(obj, "slot_prog").message).toBe(why);
    if (!status.ok) return;
    // libbpf's init_map_in_map_slots fails there: BPF_MAP_UPDATE_ELEM answers -EINVAL.
    expect(() => runInKernel(obj, findProgram(obj), [], [], { verify: false, results: false })).toThrow(/MAP_UPDATE: EINVAL/);
  });
});

describe("map-in-map: static slots are filled as libbpf fills them", () => {
  it("an inner map declared after its outer map has no fd yet when the slot is set (-EBADF)", () => {
    const obj = fixtureObject("map_in_map");
    const byProto = obj.maps.find((m) => m.name === "by_proto")!;
    expect(innerSlotError(obj, byProto)).toBeUndefined();
    // `.maps` order with by_proto first: count_a and count_b would be created after it.
    const reordered = { maps: [byProto, ...obj.maps.filter((m) => m !== byProto)] };
    expect(innerSlotError(reordered, byProto)?.message).toBe(
      "map 'by_proto': cannot initialise slot [0] to map 'count_a': it is declared after 'by_proto', and libbpf fills the slots when it creates 'by_proto', before 'count_a' exists (bpf_map_update_elem fails with -EBADF; declare the inner maps first)",
    );
  });

  // `verify` and `maps` accepted this object, and only instantiating it failed.
  it("a HASH_OF_MAPS with more static slots than max_entries: full at the first slot past it (-E2BIG)", () => {
    const obj = fixtureObject("map_in_map");
    const bySource = obj.maps.find((m) => m.name === "by_source")!;
    const full = { ...bySource, spec: { ...bySource.spec, maxEntries: 1 }, innerSlots: [{ index: 0, map: "verdict_lo" }, { index: 5, map: "verdict_lo" }] };
    const small: BpfObject = { ...obj, maps: obj.maps.map((m) => (m === bySource ? full : m)) };
    const why = "map 'by_source': cannot initialise slot [5] to map 'verdict_lo': it is static slot 2 and the map has max_entries 1 (bpf_map_update_elem fails with -E2BIG)";
    expect(innerSlotError(small, full)?.message).toBe(why);
    expect(verifyOurs(small, "map_in_map").message).toBe(why);
    expect(() => instantiateObjectNode(small, undefined)).toThrow(/by_source.*-E2BIG/);
    if (!status.ok) return;
    expect(() => runInKernel(small, findProgram(small), [], [], { verify: false, results: false })).toThrow(/MAP_UPDATE: E2BIG/);
  });
});

function verifyOurs(obj: BpfObject, program: string): { message?: string; insn?: number } {
  const v = verifyObjectProgram(obj, findProgram(obj, program), { helpers: nodeHelperTables() });
  return { ...(v.message !== undefined ? { message: v.message } : {}), ...(v.result?.insn !== undefined ? { insn: v.result.insn } : {}) };
}

/** `ebpf-wasm run OBJ --program P --engine E --json`, in process: the report, or the error text. */
async function cliRun(path: string, program: string, engine: string[]): Promise<{ verdicts: Record<string, number>; maps: Record<string, unknown> } | string> {
  let out = "";
  let err = "";
  const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t), readStdin: async () => "" };
  const status = await main(["run", path, "--program", program, "--gen", "imix:300:seed=3", "--json", "--engine", ...engine], io);
  return status === 0 ? JSON.parse(out) : err.trim();
}

/** The inner maps' entries, per-CPU values summed (the kernel spreads them over its CPUs). */
function innerContents(report: { maps: Record<string, unknown> }): Record<string, string[]> {
  const sum = (v: unknown): string => (Array.isArray(v) ? `sum ${v.reduce((a: bigint, x: string) => a + BigInt(`0x${x.match(/../g)!.reverse().join("")}`), 0n)}` : String(v));
  return Object.fromEntries(
    Object.entries(report.maps)
      .filter(([name]) => !name.startsWith("o_"))
      .map(([name, entries]) => [name, (entries as Array<{ key?: string; value: unknown }>).map((e) => `${e.key ?? ""}=${sum(e.value)}`).sort()]),
  );
}

describe("map-in-map: inner maps of every type (map_in_map_types.o) on both engines and the kernel", () => {
  const path = join(import.meta.dirname, "fixtures", "map_in_map_types.o");
  for (const program of ["p_lru", "p_pca", "p_pch", "p_lpm", "p_rb", "p_q", "p_st"]) {
    it(`${program}: verdicts and every inner map agree`, async () => {
      const interp = await cliRun(path, program, ["interpreter"]);
      if (typeof interp === "string") throw new Error(interp);
      for (const jit of [["jit", "--opt", "0"]]) {
        const other = await cliRun(path, program, jit);
        expect(other, jit.join(" ")).not.toBeTypeOf("string");
        expect((other as typeof interp).verdicts, jit.join(" ")).toEqual(interp.verdicts);
        expect(innerContents(other as typeof interp), jit.join(" ")).toEqual(innerContents(interp));
      }
      if (!status.ok) return;
      const kernel = await cliRun(path, program, ["kernel"]);
      if (typeof kernel === "string") throw new Error(kernel);
      expect(kernel.verdicts).toEqual(interp.verdicts);
      expect(innerContents(kernel)).toEqual(innerContents(interp));
    });
  }
});
