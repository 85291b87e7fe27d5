// fixtures/percpu_lookup.c: bpf_map_lookup_percpu_elem (helper 195) on PERCPU_ARRAY,
// PERCPU_HASH and LRU_PERCPU_HASH, reading this CPU's copy, the other CPU's, a cpu past the
// machine's CPUs (NULL), a cpu above 2^32 (a u32 argument: this CPU again) and 0xffffffff (NULL). Our machine gets
// as many CPUs as the kernel has possible CPUs and runs on the CPU the kernel's runner is pinned
// to, so both see the same per-CPU copies: every frame (the reads are written into it) and the
// three maps afterwards agree with the kernel, on the interpreter and the JIT. Verifier rules:
// the map types the kernel refuses, and the NULL check it demands.

import { afterAll, describe, expect, it } from "vitest";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import { kernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { verify } from "../../vm/verifier/index.js";
import { assemble } from "../../vm/asm/index.js";
import { kernelHelperTable } from "../verifier/kernel-helpers.js";
import { kernelAvailability, kernelRefusal } from "./available.js";
import { fixtureObject, frames, runKernel, type ObjectRun } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const NULL = "ffffffffffffffff";

/** The frame's 30 reads (percpu_lookup.c): [map][cpu][key k, key k + 2]. */
const reads = (packet: string): string[] => packet.slice(0, 30 * 16).match(/.{16}/g)!.map((w) => Buffer.from(w, "hex").reverse().toString("hex"));

async function runOn(engine: "interpreter" | "jit", data: readonly Uint8Array[], cpus: number, cpu: number): Promise<ObjectRun> {
  const obj = fixtureObject("percpu_lookup");
  const loaded = instantiateObjectNode(obj, undefined, { cpus });
  const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine), { cpu });
  try {
    const results = runner.runBatch(data, { results: true }).results!.map((r) => ({ verdict: r.verdict, retval: r.retval.toString(16), packet: hex(r.packet) }));
    const maps: Record<string, string[]> = {};
    // As runKernel lists them: one hex value per CPU, joined by commas.
    for (const m of obj.maps) maps[m.name] = [...loaded.machine.maps.perCpu(m.name).entries()].map(([k, v]) => `${hex(k)}=${v.map(hex).join(",")}`).sort();
    return { results, maps };
  } finally {
    runner.dispose();
  }
}

describe("bpf_map_lookup_percpu_elem (percpu_lookup.o)", () => {
  const data = frames("mix:800:seed=19").filter((d) => d.length >= 8 * 30);

  it("reads each CPU's copy, NULL past the machine's CPUs, and agrees between the engines", async () => {
    const interp = await runOn("interpreter", data, 2, 1);
    const jit = await runOn("jit", data, 2, 1);
    expect(jit).toEqual(interp);
    const out = interp.results.filter((r) => r.verdict === "XDP_TX").map((r) => reads(r.packet));
    expect(out.length).toBeGreaterThan(100);
    for (const o of out) {
      for (let m = 0; m < 3; m++) {
        const [own, , other, , past, , wrapped, , all] = o.slice(m * 10, m * 10 + 10);
        expect(own).not.toBe(NULL); // key k was just bumped on this CPU (1)
        expect(BigInt("0x" + own!)).toBeGreaterThan(0n);
        expect(other).toBe("0000000000000000"); // CPU 0 never ran: zero, but present
        expect(past).toBe(NULL); // cpu 64 >= 2 CPUs
        expect(wrapped).toBe(own); // (1 << 32) + 1 is cpu 1
        expect(all).toBe(NULL); // 0xffffffff is no CPU
      }
    }
    // Key k + 2 is absent in the hashes until a frame with k' = k + 2 came (k < 2 only).
    expect(out.some((o) => o[11] === NULL)).toBe(true);
    expect(out.some((o) => o[11] !== NULL)).toBe(true);
  });

  it.skipIf(!status.ok)("the kernel agrees: every frame and the three maps, on both engines", async () => {
    const cpus = status.ok ? status.possibleCpus ?? 1 : 1;
    const cpu = status.ok ? status.cpu : undefined;
    if (cpu === undefined) {
      console.log("skipped: the kernel's runner is not pinned to one CPU, so per-CPU copies cannot be compared");
      return;
    }
    const obj = fixtureObject("percpu_lookup");
    const kernel = runKernel(obj, data);
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOn(engine, data, cpus, cpu);
      expect(ours.results, engine).toEqual(kernel.results);
      expect(ours.maps, engine).toEqual(kernel.maps);
    }
  });

  it("the verifier: the per-CPU map types only, a NULL check, a key in the packet; as the kernel", () => {
    const program = (check: boolean, keyInPacket = false) => `
stw [%r10-4], 1
mov %r2, %r10
add %r2, -4
${keyInPacket ? "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 4\njgt %r4, %r3, +6" : ""}
lddw %r1, map_fd 0
mov %r3, 1
call 195
${check ? "jeq %r0, 0, +1" : ""}
ldxdw %r0, [%r0+0]
mov %r0, 0
exit`;
    const cases: Array<[string, number, string, RegExp | undefined]> = [
      ["percpu_array", 6, program(true), undefined],
      ["percpu_hash", 5, program(true), undefined],
      ["lru_percpu_hash", 10, program(true), undefined],
      ["percpu_hash, key in the packet", 5, program(true, true), undefined],
      ["array", 2, program(true), /cannot pass map_type 2 into func bpf_map_lookup_percpu_elem#195/],
      ["hash", 1, program(true), /cannot pass map_type 1 into func bpf_map_lookup_percpu_elem#195/],
      ["percpu_array, no NULL check", 6, program(false), /R0 invalid mem access 'map_value_or_null'/],
    ];
    for (const [what, type, source, refusal] of cases) {
      const maps = [{ name: "m", type, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 }];
      const ours = verify(assemble(source), { type: "xdp", maps, helpers: kernelHelperTable() });
      if (refusal) expect(ours.message, what).toMatch(refusal);
      else expect(ours.message, `${what}: ${ours.log}`).toBeUndefined();
      if (!status.ok) continue;
      const kernel = kernelRefusal(assemble(source), { type: ProgType.XDP, name: "percpu", maps });
      if (refusal) expect(kernel, what).toMatch(refusal);
      else expect(kernel, what).toBeUndefined();
    }
    if (!status.ok) console.log(`kernel comparison skipped: ${status.reason}`);
  });
});
