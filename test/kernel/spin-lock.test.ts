// bpf_spin_lock end to end against Linux: fixtures/spin_lock.c (clang-19) takes the lock of an
// ARRAY and a HASH value and updates the value's fields under it, for every frame; our loader
// finds the lock in the BTF, the interpreter and the JIT agree with each other and with the
// kernel on every frame and on both maps afterwards. Then user space: BPF_F_LOCK lookups and
// updates and their errnos, and which maps may hold a lock at all, each compared with the
// kernel's answer (BPF_MAP_CREATE with BTF describing the value, vm/node/kernel/map-btf.ts).

import { afterAll, describe, expect, it } from "vitest";
import { checkSpec } from "../../vm/maps/spec.js";
import * as abi from "../../vm/maps/abi.js";
import { MapError } from "../../vm/maps/errors.js";
import type { MapSpec } from "../../vm/maps/types.js";
import { KernelError, kernelBridge, kernelMapSpec, ProgType, type KernelMap } from "../../vm/node/kernel/engine.js";
import { findProgram } from "../../vm/elf/load/index.js";
import { programFuncInfo } from "../../vm/elf/load/kernel-btf.js";
import { verifierMaps, verifyObjectProgram } from "../../vm/elf/load/verify.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { makeMaps } from "../maps/fixture.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

describe("spin_lock.o (bpf_spin_lock from C)", () => {
  const obj = fixtureObject("spin_lock");

  it("finds each value's struct bpf_spin_lock in the BTF (offset 16)", () => {
    expect(obj.maps.filter((m) => m.origin === "btf").map((m) => [m.name, m.spec.spinLock])).toEqual([["counters", 16], ["flows", 16]]);
    expect(verifierMaps(obj).filter((m) => m.spinLock !== undefined).length).toBe(2);
  });

  it("the interpreter and the JIT give the same frames and maps", async () => {
    const data = frames("mix:300:seed=7");
    const interp = await runOurs(obj, "interpreter", data);
    const jit = await runOurs(obj, "jit", data);
    expect(jit).toEqual(interp);
    // Every frame was counted once in counters and the lock words read as 0.
    const packets = interp.maps["counters"]!.map((e) => Number(Buffer.from(e.split("=")[1]!, "hex").readBigUInt64LE(0)));
    expect(packets.reduce((a, b) => a + b, 0)).toBe(data.length);
    for (const e of [...interp.maps["counters"]!, ...interp.maps["flows"]!]) expect(e.split("=")[1]!.slice(32, 40)).toBe("00000000");
  });

  it.skipIf(!status.ok)("the kernel agrees: every frame and both maps, on both engines", async () => {
    const data = frames("mix:300:seed=7");
    const kernel = runKernel(obj, data);
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, data);
      expect(ours.results, engine).toEqual(kernel.results);
      expect(ours.maps, engine).toEqual(kernel.maps);
    }
  });
});

describe("spin_lock_global_data.o (a lock in global data, .data.counters)", () => {
  const obj = fixtureObject("spin_lock_global_data");

  it("finds the lock among the section's variables (offset 8), and agrees with the kernel on both engines", async () => {
    expect(obj.maps.map((m) => [m.name, m.spec.spinLock])).toEqual([[".data.counters", 8]]);
    const data = frames("mix:200:seed=5");
    const interp = await runOurs(obj, "interpreter", data);
    expect(await runOurs(obj, "jit", data)).toEqual(interp);
    expect(Number(Buffer.from(interp.maps[".data.counters"]![0]!.split("=")[1]!, "hex").readBigUInt64LE(0))).toBe(data.length);
    if (!status.ok) return;
    const kernel = runKernel(obj, data);
    expect(interp).toEqual(kernel);
  });
});

describe("spin_lock_global.o (a global function called with the lock held)", () => {
  const obj = fixtureObject("spin_lock_global");
  const prog = findProgram(obj, "glob");
  const WHY = "global function calls are not allowed while holding a lock";

  it("our verifier refuses it at the call", () => {
    const v = verifyObjectProgram(obj, prog, { helpers: nodeHelperTables() });
    expect(v.status).toBe("rejected");
    expect(v.message).toContain(WHY);
  });

  it.skipIf(!status.ok)("so does the kernel", () => {
    const maps = verifierMaps(obj).map(kernelMapSpec);
    expect(maps.map((m) => [m.name, m.type, m.spinLock])).toEqual([["m", 2, 8]]); // ARRAY, lock after the u64
    const info = programFuncInfo(obj, prog);
    let log = "";
    try {
      kernelBridge().load(prog.insns, { type: ProgType.XDP, name: "glob", maps, ...(info ? { funcInfo: info } : {}) }).close();
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      log = e.log ?? e.message;
    }
    expect(log).toContain(WHY);
  });
});

/** One user-space operation's outcome: the value read, "ok", or the errno name. */
type Outcome = string;
const hex = (b: Uint8Array | undefined): string => (b === undefined ? "absent" : Buffer.from(b).toString("hex"));
const key = (k: number): Uint8Array => new Uint8Array(new Uint32Array([k]).buffer);
/** A 16-byte value: u64 v at 0, the lock at 8 (written as 0xffffffff: never copied in), u32 v at 12. */
function value(v: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(v), true);
  dv.setUint32(8, 0xffffffff, true);
  dv.setUint32(12, v, true);
  return b;
}

interface Side {
  lookup(map: string, k: number, flags: number): Outcome;
  update(map: string, k: number, v: number, flags: number): Outcome;
}

const SPECS: MapSpec[] = [
  { name: "arr", type: "array", keySize: 4, valueSize: 16, maxEntries: 4, spinLock: 8 },
  { name: "hash", type: "hash", keySize: 4, valueSize: 16, maxEntries: 4, spinLock: 8 },
  { name: "plain", type: "hash", keySize: 4, valueSize: 16, maxEntries: 4 },
];

function ours(): Side {
  const { maps } = makeMaps();
  for (const s of SPECS) maps.create(s);
  const run = (f: () => Outcome): Outcome => {
    try {
      return f();
    } catch (e) {
      if (e instanceof MapError) return `E${-e.errno}`;
      throw e;
    }
  };
  return {
    lookup: (m, k, flags) => run(() => hex(maps.keyed(m).lookup(key(k), flags))),
    update: (m, k, v, flags) => run(() => (maps.keyed(m).update(key(k), value(v), flags), "ok")),
  };
}

function kernel(): Side & { close(): void } {
  const bridge = kernelBridge();
  const kmaps = new Map<string, KernelMap>(SPECS.map((s) => [s.name, bridge.createMap({ type: s.type === "array" ? 2 : 1, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, ...(s.spinLock !== undefined ? { spinLock: s.spinLock } : {}) })]));
  const run = (f: () => Outcome): Outcome => {
    try {
      return f();
    } catch (e) {
      if (e instanceof KernelError) return `E${e.errno}`;
      throw e;
    }
  };
  return {
    lookup: (m, k, flags) => run(() => hex(kmaps.get(m)!.lookup(key(k), BigInt(flags)))),
    update: (m, k, v, flags) => run(() => (kmaps.get(m)!.update(key(k), value(v), BigInt(flags)), "ok")),
    close: () => kmaps.forEach((m) => m.close()),
  };
}

const LOCK = abi.BPF_F_LOCK;
/** A script of user-space operations: [op, map, key, value?, flags]. */
const SCRIPT: ReadonlyArray<readonly [string, string, number, number, number]> = [
  ["update", "arr", 1, 7, 0], ["lookup", "arr", 1, 0, 0], ["lookup", "arr", 1, 0, LOCK],
  ["update", "arr", 1, 9, LOCK], ["lookup", "arr", 1, 0, LOCK], ["update", "arr", 1, 9, LOCK | abi.BPF_NOEXIST],
  ["update", "arr", 1, 9, LOCK | abi.BPF_EXIST], ["update", "arr", 4, 9, LOCK], ["update", "arr", 1, 9, LOCK | 3],
  ["lookup", "arr", 1, 0, 8], ["lookup", "arr", 9, 0, LOCK],
  ["update", "hash", 5, 1, LOCK | abi.BPF_EXIST], ["update", "hash", 5, 1, LOCK], ["lookup", "hash", 5, 0, LOCK],
  ["update", "hash", 5, 2, LOCK | abi.BPF_NOEXIST], ["update", "hash", 5, 3, LOCK | abi.BPF_EXIST], ["lookup", "hash", 5, 0, 0],
  ["update", "hash", 5, 4, 0], ["lookup", "hash", 5, 0, LOCK], ["lookup", "hash", 6, 0, LOCK],
  ["update", "plain", 1, 1, 0], ["update", "plain", 1, 1, LOCK], ["lookup", "plain", 1, 0, LOCK], ["lookup", "plain", 1, 0, 0],
];

describe.skipIf(!status.ok)("BPF_F_LOCK from user space, against the kernel", () => {
  it("every lookup and update gives the kernel's value or errno, the lock word never copied", () => {
    const k = kernel();
    const o = ours();
    try {
      const play = (side: Side) => SCRIPT.map(([op, m, key, v, flags]) => `${op} ${m}[${key}] flags=${flags}: ${op === "lookup" ? side.lookup(m, key, flags) : side.update(m, key, v, flags)}`);
      const theirs = play(k);
      expect(play(o)).toEqual(theirs);
      // The script did reach the errors it means to.
      for (const errno of ["E22", "E17", "E2", "E7"]) expect(theirs.some((l) => l.endsWith(errno)), errno).toBe(true);
    } finally {
      k.close();
    }
  });

  it("which maps may hold a lock: the kernel's errno for each", () => {
    const cases: MapSpec[] = [
      ...["hash", "array", "percpu_hash", "percpu_array", "lru_hash", "lru_percpu_hash", "queue"].map((type) => ({
        name: type, type, keySize: type === "queue" ? 0 : 4, valueSize: 8, maxEntries: 4, spinLock: 4,
      })),
      { name: "rdonly_prog", type: "array", keySize: 4, valueSize: 8, maxEntries: 4, spinLock: 0, flags: abi.BPF_F_RDONLY_PROG },
      { name: "wronly_prog", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4, spinLock: 0, flags: abi.BPF_F_WRONLY_PROG },
      { name: "misaligned", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4, spinLock: 2 },
      { name: "mmapable", type: "array", keySize: 4, valueSize: 8, maxEntries: 4, spinLock: 0, flags: abi.BPF_F_MMAPABLE },
    ];
    const errno = (f: () => void): string => {
      try {
        f();
        return "ok";
      } catch (e) {
        if (e instanceof KernelError) return `E${e.errno}`;
        const m = /-(E[A-Z0-9]+)\)/.exec((e as Error).message);
        if (m) return m[1]!;
        throw e;
      }
    };
    const NAMES: Record<string, string> = { E22: "EINVAL", E95: "EOPNOTSUPP", E13: "EACCES", E14: "EFAULT" };
    const bridge = kernelBridge();
    const types: Record<string, number> = { hash: 1, array: 2, percpu_hash: 5, percpu_array: 6, lru_hash: 9, lru_percpu_hash: 10, queue: 22 };
    for (const spec of cases) {
      const theirs = errno(() => bridge.createMap({ type: types[spec.type as string]!, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, flags: spec.flags ?? 0, spinLock: spec.spinLock! }).close());
      const mine = errno(() => checkSpec(spec));
      expect(mine, spec.name).toBe(NAMES[theirs] ?? theirs);
    }
  });
});
