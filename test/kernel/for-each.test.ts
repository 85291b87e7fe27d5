// fixtures/for_each.c: a C program (clang-19, libbpf's bpf_helper_defs.h declaration of
// bpf_for_each_map_elem) walking an ARRAY and a HASH map. The object loads with our ELF loader,
// passes our verifier, runs on the interpreter and the JIT with the same results, and agrees with
// the kernel (BPF_PROG_TEST_RUN through `--engine kernel`): every frame's verdict and bytes (the
// walks' return values and sums are written into the frame) and both maps afterwards. The CLI's
// `verify` and `run` take the object too.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findProgram } from "../../vm/elf/load/index.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const ROOT = join(import.meta.dirname, "..", "..");
const OBJECT = join(import.meta.dirname, "fixtures", "for_each.o");
const cli = (args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "ebpf-wasm.js"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });

/** The frame's results (for_each.c): u64s at 0 (array walk r0), 8, 16, 24 (hash walk r0), 32, 40. */
function results(packetHex: string): bigint[] {
  const b = Uint8Array.from(packetHex.match(/../g)!.map((x) => parseInt(x, 16)));
  const v = new DataView(b.buffer);
  return [0, 8, 16, 24, 32, 40].map((o) => v.getBigUint64(o, true));
}

describe("for_each.o (bpf_for_each_map_elem from C)", () => {
  const obj = fixtureObject("for_each");

  it("loads with its two maps and a callback per walk, and passes our verifier", () => {
    // BPF_MAP_TYPE_ARRAY = 2, BPF_MAP_TYPE_HASH = 1.
    expect(obj.maps.map((m) => [m.name, m.spec.type])).toEqual(expect.arrayContaining([["counts", 2], ["flows", 1]]));
    const p = findProgram(obj);
    expect(p.insns.filter((ins) => ins.opcode === 0x85 && ins.src === 0 && ins.imm === 164).length).toBe(3);
    // instantiateObject verifies the program (it throws on a refusal).
    const loaded = instantiateObjectNode(obj, undefined);
    expect(loaded.verified).toBe(true);
    expect(loaded.verification.get("for_each")?.accepted).toBe(true);
  });

  it("the interpreter and the JIT give the same frames and maps", async () => {
    const data = frames("mix:300:seed=7");
    const interp = await runOurs(obj, "interpreter", data);
    const jit = await runOurs(obj, "jit", data);
    expect(jit).toEqual(interp);
    // The walks did something: array walks stopped at several counts (1..20, from the EtherType's
    // low byte), hash walks saw several sizes,
    // flows were deleted, the flags = 1 call returned -EINVAL (in out[5] << 8).
    const out = interp.results.filter((r) => r.verdict === "XDP_TX").map((r) => results(r.packet));
    expect(new Set(out.map((o) => o[0])).size).toBeGreaterThan(2);
    expect(new Set(out.map((o) => o[3])).size).toBeGreaterThan(5);
    expect(out.some((o) => (o[5]! & 0xffn) > 0n)).toBe(true);
    for (const o of out) expect(BigInt.asIntN(64, o[5]!) >> 8n).toBe(-22n);
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

  it("the CLI verifies it and runs it on both engines", () => {
    const v = cli(["verify", OBJECT]);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^ACCEPT for_each/);
    const runs = ["interpreter", "jit"].map((engine) => {
      const r = cli(["run", OBJECT, "--gen", "mix:100:seed=3", "--engine", engine, "--json"]);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { verified: boolean; verdicts: unknown; maps: Record<string, Array<{ key: string; value: string }>> };
      expect(report.verified).toBe(true);
      // Listed in get_next_key order, which follows each machine's random hash seed: sorted.
      const maps = Object.fromEntries(Object.entries(report.maps).map(([name, es]) => [name, es.map((e) => `${e.key}=${e.value}`).sort()]));
      return { verdicts: report.verdicts, maps };
    });
    expect(runs[1]).toEqual(runs[0]);
  });
});
