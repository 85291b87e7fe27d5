// redirect and redirect_map: verdicts per program type and flag against BPF_PROG_TEST_RUN (with a
// real DEVMAP in the kernel, an emulating ARRAY here), and the record the runner reads.

import { describe, expect, it } from "vitest";
import { clearRecord } from "../../vm/runtime/record.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { kernel, kernelRunMany, load, low32, makeRig, redirectOf, runPacket } from "./harness.js";

const XDP_REDIRECT = 4n;
const TC_ACT_REDIRECT = 7n;
const packet = new Uint8Array(64);

describe("redirect", () => {
  const src = (ifindex: number, flags: number) => `mov %r1, ${ifindex}\nmov %r2, ${flags}\ncall 23\nexit`;

  it("XDP: any flag aborts; otherwise XDP_REDIRECT to the ifindex", async () => {
    const rig = makeRig("xdp");
    const run = runPacket(rig, await load(rig, src(3, 0)), packet);
    expect(run.r0).toBe(XDP_REDIRECT);
    expect(redirectOf(rig, 0)).toEqual({ kind: "ifindex", ifindex: 3, flags: 0 });
    for (const flags of [1, 2, 0x10]) {
      expect(runPacket(rig, await load(rig, src(3, flags)), packet).r0).toBe(0n);
      expect(redirectOf(rig, 0)).toBeUndefined();
    }
  });

  it("tc: BPF_F_INGRESS is kept, other flags drop the packet (TC_ACT_SHOT)", async () => {
    const rig = makeRig("sched_cls");
    expect(runPacket(rig, await load(rig, src(5, 1)), packet).r0).toBe(TC_ACT_REDIRECT);
    expect(redirectOf(rig, 0)).toEqual({ kind: "ifindex", ifindex: 5, flags: 1 });
    expect(runPacket(rig, await load(rig, src(5, 2)), packet).r0).toBe(2n);
  });

  it("records per CPU and is forgotten by clearRedirect", async () => {
    const rig = makeRig("xdp", { cpus: 2 });
    const prog = await load(rig, src(9, 0));
    runPacket(rig, prog, packet, 1);
    expect(redirectOf(rig, 1)).toEqual({ kind: "ifindex", ifindex: 9, flags: 0 });
    expect(redirectOf(rig, 0)).toBeUndefined();
    clearRecord(new Uint8Array(rig.memory.buffer), rig.layout.cpu(1));
    expect(redirectOf(rig, 1)).toBeUndefined();
  });

  it.skipIf(!kernel.ok)("gives the kernel's verdicts for every flag", async () => {
    for (const type of ["xdp", "sched_cls"] as const) {
      const rig = makeRig(type);
      for (const flags of [0, 1, 2, 3, 8, 0x10, 0x7fffffff]) {
        const [want] = kernelRunMany(type, src(1, flags), [packet]);
        expect(low32(runPacket(rig, await load(rig, src(1, flags)), packet).r0), `${type} flags ${flags}`).toBe(want!.retval);
      }
    }
  });
});

describe("redirect_map", () => {
  const DEVMAP = 14;
  const ours = (address: number, key: number, flags: number) => `lddw %r1, ${address}\nmov %r2, ${key}\nmov %r3, ${flags}\ncall 51\nexit`;
  const theirs = (key: number, flags: number) => `lddw %r1, map_fd 0\nmov %r2, ${key}\nmov %r3, ${flags}\ncall 51\nexit`;

  function devmapRig() {
    const rig = makeRig("xdp", { maps: true });
    const map = rig.maps!.create({ name: "tx_ports", type: "array", keySize: 4, valueSize: 4, maxEntries: 4 }) as BpfMap;
    map.update(new Uint8Array([1, 0, 0, 0]), new Uint8Array([1, 0, 0, 0])); // slot 1 → ifindex 1 (lo)
    map.update(new Uint8Array([2, 0, 0, 0]), new Uint8Array([7, 0, 0, 0])); // slot 2 → ifindex 7
    return { rig, map };
  }

  it("redirects to the device in the slot, falls back to `flags & 3` on an empty slot", async () => {
    const { rig, map } = devmapRig();
    expect(runPacket(rig, await load(rig, ours(map.address, 2, 0)), packet).r0).toBe(XDP_REDIRECT);
    expect(redirectOf(rig, 0)).toEqual({ kind: "map", map: "tx_ports", key: 2, flags: 0 });
    expect(runPacket(rig, await load(rig, ours(map.address, 0, 2)), packet).r0).toBe(2n); // empty slot → XDP_PASS
    expect(redirectOf(rig, 0)).toBeUndefined();
    expect(runPacket(rig, await load(rig, ours(map.address, 9, 1)), packet).r0).toBe(1n); // past max_entries → XDP_DROP
    expect(runPacket(rig, await load(rig, ours(map.address, 9, 0x20)), packet).r0).toBe(0n); // unknown flag → XDP_ABORTED
    // BPF_F_BROADCAST goes to the whole map whatever the key.
    expect(runPacket(rig, await load(rig, ours(map.address, 0, 8 | 0x10)), packet).r0).toBe(XDP_REDIRECT);
    expect(redirectOf(rig, 0)).toEqual({ kind: "map", map: "tx_ports", key: 0, flags: 0x18 });
  });

  it("faults clearly without a maps runtime", async () => {
    const rig = makeRig("xdp");
    const prog = await load(rig, ours(0x2000, 1, 0));
    expect(() => runPacket(rig, prog, packet)).toThrow(/redirect_map: this machine has no maps runtime/);
  });

  it.skipIf(!kernel.ok)("gives the kernel's verdicts (DEVMAP there, an ARRAY of ifindexes here)", async () => {
    const { rig, map } = devmapRig();
    const cases: Array<[number, number]> = [];
    for (const key of [0, 1, 2, 3, 4, 100]) for (const flags of [0, 1, 2, 3, 4, 8, 9, 0x10, 0x12, 0x18, 0x20, 0x40]) cases.push([key, flags]);
    for (const [key, flags] of cases) {
      let want: number;
      try {
        const runs = kernelRunMany("xdp", theirs(key, flags), [packet], [{ type: DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 }], ([devmap]) => {
          devmap!.update(new Uint8Array([1, 0, 0, 0]), new Uint8Array([1, 0, 0, 0]));
          devmap!.update(new Uint8Array([2, 0, 0, 0]), new Uint8Array([1, 0, 0, 0]));
        });
        want = runs[0]!.retval;
      } catch (err) {
        console.log(`skipped: the kernel would not build a DEVMAP here (${(err as Error).message})`);
        return;
      }
      expect(low32(runPacket(rig, await load(rig, ours(map.address, key, flags)), packet).r0), `key ${key} flags 0x${flags.toString(16)}`).toBe(want);
    }
  });
});
