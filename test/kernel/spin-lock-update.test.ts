// fixtures/spin_lock_update.c: a program's bpf_map_update_elem on ARRAY and HASH values holding a
// struct bpf_spin_lock, with and without BPF_F_LOCK. The maps runtime copies such values around
// the lock word (vm/maps/as/value.ts), in place under the lock with BPF_F_LOCK, as the kernel's
// copy_map_value(_locked) do: every return value (counted in `rets`) and the maps afterwards
// agree with the kernel on both engines, and no lock word is left taken.

import { afterAll, describe, expect, it } from "vitest";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** rets[k] as a number, from the listing's "key=value" lines. */
const ret = (lines: readonly string[], k: number): number => Number(Buffer.from(lines[k]!.split("=")[1]!, "hex").readBigUInt64LE(0));

describe("bpf_map_update_elem on values with a bpf_spin_lock (spin_lock_update.o)", () => {
  const obj = fixtureObject("spin_lock_update");
  const data = frames("mix:400:seed=23");

  it("updates in place under the lock, never touching the lock word; both engines agree", async () => {
    const interp = await runOurs(obj, "interpreter", data);
    expect(await runOurs(obj, "jit", data)).toEqual(interp);
    const rets = interp.maps["rets"]!;
    // Successes, -EEXIST (BPF_NOEXIST on an existing value) and -ENOENT (BPF_EXIST on a missing key) all occur; nothing else.
    expect([0, 1, 2].map((k) => ret(rets, k) > 0)).toEqual([true, true, true]);
    expect(ret(rets, 3)).toBe(0);
    // The lock word (bytes 16..19 of each value) is free everywhere afterwards.
    for (const e of [...interp.maps["counters"]!, ...interp.maps["flows"]!]) expect(e.split("=")[1]!.slice(32, 40)).toBe("00000000");
  });

  it.skipIf(!status.ok)("the kernel agrees: every frame, the return values and the maps", async () => {
    const kernel = runKernel(obj, data);
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, data);
      expect(ours.results, engine).toEqual(kernel.results);
      expect(ours.maps, engine).toEqual(kernel.maps);
    }
  });
});
