// `--engine kernel` on frames cut at capture: the kernel's test run cannot be given a wire length
// beyond the bytes it gets (skb->len = their count), while our engines give the wire length, so
// the report says so instead of leaving a silent difference in verdicts that read skb->len.

import { describe, expect, it } from "vitest";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { findProgram } from "../../vm/elf/load/index.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames } from "./objects.js";

const status = kernelAvailability();

describe.skipIf(!status.ok)("kernel engine: frames cut at capture", () => {
  const obj = fixtureObject("tc_tail_subprog");
  const data = frames("mix:4:seed=5").slice(0, 2);
  const run = (origLen: (d: Uint8Array) => number) =>
    runInKernel(obj, findProgram(obj), data.map((d) => ({ data: d, ts: 0n, origLen: origLen(d), linkType: 1, iface: 0 })), [], { verify: true, results: true });

  it("notes how many frames the kernel saw shorter than on the wire (skb programs)", () => {
    const report = run((d) => d.length + 100);
    const note = (report.notes ?? []).find((n) => n.includes("cut at capture"));
    expect(note).toMatch(/^2 frame\(s\) were cut at capture/);
    expect(note).toContain("skb->len");
  });

  it("says nothing when every frame was captured whole", () => {
    const report = run((d) => d.length);
    expect((report.notes ?? []).some((n) => n.includes("cut at capture"))).toBe(false);
  });
});
