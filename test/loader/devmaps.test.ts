// Objects built by clang that declare DEVMAP, DEVMAP_HASH and PERF_EVENT_ARRAY maps (BTF:
// fixtures/devmaps.c, legacy `maps`: fixtures/devmaps_legacy.c) load, get libbpf's CPU-sized
// PERF_EVENT_ARRAY, and run alike on both engines and in the kernel (skipped without bpf()).

import { describe, expect, it } from "vitest";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { getEngine } from "../../vm/engines.js";
import { assemble } from "../../vm/asm/index.js";
import { loadObject, verifyObjectProgram } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import type { BpfMap } from "../../vm/maps/map.js";
import type { Packet } from "../../vm/packets/index.js";
import { loadRunner } from "../../vm/runtime/run.js";
import { kernelAvailability } from "../kernel/available.js";
import { fixture } from "./objects.js";

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const val8 = (ifindex: number): Uint8Array => new Uint8Array(new Uint32Array([ifindex, 0]).buffer);
/** 64-byte frames whose first byte is 0..3 (devmap_redirect's slot) and whose first u32 is the hash key. */
const packets = [0, 1, 2, 3, 1].map((b) => {
  const p = new Uint8Array(64);
  p[0] = b;
  return p;
});

describe("DEVMAP / DEVMAP_HASH / PERF_EVENT_ARRAY objects", () => {
  it("devmaps.o (BTF maps): types and sizes as declared; max_entries 0 kept in the object", () => {
    const obj = loadObject(fixture("devmaps"));
    const specs = Object.fromEntries(obj.maps.map((m) => [m.name, [m.spec.type, m.spec.keySize, m.spec.valueSize, m.spec.maxEntries]]));
    expect(specs).toEqual({ tx_ports: [14, 4, 8, 4], tx_hash: [25, 4, 4, 16], events: [4, 4, 4, 0] });
  });

  it("devmaps_legacy.o (legacy maps section) loads the same way", () => {
    const obj = loadObject(fixture("devmaps_legacy"));
    const specs = Object.fromEntries(obj.maps.map((m) => [m.name, [m.spec.type, m.spec.keySize, m.spec.valueSize, m.spec.maxEntries]]));
    expect(specs).toEqual({ tx_ports: [14, 4, 4, 8], events: [4, 4, 4, 0] });
    const loaded = instantiateObjectNode(obj, undefined, { cpus: 3 });
    expect(loaded.machine.maps.perfEventArray("events").maxEntries).toBe(3); // one slot per CPU
  });

  it("programs may read a DEVMAP slot but not write it (the kernel makes devmaps BPF_F_RDONLY_PROG)", () => {
    const obj = loadObject(fixture("devmaps"));
    const entry = obj.programs.find((p) => p.name === "devmap_redirect")!;
    const src = (fd: number, store: boolean) => `stw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map_fd ${fd}\ncall 1\njeq %r0, 0, out\n${store ? "stw [%r0+0], 5" : "ldxw %r0, [%r0+0]"}\nout:\nmov %r0, 2\nexit`;
    const verify = (fd: number, store: boolean) => verifyObjectProgram(obj, { ...entry, insns: assemble(src(fd, store)) }, { helpers: nodeHelperTables() });
    for (const fd of ["tx_ports", "tx_hash"].map((name) => obj.maps.findIndex((m) => m.name === name))) {
      expect(verify(fd, false).status).toBe("accepted");
      expect(verify(fd, true)).toMatchObject({ status: "rejected", message: expect.stringMatching(/write into map forbidden/) });
    }
  });

  for (const engine of ["interpreter", "jit"] as const) {
    it(`devmap_redirect on the ${engine}: redirects through present slots, perf records on open slots`, async () => {
      const loaded = instantiateObjectNode(loadObject(fixture("devmaps")), "devmap_redirect", { cpus: 2 });
      const { maps } = loaded.machine;
      expect(maps.perfEventArray("events").maxEntries).toBe(2);
      (maps.get("tx_ports") as BpfMap).update(u32(1), val8(1));
      const runner = await loadRunner(await getEngine(engine), loaded.program, loaded.machine);
      try {
        const closed = runner.runBatch(packets);
        expect(closed.verdicts).toEqual({ XDP_PASS: 3, XDP_REDIRECT: 2 });
        expect(closed.redirects).toEqual({ "tx_ports[1] -> ifindex 1": 2 });
        expect(loaded.machine.perf.take()).toEqual([]); // no slot open: -ENOENT, which the program tolerates
        maps.perfEventArray("events").openAll();
        expect(runner.runBatch(packets).verdicts).toEqual({ XDP_PASS: 3, XDP_REDIRECT: 2 });
        const records = loaded.machine.perf.take();
        expect(records.map((r) => [r.cpu, r.index, [...r.data]])).toEqual(packets.map(() => [0, 0, [64, 0, 0, 0]]));
      } finally {
        runner.dispose();
      }
    });
  }

  const kernel = kernelAvailability();
  it.skipIf(!kernel.ok)("devmap_redirect and devmap_hash_redirect: the kernel's verdicts (its perf slots hold no event)", async () => {
    const obj = loadObject(fixture("devmaps"));
    const inits = [
      { map: "tx_ports", file: "test", entries: [{ key: u32(1), value: val8(1) }, { key: u32(3), value: val8(1) }] },
      { map: "tx_hash", file: "test", entries: [{ key: u32(2), value: u32(1) }] },
    ];
    for (const name of ["devmap_redirect", "devmap_hash_redirect"]) {
      const entry = obj.programs.find((p) => p.name === name)!;
      const frames: Packet[] = packets.map((data) => ({ data, ts: 0n, origLen: data.length, linkType: 1, iface: 0 }));
      const there = runInKernel(obj, entry, frames, inits, { verify: true, results: true });
      for (const engine of ["interpreter", "jit"] as const) {
        const loaded = instantiateObjectNode(obj, name, { cpus: 2 });
        for (const init of inits) for (const e of init.entries) (loaded.machine.maps.get(init.map) as BpfMap).update(e.key, e.value);
        const runner = await loadRunner(await getEngine(engine), loaded.program, loaded.machine);
        try {
          const here = runner.runBatch(packets, { results: true }).results!;
          expect(here.map((r) => r.verdict), `${name} on the ${engine}`).toEqual(there.results!.map((r) => r.verdict));
        } finally {
          runner.dispose();
        }
      }
    }
  });
});
