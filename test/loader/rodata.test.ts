// fixtures/rodata.c: libbpf-style `const volatile` configuration in .rodata. The loader writes
// .rodata and freezes it (user space can no longer change it, as after libbpf's BPF_MAP_FREEZE),
// so the verifier reads it as constants (a loop bound, a packet offset) as the kernel does; the
// programs run alike on both engines and, where bpf() is available, in the kernel.

import { afterAll, describe, expect, it } from "vitest";
import { getEngine } from "../../vm/engines.js";
import { loadObject, verifierMaps, verifyObjectProgram, type BpfObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { MapError } from "../../vm/maps/errors.js";
import type { KernelMap } from "../../vm/node/kernel/bridge.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES } from "../../vm/programs/index.js";
import { loadRunner } from "../../vm/runtime/run.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability } from "../kernel/available.js";
import { fixture } from "./objects.js";

const helpers = nodeHelperTables();
const obj = loadObject(fixture("rodata"));
const PROGRAMS = ["rodata_loop", "rodata_offset"] as const;
const program = (name: string) => obj.programs.find((p) => p.name === name)!;
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
/** Frames of 14..69 bytes, EtherType 0x0800 or 0x86dd (rodata_offset reads bytes 12 and 13). */
const packets = Array.from({ length: 12 }, (_, i) => {
  const p = new Uint8Array(14 + i * 5);
  p[12] = i % 3 === 0 ? 0x86 : 0x08;
  p[13] = i % 3 === 0 ? 0xdd : 0x00;
  return p;
});

describe("frozen .rodata: constants for the verifier, read-only for user space", () => {
  it("both programs are accepted with .rodata frozen, refused without the freeze", () => {
    const unfrozen = verifierMaps(obj).map(({ frozen: _, ...m }) => m);
    const reasons = PROGRAMS.map((name) => {
      const p = program(name);
      return [verifyObjectProgram(obj, p, { helpers }).status, verify(p.insns, { type: p.type!, maps: unfrozen, helpers: helpers(p.type!) }).reason];
    });
    expect(reasons).toEqual([
      ["accepted", expect.stringMatching(/^BPF program is too large/)],
      ["accepted", expect.stringMatching(/^invalid access to packet/)],
    ]);
  });

  it("the loaded .rodata is frozen: updates and deletes fail with -EPERM; .data / .bss stay writable", () => {
    const { machine } = instantiateObjectNode(obj, "rodata_loop");
    const ro = machine.maps.keyed(".rodata");
    expect(ro.frozen).toBe(true);
    expect(ro.lookup(u32(0))).toEqual(obj.maps.find((m) => m.name === ".rodata")!.initial);
    const update = (() => { try { ro.update(u32(0), new Uint8Array(8)); } catch (e) { return e; } })();
    expect(update).toBeInstanceOf(MapError);
    expect(update).toMatchObject({ errno: -1, message: "map '.rodata': update of a frozen map failed with -EPERM" });
    expect(ro.tryUpdate(u32(0), new Uint8Array(8))).toBe(-1);
    expect(ro.tryDelete(u32(0))).toBe(-1);
    expect(() => ro.delete(u32(0))).toThrow(/delete of a frozen map failed with -EPERM/);
    const bss = machine.maps.keyed(".bss");
    expect(bss.frozen).toBe(false);
    bss.update(u32(0), new Uint8Array(8).fill(1));
    expect(bss.lookup(u32(0))).toEqual(new Uint8Array(8).fill(1));
  });

  for (const name of PROGRAMS) {
    it(`${name}: the interpreter and the JIT agree (verdicts and the .bss result)`, async () => {
      const outcome = async (engine: "interpreter" | "jit") => {
        const loaded = instantiateObjectNode(obj, name);
        const runner = await loadRunner(await getEngine(engine), loaded.program, loaded.machine);
        try {
          return packets.map((p) => {
            const r = runner.runBatch([p], { results: true }).results![0]!;
            return [Number(r.retval), [...(loaded.machine.maps.keyed(".bss") as BpfMap).lookup(u32(0))!]];
          });
        } finally {
          runner.dispose();
        }
      };
      const interp = await outcome("interpreter");
      expect(await outcome("jit")).toEqual(interp);
      expect(new Set(interp.map((r) => r[0])).size).toBeGreaterThan(1); // both verdicts occur
    });
  }
});

const kernel = kernelAvailability();
describe.skipIf(!kernel.ok)("the kernel agrees: frozen .rodata accepted, unfrozen refused, same results", () => {
  afterAll(() => kernelBridge().close());
  /** Create the object's maps as libbpf does: .data / .rodata written, .rodata frozen if `freeze`. */
  const createMaps = (o: BpfObject, freeze: boolean): KernelMap[] => o.maps.map((m) => {
    const map = kernelBridge().createMap({ name: m.name, type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, maxEntries: m.spec.maxEntries, flags: m.spec.flags | (m.readonly ? 1 << 7 : 0) });
    if (m.initial) map.update(u32(0), m.initial);
    if (freeze && m.readonly) map.freeze();
    return map;
  });

  for (const name of PROGRAMS) {
    it(name, async () => {
      const p = program(name);
      const load = (freeze: boolean) => {
        const maps = createMaps(obj, freeze);
        try {
          return { prog: kernelBridge().load(p.insns, { type: PROGRAM_TYPES[p.type!].kernelType!, name: p.name, sharedMaps: maps }), maps };
        } catch (err) {
          for (const m of maps) m.close();
          return { error: (err as Error).message };
        }
      };
      expect(load(false)).toMatchObject({ error: expect.stringMatching(name === "rodata_loop" ? /too large/ : /invalid access to packet/) });
      const frozen = load(true);
      expect(frozen.error).toBeUndefined();
      const { prog, maps } = frozen as { prog: NonNullable<typeof frozen.prog>; maps: KernelMap[] };
      const bssFd = obj.maps.findIndex((m) => m.name === ".bss");
      try {
        expect(() => maps[obj.maps.findIndex((m) => m.name === ".rodata")]!.update(u32(0), obj.maps.find((m) => m.name === ".rodata")!.initial!)).toThrow(/EPERM/);
        const theirs = packets.map((data) => [prog.testRun({ data }).retval, [...maps[bssFd]!.lookup(u32(0))!]]);
        const loaded = instantiateObjectNode(obj, name);
        const runner = await loadRunner(await getEngine("interpreter"), loaded.program, loaded.machine);
        const ours = packets.map((data) => [Number(runner.runBatch([data], { results: true }).results![0]!.retval), [...loaded.machine.maps.keyed(".bss").lookup(u32(0))!]]);
        runner.dispose();
        expect(ours).toEqual(theirs);
      } finally {
        prog.close();
        for (const m of maps) m.close();
      }
    });
  }
});
