// BPF timers end to end against Linux: fixtures/timer.c (clang-19) initialises, sets, starts
// and cancels timers in ARRAY and HASH values and records every helper's return value; its
// callbacks count their runs, re-arm their timer and try to cancel it. Our loader finds each
// value's struct bpf_timer in the BTF, our verifier accepts the program, and after the timers
// had time to fire, the interpreter, the JIT and the kernel agree on every return value and on
// both maps (the kernel engine waits in its runner; ours settle the machine's timers).

import { afterAll, describe, expect, it } from "vitest";
import { findProgram, type BpfObject } from "../../vm/elf/load/index.js";
import { programFuncInfo } from "../../vm/elf/load/kernel-btf.js";
import * as abi from "../../vm/maps/abi.js";
import { errnoName } from "../../vm/maps/errors.js";
import { checkSpec } from "../../vm/maps/spec.js";
import type { MapSpec } from "../../vm/maps/types.js";
import { verify } from "../../vm/verifier/index.js";
import { verifierMaps, verifyObjectProgram } from "../../vm/elf/load/verify.js";
import { instantiateObjectNode, nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { KernelError, kernelBridge, kernelMapSpec, ProgType } from "../../vm/node/kernel/engine.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, type ObjectRun } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Run `data` through the object's entry program, let its timers fire (bounded), read the maps. */
async function runOursSettled(obj: BpfObject, engine: "interpreter" | "jit", data: readonly Uint8Array[]): Promise<ObjectRun & { active: number }> {
  const loaded = instantiateObjectNode(obj, undefined);
  const { machine } = loaded;
  const runner = new PacketRunner(machine, await (await getEngine(engine)).load(loaded.program, machine));
  try {
    const results = runner.runBatch(data, { results: true }).results!.map((r) => ({ verdict: r.verdict, retval: r.retval.toString(16), packet: hex(r.packet) }));
    const active = await machine.timers.settle(2000);
    const maps: Record<string, string[]> = {};
    for (const m of obj.maps) maps[m.name] = [...(machine.maps.keyed(m.name) as BpfMap<Uint8Array>).entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
    return { results, maps, active };
  } finally {
    machine.timers.close();
    runner.dispose();
  }
}

function runKernelSettled(obj: BpfObject, data: readonly Uint8Array[]): ObjectRun {
  const packets = data.map((d) => ({ data: d, ts: 0n, origLen: d.length, linkType: 1, iface: 0 }));
  const report = runInKernel(obj, findProgram(obj), packets, [], { verify: true, results: true, settleMs: 300 });
  const results = report.results!.map((r) => ({ verdict: r.verdict, retval: r.retval.toString(16), packet: hex(r.packet) }));
  const maps: Record<string, string[]> = {};
  for (const m of obj.maps) maps[m.name] = (report.maps[m.name] as Array<{ key: string; value: string }>).map((e) => `${e.key}=${e.value}`).sort();
  return { results, maps };
}

/** results[i] as a signed number. */
const result = (run: ObjectRun, i: number): number => Number(Buffer.from(run.maps["results"]![i]!.split("=")[1]!, "hex").readBigInt64LE(0));
/** A value's u64 / s64 field at byte `off`. */
function field(run: ObjectRun, map: string, key: number, off: number): number {
  const line = run.maps[map]!.find((e) => Buffer.from(e.split("=")[0]!, "hex").readUInt32LE(0) === key);
  return line === undefined ? NaN : Number(Buffer.from(line.split("=")[1]!, "hex").readBigInt64LE(off));
}

describe("timer.o (bpf_timer_* from C)", () => {
  const obj = fixtureObject("timer");
  const data = frames("mix:2:seed=3").slice(0, 2);

  it("finds each value's struct bpf_timer in the BTF (offset 8) and verifies", () => {
    expect(obj.maps.map((m) => [m.name, m.spec.timer])).toEqual([["results", undefined], ["arr", 8], ["hmap", 8], ["lru", 8]]);
    expect(verifierMaps(obj).filter((m) => m.timer !== undefined).length).toBe(3);
    const v = verifyObjectProgram(obj, findProgram(obj), { helpers: nodeHelperTables() });
    expect(v.message).toBeUndefined();
    expect(v.status).toBe("accepted");
  });

  it("the interpreter and the JIT: the helpers' returns, callbacks fired, re-armed, cancelled, freed", async () => {
    expect(data.length).toBe(2);
    const interp = await runOursSettled(obj, "interpreter", data);
    const jit = await runOursSettled(obj, "jit", data);
    expect(interp.active).toBe(0);
    expect(jit).toEqual(interp);
    const EINVAL = -22, EBUSY = -16;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((i) => result(interp, i))).toEqual([EINVAL, 0, EBUSY, EINVAL, 0, 0, EINVAL, 0, 1, EINVAL, 0, EINVAL, EINVAL, EINVAL]);
    expect(result(interp, 14)).toBe(7 + 5); // hash_cb ran for hmap key 7 and lru key 5 (hmap key 8 was deleted before)
    expect(result(interp, 15)).toBe(2);
    // fired: arr[0] once, arr[1] never (cancelled), arr[2] four times, arr[3] never (overwritten).
    expect([0, 1, 2, 3].map((k) => field(interp, "arr", k, 0))).toEqual([1, 0, 4, 0]);
    // The callback's own cancel: -EDEADLK (-35) * 100 - key.
    expect([0, 2].map((k) => field(interp, "arr", k, 24))).toEqual([-3500, -3502]);
    expect(field(interp, "hmap", 7, 0)).toBe(1);
    expect(interp.maps["hmap"]!.length).toBe(1);
    expect(field(interp, "lru", 5, 0)).toBe(1);
  });

  it.skipIf(!status.ok)("the kernel agrees: returns and both maps, on both engines", async () => {
    const kernel = runKernelSettled(obj, data);
    for (const engine of ["interpreter", "jit"] as const) {
      const { active: _active, ...ours } = await runOursSettled(obj, engine, data);
      expect(ours, engine).toEqual(kernel);
    }
  });
});

describe("timer_bad.o: the verifier's rules for timers, message for message with the kernel", () => {
  const obj = fixtureObject("timer_bad");
  /** Program → the kernel's refusal (undefined: it loads). */
  const CASES: Array<[string, string | undefined]> = [
    ["callback_returns_one", "At async callback return the register R0 has smin=1 smax=1 should have been in [0, 0]"],
    ["wrong_offset", "off 0 doesn't point to 'struct bpf_timer' that is at 8"],
    ["wrong_map", "timer pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0"],
    ["touches_timer", "bpf_timer cannot be accessed directly by load/store"],
    ["timer_on_stack", "R1 type=fp expected=map_value"],
    ["maybe_null", "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first"],
    ["callback_writes_key", "write to change key R2 not allowed"],
    ["timer_is_the_value", undefined],
    ["big_stacks", undefined],
    ["big_stacks_called", "combined stack size of 2 calls is"],
  ];
  /** The maps as the kernel engine creates them: with BTF only when the value has a special field. */
  const kernelMaps = verifierMaps(obj).map(kernelMapSpec);

  function kernelLog(name: string): string | undefined {
    const prog = findProgram(obj, name);
    const info = programFuncInfo(obj, prog);
    try {
      kernelBridge().load(prog.insns, { type: ProgType.XDP, name: name.slice(0, 15), maps: kernelMaps, ...(info ? { funcInfo: info } : {}) }).close();
      return undefined;
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      return e.log ?? e.message;
    }
  }

  for (const [name, why] of CASES) {
    it(`${name}: ${why ?? "accepted"}`, () => {
      const v = verifyObjectProgram(obj, findProgram(obj, name), { helpers: nodeHelperTables() });
      if (why === undefined) expect(v.message).toBeUndefined();
      else expect(v.message).toContain(why);
      if (!status.ok) return;
      const log = kernelLog(name);
      if (why === undefined) expect(log).toBeUndefined();
      else expect(log).toContain(why);
    });
  }

  it("a map without the field: 'has no valid bpf_timer' with BTF (libbpf's maps), 'has to have BTF' without", () => {
    const prog = findProgram(obj, "map_without_timer");
    expect(verifyObjectProgram(obj, prog, { helpers: nodeHelperTables() }).message).toContain("map 'no_timer' has no valid bpf_timer");
    const noBtf = verifierMaps(obj).map((m) => ({ ...m, btf: false }));
    const v = verify(prog.insns, { type: "xdp", maps: noBtf, helpers: nodeHelperTables()("xdp") });
    expect(v.message).toContain("map 'no_timer' has to have BTF in order to use bpf_timer");
    // The kernel engine creates a map without special fields without BTF.
    if (status.ok) expect(kernelLog("map_without_timer")).toMatch(/map '.*' has to have BTF in order to use bpf_timer/);
  });
});

describe("which maps may hold a struct bpf_timer (BPF_MAP_CREATE)", () => {
  const SPECS: Array<Omit<MapSpec, "name" | "keySize" | "maxEntries">> = [
    { type: "array", valueSize: 24, timer: 8 },
    { type: "hash", valueSize: 24, timer: 8 },
    { type: "lru_hash", valueSize: 16, timer: 0 },
    { type: "percpu_array", valueSize: 24, timer: 8 },
    { type: "percpu_hash", valueSize: 16, timer: 0 },
    { type: "array", valueSize: 16, timer: 0, flags: abi.BPF_F_RDONLY_PROG },
    { type: "array", valueSize: 24, timer: 16 },
    { type: "array", valueSize: 24, timer: 8, spinLock: 0 },
  ];
  const TYPE: Record<string, number> = { array: 2, hash: 1, lru_hash: 9, percpu_array: 6, percpu_hash: 5 };
  const ours = (s: (typeof SPECS)[number]): string => {
    try {
      checkSpec({ name: "m", keySize: 4, maxEntries: 4, ...s });
      return "ok";
    } catch (e) {
      const m = /refuses it with -(E[A-Z0-9]+)/.exec((e as Error).message);
      return m ? m[1]! : (e as Error).message;
    }
  };

  it("ours: the kernel's errnos", () => {
    expect(SPECS.map(ours)).toEqual(["ok", "ok", "ok", "EOPNOTSUPP", "EOPNOTSUPP", "EACCES", "EINVAL", "ok"]);
    // The kernel takes a timer at any offset; this runtime needs it 4-byte aligned, and says so.
    expect(ours({ type: "array", valueSize: 24, timer: 2 })).toMatch(/not 4-byte aligned; the kernel takes it/);
  });

  it.skipIf(!status.ok)("the kernel agrees", () => {
    const kernel = SPECS.map((s) => {
      try {
        kernelBridge().createMap({ type: TYPE[s.type as string]!, keySize: 4, valueSize: s.valueSize, maxEntries: 4, flags: s.flags ?? 0, timer: s.timer!, ...(s.spinLock !== undefined ? { spinLock: s.spinLock } : {}) }).close();
        return "ok";
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        return errnoName(e.errno);
      }
    });
    expect(kernel).toEqual(SPECS.map(ours));
  });
});
