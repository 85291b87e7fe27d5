// redirect_map into a real DEVMAP / DEVMAP_HASH and perf_event_output into a real
// PERF_EVENT_ARRAY, on both engines, compared with BPF_PROG_TEST_RUN (the kernel's maps filled the
// same way; the kernel has no perf event open, so its answers are those of unopened slots).

import { describe, expect, it } from "vitest";
import type { BpfMap } from "../../vm/maps/map.js";
import type { PerfEventArray } from "../../vm/maps/perf-event-array.js";
import { ENGINES, kernel, kernelRunMany, load, low32, makeRig, redirectOf, runPacket } from "./harness.js";
import { PERF } from "./programs.js";

const XDP_REDIRECT = 4n;
const packet = new Uint8Array(64);
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const DEVMAP = 14;
const DEVMAP_HASH = 25;
const PERF_EVENT_ARRAY = 4;

const redirectSrc = (map: string, key: number, flags: number) => `${map}\nmov %r2, ${key}\nmov %r3, ${flags}\ncall 51\nexit`;

/** Slots 1 and 2 (keys 1 and 1000 for the hash) hold ifindex 1 (lo). */
function devmapRig(type: "devmap" | "devmap_hash") {
  const rig = makeRig("xdp", { maps: true });
  const map = rig.maps!.create({ name: "tx", type, keySize: 4, valueSize: 4, maxEntries: 4 }) as BpfMap;
  for (const key of KEYS[type]) map.update(u32(key), u32(1));
  return { rig, map };
}
const KEYS = { devmap: [1, 2], devmap_hash: [1, 1000] } as const;

describe("redirect_map into a DEVMAP / DEVMAP_HASH", () => {
  for (const type of ["devmap", "devmap_hash"] as const) {
    for (const engine of ENGINES) {
      it(`${type} on the ${engine}: a device → XDP_REDIRECT with the target recorded; empty → flags & 3`, async () => {
        const { rig, map } = devmapRig(type);
        const at = `lddw %r1, ${map.address}`;
        const key = KEYS[type][1];
        expect(runPacket(rig, await load(rig, redirectSrc(at, key, 0), engine), packet).r0).toBe(XDP_REDIRECT);
        expect(redirectOf(rig, 0)).toEqual({ kind: "map", map: "tx", key, flags: 0, ifindex: 1 });
        expect(runPacket(rig, await load(rig, redirectSrc(at, 3, 2), engine), packet).r0).toBe(2n); // XDP_PASS
        expect(redirectOf(rig, 0)).toBeUndefined();
        map.delete(u32(key));
        expect(runPacket(rig, await load(rig, redirectSrc(at, key, 1), engine), packet).r0).toBe(1n); // deleted: XDP_DROP
      });
    }

    it.skipIf(!kernel.ok)(`${type}: the kernel's verdicts for present, absent and past-the-end keys and every fallback flag`, async () => {
      const { rig, map } = devmapRig(type);
      const kernelType = type === "devmap" ? DEVMAP : DEVMAP_HASH;
      const progs = new Map<string, Awaited<ReturnType<typeof load>>>();
      for (const key of [0, 1, 2, 3, 4, 1000]) {
        for (const flags of [0, 1, 2, 3, 4, 8, 0x10, 0x18, 0x20]) {
          const [want] = kernelRunMany("xdp", redirectSrc("lddw %r1, map_fd 0", key, flags), [packet], [{ type: kernelType, keySize: 4, valueSize: 4, maxEntries: 4 }], ([k]) => {
            for (const slot of KEYS[type]) k!.update(u32(slot), u32(1));
          });
          for (const engine of ENGINES) {
            const id = `${engine} ${key} ${flags}`;
            if (!progs.has(id)) progs.set(id, await load(rig, redirectSrc(`lddw %r1, ${map.address}`, key, flags), engine));
            expect(low32(runPacket(rig, progs.get(id)!, packet).r0), `${engine}: key ${key} flags 0x${flags.toString(16)}`).toBe(want!.retval);
          }
        }
      }
    });
  }
});

describe("perf_event_output into a PERF_EVENT_ARRAY", () => {
  const CURRENT = 0xffffffffn;
  const flagsPacket = (flags: bigint): Uint8Array => {
    const p = Uint8Array.from({ length: 64 }, (_, i) => i);
    new DataView(p.buffer).setBigUint64(0, flags, true);
    return p;
  };
  function perfRig() {
    const rig = makeRig("xdp", { cpus: 2, maps: true });
    rig.maps!.create({ name: "events", type: "perf_event_array", keySize: 4, valueSize: 4, maxEntries: 2 });
    return { rig, events: rig.maps!.perfEventArray("events") as PerfEventArray };
  }

  for (const engine of ENGINES) {
    it(`on the ${engine}: unopened slots are -ENOENT; open slots take records on their CPU only`, async () => {
      const { rig, events } = perfRig();
      const prog = await load(rig, PERF(`lddw %r2, ${events.address}`), engine);
      const r0 = (flags: bigint, cpu = 0) => low32(runPacket(rig, prog, flagsPacket(flags), cpu).r0) | 0;
      expect(r0(CURRENT)).toBe(-2);
      expect(r0(0n)).toBe(-2);
      expect(r0(2n)).toBe(-7); // past max_entries: -E2BIG
      expect(r0(1n << 60n)).toBe(-22);
      expect(rig.perf.take()).toEqual([]);
      events.open(0);
      events.open(1, 1);
      expect(r0(CURRENT)).toBe(0);
      expect(r0(CURRENT, 1)).toBe(0);
      expect(r0(1n, 0)).toBe(-95); // slot 1's event is on CPU 1: -EOPNOTSUPP
      expect(r0(0n, 0)).toBe(0);
      const records = rig.perf.take();
      expect(records.map((r) => [r.cpu, r.index, r.map])).toEqual([[0, 0, events.address], [1, 1, events.address], [0, 0, events.address]]);
      expect([...records[0]!.data]).toEqual([0x41, 0x42, 0x43, 0x44, 0, 0, 0, 0]);
      events.close(0);
      expect(r0(CURRENT)).toBe(-2);
    });
  }

  it.skipIf(!kernel.ok)("return codes match the kernel's for unopened slots (nothing is opened there)", async () => {
    const { rig, events } = perfRig();
    const cases = [CURRENT, 0n, 1n, 2n, 5n, 0xfffffffen, 1n << 60n, 1n << 32n, CURRENT | (65n << 32n), CURRENT | (8n << 32n)];
    for (const engine of ENGINES) {
      const prog = await load(rig, PERF(`lddw %r2, ${events.address}`), engine);
      for (const flags of cases) {
        const [want] = kernelRunMany("xdp", PERF("lddw %r2, map_fd 0"), [flagsPacket(flags)], [{ type: PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }]);
        expect(want!.errno).toBe(0);
        expect(low32(runPacket(rig, prog, flagsPacket(flags)).r0) | 0, `${engine}: flags 0x${flags.toString(16)}`).toBe(want!.retval | 0);
      }
    }
  });
});
