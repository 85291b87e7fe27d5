// The dispatch loop's case labels are literal numbers (V8 builds a jump table only for
// literals); this keeps them in step with the handler numbering in ops.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Op, opFor } from "../../vm/interpreter/ops.js";
import { describe as describeInsn, knownOpcodes } from "../../vm/isa/table.js";
import { insn } from "../../vm/isa/instruction.js";

const source = readFileSync(join(import.meta.dirname, "..", "..", "vm", "interpreter", "exec.ts"), "utf8");
const labels = [...source.matchAll(/case (\d+) \/\* (\w+) \*\/:/g)].map((m) => [Number(m[1]), m[2]!] as const);

describe("dispatch labels", () => {
  it("every case label matches its name in Op", () => {
    for (const [value, name] of labels) expect([name, value]).toEqual([name, Op[name as keyof typeof Op]]);
  });
  it("every handler has exactly one case", () => {
    const values = labels.map(([v]) => v).sort((a, b) => a - b);
    expect(values).toEqual(Object.values(Op).sort((a, b) => a - b));
  });
  it("handler numbers are dense from 0", () => {
    expect(Object.values(Op).sort((a, b) => a - b)).toEqual(Object.values(Op).map((_, i) => i));
  });
  it("every opcode of the ISA table maps to a handler", () => {
    const refine = [{}, { off: 1 }, { off: 8 }, { off: 16 }, { off: 32 }, { imm: 16 }, { imm: 32 }, { imm: 64 }, { src: 1 }, { imm: 0x01 }, { imm: 0xe1 }, { imm: 0xf1 }];
    let mapped = 0;
    for (const opcode of knownOpcodes()) {
      for (const fields of refine) {
        const def = describeInsn({ ...insn(opcode), ...fields });
        if (!def) continue;
        expect(Object.values(Op)).toContain(opFor(def));
        mapped++;
      }
    }
    expect(mapped).toBeGreaterThan(200);
  });
});
