// redirect and redirect_map through their twins in the maps runtime (jit/lower/redirect.ts,
// vm/helpers/packet/as/redirect.ts) against the TypeScript helpers the interpreter calls: over
// random targets, keys and flags, on every kind of map redirect_map takes (and an ARRAY, which
// unverified code may pass), on two CPUs — the same r0 and the same run record (the target, the
// flags, the map, the key slot) afterwards.

import { describe, expect, it } from "vitest";
import type { JitProgram } from "../../jit/engine.js";
import type { BpfMap } from "../../vm/maps/map.js";
import type { XskMap } from "../../vm/maps/xsk-map.js";
import { RECORD_SIZE } from "../../vm/runtime/record.js";
import { load, makeRig, rng, runPacket, type NetType, type Rig } from "../helpers/harness.js";

const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

/** The maps redirect_map is tried on, filled the same way on every rig. */
function withMaps(rig: Rig): number[] {
  const maps = rig.maps!;
  const devmap = maps.create({ name: "tx", type: "devmap", keySize: 4, valueSize: 4, maxEntries: 4 }) as BpfMap;
  devmap.update(u32(1), u32(3));
  devmap.update(u32(2), u32(0)); // a slot holding ifindex 0: no target
  const hash = maps.create({ name: "tx_hash", type: "devmap_hash", keySize: 4, valueSize: 4, maxEntries: 4 }) as BpfMap;
  hash.update(u32(7), u32(5));
  const cpumap = maps.create({ name: "cpus", type: "cpumap", keySize: 4, valueSize: 8, maxEntries: 4 }) as BpfMap;
  cpumap.update(u32(1), new Uint8Array(new Uint32Array([64, 0]).buffer));
  maps.create({ name: "xsks", type: "xskmap", keySize: 4, valueSize: 4, maxEntries: 4 });
  (maps.xskMap("xsks") as XskMap).bind(2, 9);
  const array = maps.create({ name: "plain", type: "array", keySize: 4, valueSize: 4, maxEntries: 4 }) as BpfMap;
  array.update(u32(3), u32(8));
  return [devmap, hash, cpumap, maps.get("xsks")!, array].map((m) => (m as { address: number }).address);
}

/** r1..r3 from the packet (found through the ctx's data / data_end): the u32 at +0 (ifindex or key) and the u64 flags at +8; the map by the byte at +16. */
function program(type: NetType, call: "redirect" | "redirect_map", maps: readonly number[]): string {
  const [data, end] = type === "xdp" ? [0, 4] : [76, 80];
  const pick = maps.map((address, k) => `  lddw %r1, ${address}\n  jeq %r7, ${k}, go`).join("\n");
  const args = call === "redirect" ? "  mov %r1, %r8\n  mov %r2, %r9\n  call 23" : `${pick}\n go:\n  mov %r2, %r8\n  mov %r3, %r9\n  call 51`;
  return `
  ldxw %r2, [%r1+${data}]
  ldxw %r3, [%r1+${end}]
  mov %r4, %r2
  add %r4, 24
  jgt %r4, %r3, short
  ldxw %r8, [%r2+0]
  ldxdw %r9, [%r2+8]
  ldxb %r7, [%r2+16]
${args.replace(" go:", "go:")}
  exit
short:
  mov %r0, 0xdead
  exit`;
}

function cases(seed: number, count: number, maps: number): Uint8Array[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  return Array.from({ length: count }, () => {
    const p = new Uint8Array(64);
    const v = new DataView(p.buffer);
    v.setUint32(0, pick([0, 1, 2, 3, 4, 7, 0xffffffff, next()]), true);
    const flags = pick([0n, 1n, 2n, 3n, 4n, 8n, 9n, 0x10n, 0x11n, 0x18n, 0x20n, 1n << 32n, BigInt(next())]);
    v.setBigUint64(8, flags, true);
    p[16] = next() % maps;
    return p;
  });
}

/** What a run leaves: r0 and the record with the key slot after it. */
function outcome(rig: Rig, prog: Parameters<typeof runPacket>[1], packet: Uint8Array, cpu: number): { r0: bigint; record: number[] } {
  const r0 = runPacket(rig, prog, packet, cpu).r0;
  const at = rig.layout.cpu(cpu).scratch;
  return { r0, record: [...new Uint8Array(rig.memory.buffer, at, RECORD_SIZE + 8)] };
}

describe("JIT redirect and redirect_map in the maps runtime", () => {
  const runs: Array<[string, NetType, "redirect" | "redirect_map", string]> = [
    ["XDP redirect", "xdp", "redirect", "xdp_redirect"],
    ["tc redirect", "sched_cls", "redirect", "tc_redirect"],
    ["XDP redirect_map", "xdp", "redirect_map", "xdp_redirect_map"],
  ];
  for (const [name, type, call, twin] of runs) {
    it(`${name}: 1,000 random calls on two CPUs give the interpreter's r0 and run record`, async () => {
      const interpRig = makeRig(type, { maps: true });
      const jitRig = makeRig(type, { maps: true });
      const maps = withMaps(interpRig);
      expect(withMaps(jitRig)).toEqual(maps);
      const interp = await load(interpRig, program(type, call, maps), "interpreter");
      const jit = (await load(jitRig, program(type, call, maps), "jit")) as JitProgram;
      expect(jit.compiled.plan.mapExports).toContain(twin);
      const verdicts = new Set<bigint>();
      cases(type.length * 100 + call.length, 1000, maps.length).forEach((packet, k) => {
        const cpu = k % 2;
        const want = outcome(interpRig, interp, packet, cpu);
        expect(outcome(jitRig, jit, packet, cpu), `case ${k}`).toEqual(want);
        verdicts.add(want.r0);
      });
      // Redirected, refused and (redirect_map) every fallback action were reached.
      expect(verdicts.size).toBeGreaterThanOrEqual(call === "redirect" ? 2 : 5);
    });
  }
});
