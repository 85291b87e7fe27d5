// The loader against the kernel (where bpf() is available): every program it links — corpus and
// fixtures, with their maps, global data (BPF_PSEUDO_MAP_VALUE) and legacy maps — is accepted by
// the kernel's verifier, as ours accepts it; and every corpus program run here (interpreter) and
// in the kernel (BPF_PROG_TEST_RUN) gives the same r0, the same packet and the same maps.

import { afterAll, describe, expect, it } from "vitest";
import { generate } from "../../corpus/gen/index.js";
import { loadObject, verifyObjectProgram, type BpfObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { withCpuSlots } from "../../vm/elf/load/maps.js";
import { Interpreter } from "../../vm/interpreter/engine.js";
import { BpfMap } from "../../vm/maps/map.js";
import { QueueMap } from "../../vm/maps/queue.js";
import { RingBuf } from "../../vm/maps/ringbuf.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import type { KernelMap } from "../../vm/node/kernel/bridge.js";
import { PROGRAM_TYPES } from "../../vm/programs/index.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { kernelAvailability } from "../kernel/available.js";
import { CORPUS_NAMES, FIXTURE_NAMES, corpus, fixture, refusedFixture } from "./objects.js";

const status = kernelAvailability();
const helpers = nodeHelperTables();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const objects: Array<[string, BpfObject]> = [
  ...CORPUS_NAMES.map((n): [string, BpfObject] => [n, loadObject(corpus(n))]),
  ...FIXTURE_NAMES.map((n): [string, BpfObject] => [n, loadObject(fixture(n))]),
];

describe.skipIf(!status.ok)("the kernel accepts what the loader links (and so do we)", () => {
  for (const [file, obj] of objects) {
    for (const p of obj.programs.filter((x) => x.type && !x.error)) {
      it(`${file}:${p.name}`, () => {
        const ours = verifyObjectProgram(obj, p, { helpers });
        const BPF_F_RDONLY_PROG = 1 << 7;
        let kernel: string | undefined;
        const maps: KernelMap[] = [];
        try {
          // As libbpf: create the maps, write .data / .rodata, freeze .rodata (BPF_MAP_FREEZE: its
          // values are then constants for the verifier), and load.
          for (const m of obj.maps) {
            // withCpuSlots: libbpf's max_entries for a PERF_EVENT_ARRAY declared without one.
            const map = kernelBridge().createMap(withCpuSlots({ name: m.name, type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, maxEntries: m.spec.maxEntries, flags: m.spec.flags | (m.readonly ? BPF_F_RDONLY_PROG : 0) }, status.possibleCpus ?? 1));
            maps.push(map);
            if (m.origin === "data" && m.initial) map.update(new Uint8Array(4), m.initial);
            if (m.readonly) map.freeze();
          }
          const attach = p.sectionType?.expectedAttach;
          const prog = kernelBridge().load(p.insns, {
            type: PROGRAM_TYPES[p.type!].kernelType!, name: p.name, sharedMaps: maps, ...(attach !== undefined ? { expectedAttachType: attach } : {}),
          });
          prog.close();
        } catch (err) {
          kernel = (err as Error).message;
        } finally {
          for (const map of maps) map.close();
        }
        const refused = refusedFixture(file, p.name); // no verifier lets these through
        if (refused) {
          expect([ours.status, kernel]).toEqual(["rejected", expect.stringMatching(refused)]);
          return;
        }
        expect([ours.status, ours.message, kernel]).toEqual(["accepted", undefined, undefined]);
      });
    }
  }
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const sumLe = (hexes: string[]): bigint => hexes.reduce((t, h) => t + BigInt(`0x${Buffer.from(h, "hex").reverse().toString("hex") || "0"}`), 0n);

describe.skipIf(!status.ok)("runs here and in the kernel agree (r0, packets, maps)", () => {
  // Frames of at least 14 bytes: BPF_PROG_TEST_RUN refuses shorter ones (EINVAL).
  const packets = generate("mix:400:seed=21").filter((p) => p.data.length >= 14);
  for (const name of CORPUS_NAMES.filter((n) => n !== "tail_calls")) {
    it(name, () => {
      const obj = loadObject(corpus(name));
      const loaded = instantiateObjectNode(obj, undefined);
      // The kernel will not build an skb for a few malformed frames (EINVAL): those do not run
      // there, so they are left out here too (at most a few percent of the mix).
      const probe = runInKernel(obj, loaded.entry, packets, [], { verify: true, results: true });
      const accepted = packets.filter((_, i) => !probe.results![i]!.verdict.startsWith("ERROR"));
      expect(accepted.length).toBeGreaterThan(packets.length * 0.95);
      const there = runInKernel(obj, loaded.entry, accepted, [], { verify: true, results: true });
      const runner = new PacketRunner(loaded.machine, new Interpreter().loadSync(loaded.program, loaded.machine));
      const here = runner.runBatch(accepted, { results: true }).results!;
      there.results!.forEach((k, i) => {
        expect([here[i]!.retval, hex(here[i]!.packet)], `packet ${i}`).toEqual([k.retval, hex(k.packet)]);
      });
      for (const map of loaded.machine.maps) {
        const theirs = there.maps[map.name];
        expect(theirs, map.name).toBeDefined();
        // Ring buffer records and queue / stack values: in the order a reader gets them.
        if (map instanceof RingBuf) {
          expect((theirs as Array<{ value: string }>).map((e) => e.value), map.name).toEqual(map.drain().map(hex));
          continue;
        }
        if (map instanceof QueueMap) {
          const values: string[] = [];
          for (let v = map.pop(); v; v = map.pop()) values.push(hex(v));
          expect((theirs as Array<{ value: string }>).map((e) => e.value), map.name).toEqual(values);
          continue;
        }
        const ours = [...(map as BpfMap<Uint8Array | Uint8Array[]>).entries()].map(([k, v]) => ({ key: hex(k), value: Array.isArray(v) ? v.map(hex) : hex(v) }));
        // Per-CPU maps: the kernel ran on some CPU, we on CPU 0 of one: compare the per-key sums.
        const norm = (entries: unknown[]) => (entries as Array<{ key: string; value: string | string[] }>)
          .map((e) => [e.key, Array.isArray(e.value) ? sumLe(e.value).toString() : e.value])
          .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
        expect(norm(theirs!), map.name).toEqual(norm(ours));
      }
    });
  }
});
