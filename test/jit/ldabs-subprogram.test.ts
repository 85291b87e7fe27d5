// LD_ABS / LD_IND outside the packet inside a bpf-to-bpf subprogram: the kernel's rewrite
// (net/core/filter.c bpf_gen_ld_abs) returns 0 from the *current function*, so the caller goes
// on with r0 = 0. Both engines do that; before, the interpreter ended the whole program.

import { describe, expect, it } from "vitest";
import { ENGINE_NAMES, frame, machine, planOf, runner } from "./runtime.js";

const PROGRAM = (load: string): string => `
  mov %r6, %r1
  mov %r7, 5
  call local sub
  add %r0, 100
  add %r0, %r7
  exit
  sub:
  mov %r7, 9
  ${load}
  add %r0, 1000
  exit`;

describe.each(ENGINE_NAMES)("LD_ABS / LD_IND in a subprogram on the %s", (name) => {
  it("in range: the subprogram goes on with the loaded bytes", async () => {
    const r = await runner(name, machine("socket_filter"), PROGRAM("ldabsb 13"));
    // frame(): EtherType 0x0800, so byte 13 is 0x00; r7 = 5 is the caller's again after the call.
    expect(r.run(frame()).retval).toBe(0n + 1000n + 100n + 5n);
    const h = await runner(name, machine("socket_filter"), PROGRAM("ldabsh 12"));
    expect(h.run(frame()).retval).toBe(0x800n + 1000n + 105n);
  });

  it("out of the packet: the subprogram returns 0 and its caller continues", async () => {
    const m = machine("socket_filter");
    expect((await runner(name, m, PROGRAM("ldabsw 58"))).run(frame()).retval).toBe(105n);
    expect((await runner(name, m, PROGRAM("mov %r1, -1\nldindb %r1, 0"))).run(frame()).retval).toBe(105n);
    expect((await runner(name, m, PROGRAM("mov %r1, 70\nldindh %r1, 0"))).run(frame()).retval).toBe(105n);
  });

  it("out of the packet in the main program: the run ends with r0 = 0", async () => {
    const r = await runner(name, machine("socket_filter"), "mov %r6, %r1\nmov %r0, 7\nldabsw 100\nmov %r0, 9\nexit");
    expect(r.run(frame()).retval).toBe(0n);
    if (name === "jit") expect(planOf(r.program).helpers).toEqual([]);
  });
});
