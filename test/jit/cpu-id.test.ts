// bpf_get_smp_processor_id inlined by the JIT (jit/lower/cpu-id.ts): the running CPU without a
// JS call, the value the interpreter's helper gives, on every CPU of the machine.

import { describe, expect, it } from "vitest";
import type { JitProgram } from "../../jit/engine.js";
import { load, makeRig } from "../helpers/harness.js";

const SOURCE = `
  call 8
  mov %r6, %r0
  call 8
  add %r0, %r6
  exit`;

describe("JIT get_smp_processor_id", () => {
  it("reads the running CPU inline, as the interpreter's helper returns it", async () => {
    const rig = makeRig("xdp", { cpus: 3 });
    const interp = await load(rig, SOURCE, "interpreter");
    const jit = (await load(rig, SOURCE, "jit")) as JitProgram;
    expect(jit.compiled.plan.helpers).not.toContain(8);
    for (const cpu of [2, 0, 1]) {
      expect(jit.run({ cpu }), `CPU ${cpu}`).toBe(BigInt(2 * cpu));
      expect(jit.run({ cpu })).toBe(interp.run({ cpu }));
    }
  });
});
