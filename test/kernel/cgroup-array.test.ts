// CGROUP_ARRAY (vm/maps/cgroup-array.ts) and its helpers, bpf_skb_under_cgroup and
// bpf_current_task_under_cgroup (vm/helpers/cgroup-array.ts; fixtures/cgroup_array.c).
//
// User space: a slot takes a cgroup id here where the kernel takes a cgroup directory's fd; the
// errors of updates, deletes and lookups are the kernel's (checked against 6.18 with real fds).
//
// Programs: the kernel's runner is moved into a cgroup two levels below this process's
// (<own>/ebpf-wasm-<pid>/inner, made for the test and removed after), so that the answers differ
// by slot: the root and every ancestor hold the runner's cgroup (1), a sibling does not (0), an
// empty slot is -EAGAIN, one past the end -E2BIG. Our machine gets the same cgroup as its model
// and the same cgroups' ids in its slots; the interpreter, the JIT and the kernel must fill the
// answers map alike.

import { mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findProgram } from "../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import { E2BIG, EAGAIN, EBADF, EINVAL, ENOENT, ENOTSUPP } from "../../vm/maps/abi.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { MapError } from "../../vm/maps/errors.js";
import { cgroupId, hostCgroupDirectories } from "../../vm/node/host-cgroup.js";
import { KernelBridge, ProgType, runnerPath, type KernelMap } from "../../vm/node/kernel/bridge.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { kernelAvailability, kernelErrno } from "./available.js";
import { fixtureObject, frames, skbTestRunnable } from "./objects.js";

const OBJ = fixtureObject("cgroup_array");
const DATA = skbTestRunnable(frames("mix:40:seed=43"));
const SLOTS = 6;
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const s64 = (n: bigint): string => Buffer.from(new BigInt64Array([n]).buffer).toString("hex");

const status = kernelAvailability();

/** This process's cgroup v2 directories (root first), or why there are none. */
function ownCgroups(): { dirs: string[] } | { skip: string } {
  try {
    return { dirs: hostCgroupDirectories() };
  } catch (err) {
    return { skip: (err as Error).message };
  }
}

/** Two cgroups under this process's, one holding the runner: made here, removed in afterAll. */
function makeTree(own: string): { base: string; inner: string; other: string } | { skip: string } {
  const base = join(own, `ebpf-wasm-${process.pid}`);
  try {
    mkdirSync(base);
    mkdirSync(join(base, "inner"));
    mkdirSync(join(base, "other"));
    return { base, inner: join(base, "inner"), other: join(base, "other") };
  } catch (err) {
    return { skip: `cannot make test cgroups under ${own}: ${(err as Error).message}` };
  }
}

const cgroups = ownCgroups();
const tree = status.ok && "dirs" in cgroups ? makeTree(cgroups.dirs.at(-1)!) : undefined;
const skip = !status.ok ? `no kernel bpf() (${status.reason})` : "skip" in cgroups ? cgroups.skip : tree && "skip" in tree ? tree.skip : undefined;
if (skip) console.log(`cgroup-array.test.ts: kernel comparison skipped: ${skip}`);
const made = tree && !("skip" in tree) ? tree : undefined;
/** The runner, started in `inner` (the shell moves itself there, then becomes the runner). */
const runner = made ? new KernelBridge(runnerPath(), ["sh", "-c", `echo $$ > '${made.inner}/cgroup.procs' && exec "$0" "$@"`]) : undefined;
const started = runner?.available();
if (started && !started.ok) console.log(`cgroup-array.test.ts: nested-cgroup comparison skipped: the runner did not start in ${made!.inner}: ${started.reason}`);

afterAll(async () => {
  runner?.close();
  if (status.ok) kernelBridge().close();
  if (!made) return;
  // The runner leaves `inner` when it exits, which may take a moment after close().
  for (let tries = 0; ; tries++) {
    try {
      for (const dir of [made.inner, made.other, made.base]) rmdirSync(dir);
      return;
    } catch (err) {
      if (tries > 50) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
});

describe("CGROUP_ARRAY from user space", () => {
  /** Our answers and the kernel's to the same operations, in order (0 or -errno). */
  const OPS = ["update 0", "update 1 NOEXIST", "update past the end", "update no cgroup", "delete 1 (empty)", "delete past the end", "delete 0"];
  const WANT = [0, -EINVAL, -E2BIG, -EBADF, -ENOENT, -E2BIG, 0];

  it("takes cgroup ids; lookups are ENOTSUPP, bad flags EINVAL, past the end E2BIG, no cgroup EBADF, deleting an empty slot ENOENT", () => {
    const m = instantiateObjectNode(OBJ, "tc_under").machine.maps.cgroupArray("cgroups");
    const answers = [m.tryUpdate(0, u32(1)), m.tryUpdate(1, u32(1), 1), m.tryUpdate(SLOTS, u32(1)), m.tryUpdate(1, u32(0))];
    expect(m.cgroupOf(0)).toBe(1);
    expect(() => m.lookup(0)).toThrow(new MapError("cgroups", "lookup", -ENOTSUPP));
    answers.push(m.tryDelete(1), m.tryDelete(SLOTS), m.tryDelete(0));
    expect(Object.fromEntries(OPS.map((op, i) => [op, answers[i]]))).toEqual(Object.fromEntries(OPS.map((op, i) => [op, WANT[i]])));
    expect(m.cgroupOf(0)).toBeUndefined();
    expect([...m.keys()].length).toBe(SLOTS);
  });

  it.skipIf(!status.ok || "skip" in cgroups)("the kernel answers the same with a cgroup's fd", () => {
    const bridge = kernelBridge();
    const k: KernelMap = bridge.createMap({ type: 8, keySize: 4, valueSize: 4, maxEntries: SLOTS, name: "cgroups" });
    const fd = bridge.openCgroup((cgroups as { dirs: string[] }).dirs[0]!);
    try {
      const answers = [
        kernelErrno(() => k.update(u32(0), u32(fd))),
        kernelErrno(() => k.update(u32(1), u32(fd), 1n)),
        kernelErrno(() => k.update(u32(SLOTS), u32(fd))),
        kernelErrno(() => k.update(u32(1), u32(0))), // fd 0 of the runner: its stdin, no cgroup
      ];
      expect(kernelErrno(() => k.lookup(u32(0)))).toBe(-ENOTSUPP);
      answers.push(k.delete(u32(1)) ? 0 : -ENOENT, kernelErrno(() => k.delete(u32(SLOTS))), k.delete(u32(0)) ? 0 : -ENOENT);
      expect(Object.fromEntries(OPS.map((op, i) => [op, answers[i]]))).toEqual(Object.fromEntries(OPS.map((op, i) => [op, WANT[i]])));
    } finally {
      bridge.closeFd(fd);
      k.close();
    }
  });
});

describe("skb_under_cgroup and current_task_under_cgroup (cgroup_array.o)", () => {
  const PROGRAMS = [
    { name: "tc_under", type: ProgType.SCHED_CLS },
    { name: "xdp_under", type: ProgType.XDP },
  ] as const;

  /** The slots' cgroups: the root, this process's, the test's base, the runner's, a sibling; slot 5 empty. */
  const slotDirs = (t: { base: string; inner: string; other: string }): string[] =>
    [(cgroups as { dirs: string[] }).dirs[0]!, (cgroups as { dirs: string[] }).dirs.at(-1)!, t.base, t.inner, t.other];

  /** `answers` after a run, as s64 hex by slot. */
  async function runOurs(program: string, engine: "interpreter" | "jit", t: { base: string; inner: string; other: string }): Promise<{ retvals: number[]; answers: string[] }> {
    const path = [...(cgroups as { dirs: string[] }).dirs, t.base, t.inner].map(cgroupId);
    const loaded = instantiateObjectNode(OBJ, program, { cgroup: { path } });
    slotDirs(t).forEach((dir, i) => loaded.machine.maps.cgroupArray("cgroups").update(i, cgroupId(dir)));
    const run = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine));
    try {
      const retvals = run.runBatch(DATA, { results: true }).results!.map((r) => Number(r.retval));
      const answers = loaded.machine.maps.keyed("answers") as BpfMap<Uint8Array>;
      return { retvals, answers: Array.from({ length: 16 }, (_, i) => Buffer.from(answers.lookup(u32(i))!).toString("hex")) };
    } finally {
      run.dispose();
    }
  }

  function runKernel(program: (typeof PROGRAMS)[number], t: { base: string; inner: string; other: string }): { retvals: number[]; answers: string[] } {
    const bridge = runner!;
    const slots = bridge.createMap({ type: 8, keySize: 4, valueSize: 4, maxEntries: SLOTS, name: "cgroups" });
    const answers = bridge.createMap({ type: 2, keySize: 4, valueSize: 8, maxEntries: 16, name: "answers" });
    const prog = bridge.load(findProgram(OBJ, program.name).insns, { type: program.type, name: program.name, sharedMaps: [slots, answers] });
    try {
      slotDirs(t).forEach((dir, i) => {
        const fd = bridge.openCgroup(dir);
        slots.update(u32(i), u32(fd));
        bridge.closeFd(fd);
      });
      const retvals = prog.testRunMany(DATA).map((r) => {
        expect(r.errno).toBe(0);
        return r.retval;
      });
      return { retvals, answers: Array.from({ length: 16 }, (_, i) => Buffer.from(answers.lookup(u32(i))!).toString("hex")) };
    } finally {
      prog.close();
      slots.close();
      answers.close();
    }
  }

  it.skipIf(!started?.ok)("the kernel's runner in a nested cgroup: the interpreter, the JIT and the kernel answer alike", async () => {
    const t = made!;
    const under = [1n, 1n, 1n, 1n, 0n, -BigInt(EAGAIN), -BigInt(E2BIG)].map(s64);
    for (const program of PROGRAMS) {
      const kernel = runKernel(program, t);
      // What the model says, slot by slot (skb_under_cgroup only in the tc program).
      expect(kernel.answers.slice(8, 15)).toEqual(under);
      if (program.name === "tc_under") expect(kernel.answers.slice(0, 7)).toEqual(under);
      expect(await runOurs(program.name, "interpreter", t)).toEqual(kernel);
      expect(await runOurs(program.name, "jit", t)).toEqual(kernel);
    }
  });
});
