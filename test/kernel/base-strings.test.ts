// fixtures/base_strings.c: bpf_snprintf (a .rodata format, libbpf's u64-array arguments),
// bpf_strtol / bpf_strtoul over what it printed, bpf_strncmp with a string literal from
// .rodata.str1.1 and bpf_get_numa_node_id, compiled by clang-19. The object loads with our ELF
// loader (.rodata and .rodata.str1.1 become frozen read-only maps, as libbpf makes them), passes
// our verifier, and every frame comes out the same on the interpreter, the JIT and the kernel
// (BPF_PROG_TEST_RUN through `--engine kernel`): the printed text and the helpers' results are
// written over the frame.

import { afterAll, describe, expect, it } from "vitest";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** The text printed into the frame at byte 14, up to its NUL. */
const textOf = (packetHex: string): string => {
  const bytes = Buffer.from(packetHex, "hex").subarray(14, 14 + 64);
  return bytes.subarray(0, bytes.indexOf(0)).toString("latin1");
};

describe("base_strings.o (snprintf, strtol, strtoul, strncmp, numa id from C)", () => {
  const obj = fixtureObject("base_strings");
  const data = frames("mix:200:seed=11");

  it("loads with .rodata and .rodata.str1.1 as read-only maps and passes our verifier", () => {
    expect(obj.maps.filter((m) => m.readonly).map((m) => m.name).sort()).toEqual([".rodata", ".rodata.str1.1"]);
    const loaded = instantiateObjectNode(obj, undefined);
    expect(loaded.verified).toBe(true);
  });

  it("the interpreter and the JIT print and parse the same", async () => {
    const interp = await runOurs(obj, "interpreter", data);
    expect(await runOurs(obj, "jit", data)).toEqual(interp);
    const texts = interp.results.filter((r) => r.verdict === "XDP_TX").map((r) => textOf(r.packet));
    expect(texts.length).toBeGreaterThan(30);
    for (const t of texts) expect(t).toMatch(/^type=\d+ proto=[0-9a-f]{2} mac=[0-9a-f]+ neg=-?\d+!$/);
    expect(texts.some((t) => t.startsWith("type=2048 "))).toBe(true);
  });

  it.skipIf(!status.ok)("the kernel agrees on every frame, on both engines", async () => {
    const kernel = runKernel(obj, data);
    expect(kernel.results.filter((r) => r.verdict === "XDP_TX").length).toBeGreaterThan(30);
    for (const engine of ["interpreter", "jit"] as const) {
      expect((await runOurs(obj, engine, data)).results, engine).toEqual(kernel.results);
    }
  });
});
