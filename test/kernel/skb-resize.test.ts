// fixtures/skb_resize.c: a C program (clang-19) using the tc helpers that change an skb's length
// or headers as real programs do — encapsulation and decapsulation with bpf_skb_adjust_room,
// 4to6 with bpf_skb_change_proto, VLAN retagging, bpf_skb_change_head / change_tail,
// bpf_skb_change_type — with arguments taken from each frame. It loads, passes our verifier, runs
// the same on the interpreter and the JIT, and agrees with the kernel (BPF_PROG_TEST_RUN through
// `--engine kernel`): every frame's verdict, r0 and bytes (the fields seen after the calls are
// written into the frame) and the map counting each call's return values. Frames grow by up to
// 2 KiB (change_head(arg * 8), change_tail(60 + arg * 4)): past the packet's 256 bytes of
// headroom (the packet moves in its slot) and past the 256 bytes of data_out room the kernel
// engine used to give a tc run (a longer packet came back as ENOSPC).

import { afterAll, describe, expect, it } from "vitest";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/**
 * BPF_PROG_TEST_RUN refuses (-EINVAL) an IPv4 or IPv6 frame with fewer bytes than the fixed IP
 * header after the Ethernet header; such frames are left out of the comparison.
 */
const testRunnable = (f: Uint8Array): boolean => {
  const type = (f[12]! << 8) | f[13]!;
  return !((type === 0x0800 && f.length < 34) || (type === 0x86dd && f.length < 54));
};

const DATA = frames("mix:400:seed=9").filter(testRunnable);

/** The rets map as "op.call r0 = count" lines. */
const calls = (lines: readonly string[]): string[] =>
  lines.map((l) => {
    const [k, v] = l.split("=") as [string, string];
    const key = Buffer.from(k, "hex");
    const op = key.readUInt32LE(0) - 1;
    return `${op >> 3}.${op & 7} ${key.readInt32LE(4)} = ${Buffer.from(v, "hex").readBigUInt64LE(0)}`;
  });

describe("skb_resize.o (length- and header-changing tc helpers from C)", () => {
  const obj = fixtureObject("skb_resize");

  it("passes our verifier", () => {
    const loaded = instantiateObjectNode(obj, undefined);
    expect(loaded.verification.get("skb_resize")?.accepted).toBe(true);
  });

  it("the interpreter and the JIT agree, and the calls did succeed and fail in many ways", async () => {
    const interp = await runOurs(obj, "interpreter", DATA);
    const jit = await runOurs(obj, "jit", DATA);
    expect(jit).toEqual(interp);
    const seen = calls(interp.maps.rets!);
    // Every operation ran; calls succeeded, and failed with -EINVAL and -ENOTSUPP.
    expect(new Set(seen.map((s) => s.split(".")[0])).size).toBe(10);
    expect(new Set(seen.map((s) => s.split(" ")[1]))).toEqual(new Set(["0", "-22", "-524"]));
    expect(seen.filter((s) => s.split(" ")[1] === "0").length).toBeGreaterThan(15);
    // Frames changed length.
    expect(interp.results.filter((r, k) => r.packet.length !== 2 * DATA[k]!.length).length).toBeGreaterThan(100);
  });

  it.skipIf(!status.ok)("the kernel agrees: every frame and the return-value counts, on both engines", async () => {
    const kernel = runKernel(obj, DATA);
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, DATA);
      ours.results.forEach((r, k) => expect(r, `${engine}, frame ${k} (${DATA[k]!.length} bytes)`).toEqual(kernel.results[k]));
      expect(calls(ours.maps.rets!), engine).toEqual(calls(kernel.maps.rets!));
    }
  });
});
