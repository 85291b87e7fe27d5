// Writes to r10 in code no path reaches (vm/program/frame-writes.ts): the verifier accepts them
// (the kernel removes dead code after verifying; corpus/verifier/pos_dead_frame_write.asm checks
// its verdict), an engine given the raw program still refuses it, and the loader's rewrite —
// each such write a `ja -1` trap, every other slot in place — runs on both engines.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { conformanceInput, conformanceMachine } from "../../vm/conformance/run.js";
import { getEngine } from "../../vm/engines.js";
import { BpfError } from "../../vm/errors.js";
import { trapDeadFrameWrites } from "../../vm/program/frame-writes.js";
import { verify } from "../../vm/verifier/index.js";
import { loadObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { FUNC, SECTION, synthetic } from "../loader/objects.js";

// r1 = 5, so `jgt r1, 10` is never taken: the verifier never reaches the writes to r10.
const DEAD = assemble(["mov %r0, 2", "mov %r1, 5", "jgt %r1, 10, dead", "exit", "dead:", "lddw %r10, 0x1234", "mov %r10, 0", "exit"].join("\n"));

describe("dead writes to r10", () => {
  it("the verifier accepts them where no path reaches", () => {
    expect(verify(DEAD, { type: "xdp" }).message).toBeUndefined();
  });

  it("become traps, both slots of an lddw too; nothing else moves", () => {
    const out = trapDeadFrameWrites(DEAD);
    expect(out).not.toBe(DEAD);
    expect(out.slice(0, 4)).toEqual(DEAD.slice(0, 4));
    for (const k of [4, 5, 6]) expect(out[k]).toEqual({ opcode: 0x05, dst: 0, src: 0, off: -1, imm: 0 });
    expect(out[7]).toEqual(DEAD[7]);
    const clean = assemble("mov %r0, 1\nexit");
    expect(trapDeadFrameWrites(clean)).toBe(clean);
  });

  for (const name of ["interpreter", "jit"]) {
    it(`${name}: refuses the raw program, runs the rewritten one`, async () => {
      const engine = await getEngine(name);
      const machine = conformanceMachine();
      await expect(engine.load({ insns: DEAD, name: "raw" }, machine)).rejects.toThrow(BpfError);
      await expect(engine.load({ insns: DEAD, name: "raw" }, machine)).rejects.toThrow("insn 4: frame pointer is read only");
      const p = await engine.load({ insns: [...trapDeadFrameWrites(DEAD)], name: "rewritten" }, machine);
      expect(p.run(conformanceInput(machine, new Uint8Array(0)))).toBe(2n);
      p.dispose();
    });
  }
});

describe("an object's program with a dead write to r10", () => {
  const built = synthetic({
    sections: [{ name: "xdp", code: DEAD }, { name: "license", data: new TextEncoder().encode("GPL\0") }],
    symbols: [{ name: "prog", shndx: 1, type: FUNC, size: DEAD.length * 8 }, { name: "license", shndx: 2, type: SECTION, bind: 0 }],
  });

  for (const name of ["interpreter", "jit"]) {
    it(`is verified, loaded with the write as a trap, and runs on the ${name}`, async () => {
      const loaded = instantiateObjectNode(loadObject(built.bytes), "prog");
      expect(loaded.verified).toBe(true);
      expect(loaded.program.insns[6]).toEqual({ opcode: 0x05, dst: 0, src: 0, off: -1, imm: 0 });
      const runner = new PacketRunner(loaded.machine, await (await getEngine(name)).load(loaded.program, loaded.machine));
      expect(runner.run({ data: new Uint8Array(64), origLen: 64 }).verdict).toBe("XDP_PASS");
      runner.dispose();
    });
  }
});
