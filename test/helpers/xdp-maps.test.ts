// redirect_map into a CPUMAP and an XSKMAP on both engines: a populated slot gives XDP_REDIRECT
// and the run record names the target (the CPU, the socket), an empty one the fallback action
// in flags' low bits, and any other flag XDP_ABORTED (cpu_map_redirect / xsk_map_redirect pass
// no flag mask). Compared with BPF_PROG_TEST_RUN over every key × flags pair: the kernel's CPUMAP
// filled the same way (CPUs 0 and 1), its XSKMAP empty (no AF_XDP socket here) — a populated
// XSKMAP slot is checked on our side only.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import type { XskMap } from "../../vm/maps/xsk-map.js";
import { ENGINES, kernel, kernelRunMany, load, low32, makeRig, redirectOf, runPacket } from "./harness.js";

const XDP_ABORTED = 0n;
const XDP_REDIRECT = 4n;
const CPUMAP = 16;
const XSKMAP = 17;
const packet = new Uint8Array(64);
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const cpumapVal = (qsize: number): Uint8Array => new Uint8Array(new Uint32Array([qsize, 0]).buffer);

const redirectSrc = (map: string, key: number, flags: number) => `${map}\nmov %r2, ${key}\nmov %r3, ${flags}\ncall 51\nexit`;

/** A 2-CPU machine whose CPUMAP has entries for CPUs 0 and 1 (slots 2 and 3 cannot have one). */
function cpumapRig() {
  const rig = makeRig("xdp", { cpus: 2, maps: true });
  const map = rig.maps!.create({ name: "cpu_map", type: "cpumap", keySize: 4, valueSize: 8, maxEntries: 4 }) as BpfMap;
  for (const cpu of [0, 1]) map.update(u32(cpu), cpumapVal(64));
  return { rig, map };
}

function xskmapRig() {
  const rig = makeRig("xdp", { cpus: 2, maps: true });
  rig.maps!.create({ name: "xsks_map", type: "xskmap", keySize: 4, valueSize: 4, maxEntries: 4 });
  return { rig, map: rig.maps!.xskMap("xsks_map") as XskMap };
}

const KEYS = [0, 1, 2, 3, 4, 0xffffffff];
const FLAGS = [0, 1, 2, 3, 4, 8, 0x10, 0x18, 0x20];

describe("redirect_map into a CPUMAP", () => {
  for (const engine of ENGINES) {
    it(`on the ${engine}: an entry → XDP_REDIRECT to that CPU; none → flags & 3; BPF_F_BROADCAST → XDP_ABORTED`, async () => {
      const { rig, map } = cpumapRig();
      const at = `lddw %r1, ${map.address}`;
      expect(runPacket(rig, await load(rig, redirectSrc(at, 1, 0), engine), packet).r0).toBe(XDP_REDIRECT);
      expect(redirectOf(rig, 0)).toEqual({ kind: "map", map: "cpu_map", key: 1, flags: 0, cpu: 1 });
      expect(runPacket(rig, await load(rig, redirectSrc(at, 2, 2), engine), packet).r0).toBe(2n); // no entry for CPU 2: XDP_PASS
      expect(redirectOf(rig, 0)).toBeUndefined();
      expect(runPacket(rig, await load(rig, redirectSrc(at, 0, 8), engine), packet).r0).toBe(XDP_ABORTED); // a DEVMAP's flag
      map.delete(u32(1));
      expect(runPacket(rig, await load(rig, redirectSrc(at, 1, 1), engine), packet).r0).toBe(1n); // deleted: XDP_DROP
    });
  }

  it.skipIf(!kernel.ok)("the kernel's verdict for every key × flags pair (CPUs 0 and 1 populated in both)", async () => {
    const { rig, map } = cpumapRig();
    let compared = 0;
    for (const key of KEYS) {
      for (const flags of FLAGS) {
        const [want] = kernelRunMany("xdp", redirectSrc("lddw %r1, map_fd 0", key, flags), [packet], [{ type: CPUMAP, keySize: 4, valueSize: 8, maxEntries: 4 }], ([k]) => {
          for (const cpu of [0, 1]) k!.update(u32(cpu), cpumapVal(64));
        });
        for (const engine of ENGINES) {
          const prog = await load(rig, redirectSrc(`lddw %r1, ${map.address}`, key, flags), engine);
          expect(low32(runPacket(rig, prog, packet).r0), `${engine}: key ${key} flags 0x${flags.toString(16)}`).toBe(want!.retval);
          prog.dispose();
          compared++;
        }
      }
    }
    expect(compared).toBe(KEYS.length * FLAGS.length * ENGINES.length);
  });
});

describe("redirect_map into an XSKMAP", () => {
  for (const engine of ENGINES) {
    it(`on the ${engine}: a socket → XDP_REDIRECT to it; an empty slot → flags & 3; other flags → XDP_ABORTED`, async () => {
      const { rig, map } = xskmapRig();
      map.bind(1, 77);
      const at = `lddw %r1, ${map.address}`;
      expect(runPacket(rig, await load(rig, redirectSrc(at, 1, 2), engine), packet).r0).toBe(XDP_REDIRECT);
      expect(redirectOf(rig, 0)).toEqual({ kind: "map", map: "xsks_map", key: 1, flags: 0, socket: 77 });
      expect(runPacket(rig, await load(rig, redirectSrc(at, 0, 2), engine), packet).r0).toBe(2n);
      expect(redirectOf(rig, 0)).toBeUndefined();
      expect(runPacket(rig, await load(rig, redirectSrc(at, 1, 0x10), engine), packet).r0).toBe(XDP_ABORTED); // BPF_F_EXCLUDE_INGRESS
      expect(runPacket(rig, await load(rig, redirectSrc(at, 4, 3), engine), packet).r0).toBe(3n); // past the end: XDP_TX
      map.delete(u32(1));
      expect(runPacket(rig, await load(rig, redirectSrc(at, 1, 1), engine), packet).r0).toBe(1n);
    });
  }

  it.skipIf(!kernel.ok)("the kernel's verdict for every key × flags pair on an empty XSKMAP", async () => {
    const { rig, map } = xskmapRig();
    let compared = 0;
    for (const key of KEYS) {
      for (const flags of FLAGS) {
        const [want] = kernelRunMany("xdp", redirectSrc("lddw %r1, map_fd 0", key, flags), [packet], [{ type: XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 }]);
        for (const engine of ENGINES) {
          const prog = await load(rig, redirectSrc(`lddw %r1, ${map.address}`, key, flags), engine);
          expect(low32(runPacket(rig, prog, packet).r0), `${engine}: key ${key} flags 0x${flags.toString(16)}`).toBe(want!.retval);
          prog.dispose();
          compared++;
        }
      }
    }
    expect(compared).toBe(KEYS.length * FLAGS.length * ENGINES.length);
  });
});

describe("a CPUMAP takes no map helper but redirect_map, verified or not", () => {
  for (const engine of ENGINES) {
    it(`on the ${engine}: an unverified lookup in a CPUMAP faults as the verifier would refuse it`, async () => {
      const machine = createNodeMachine({ type: "xdp", cpus: 2, maps: [{ name: "cpu_map", type: "cpumap", keySize: 4, valueSize: 8, maxEntries: 4 }] });
      const map = machine.maps.keyed("cpu_map");
      map.update(u32(0), cpumapVal(8));
      const src = `stw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, ${map.address}\ncall 1\nmov %r0, 2\nexit`;
      const runner = new PacketRunner(machine, await (await getEngine(engine)).load({ insns: assemble(src), name: "lookup_cpumap" }, machine));
      try {
        expect(() => runner.runBatch([packet])).toThrow(/cannot pass map_type 16 \(map 'cpu_map'\) into func bpf_map_lookup_elem#1/);
      } finally {
        runner.dispose();
      }
    });
  }
});
