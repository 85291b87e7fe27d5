// The public API end to end, as a user would use it: everything imported from the package's
// entry points only (index.ts, node.ts) — load a clang object, verify it, run generated
// packets on the interpreter and the JIT, and read the maps back.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generate, getEngine, loadObject, parseGenSpec, PacketRunner, assemble, BpfError } from "../../index.js";
import { instantiateObjectNode } from "../../node.js";

const object = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../corpus/programs/${name}.o`, import.meta.url)));

describe("public API", () => {
  it("runs the protocol counter on both engines with the same verdicts and counts", async () => {
    const packets = generate(parseGenSpec("mix:500:seed=3"));
    const totals: bigint[][] = [];
    for (const engineName of ["interpreter", "jit"]) {
      const loaded = instantiateObjectNode(loadObject(object("proto_counter")), "proto_counter", { cpus: 1 });
      expect(loaded.verified).toBe(true);
      const engine = await getEngine(engineName);
      const runner = new PacketRunner(loaded.machine, await engine.load(loaded.program, loaded.machine));
      const batch = runner.runBatch(packets);
      expect(batch.verdicts).toEqual({ XDP_PASS: packets.length });
      const counts = loaded.machine.maps!.perCpu("proto_count");
      totals.push([...counts.keys()].map((k) => counts.lookup(k)!.reduce((a, v) => a + new DataView(v.buffer, v.byteOffset).getBigUint64(0, true), 0n)));
    }
    expect(totals[1]).toEqual(totals[0]);
    expect(totals[0]!.reduce((a, b) => a + b, 0n)).toBe(BigInt(packets.length));
  });

  it("refuses bad assembly with the line and the text", () => {
    expect(() => assemble("mov %r0, 1\naddx %r0, 1\nexit")).toThrow(BpfError);
    expect(() => assemble("mov %r0, 1\naddx %r0, 1\nexit")).toThrow(/line 2.*addx/);
  });
});
