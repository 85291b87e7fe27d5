// The code templates (jit/lower/templates.ts): the regular instructions' wasm code, defined once.
// The direct builder's writer fills them in (jit/direct/as/writer.ts); any other builder gets them
// through replay (jit/lower/replay.ts). Replayed through the direct builder's own API, a template
// must give the very bytes of the writer's fill, for every templated opcode and for fields that
// stress the encodings (negative offsets, multi-byte LEBs). The conformance corpus runs the templates on both
// backends (backends.test.ts) and every engine (test/engines).

import { describe, expect, it } from "vitest";
import { DirectModule } from "../../jit/direct/module.js";
import { localType, regLocal } from "../../jit/lower/context.js";
import { replay } from "../../jit/lower/replay.js";
import { branchFor, templateFor, type Jump } from "../../jit/lower/templates.js";
import { insn } from "../../vm/isa/instruction.js";
import { AluOp, Cls, Mode, Size, Src } from "../../vm/isa/opcodes.js";
import { describe as describeInsn, knownOpcodes } from "../../vm/isa/table.js";

const FIELDS = [
  { dst: 1, src: 2, off: 0, imm: 0 },
  { dst: 0, src: 9, off: 7, imm: -1 },
  { dst: 9, src: 10, off: -8, imm: 63 },
  { dst: 3, src: 0, off: 300, imm: -0x80000000 },
  { dst: 5, src: 4, off: -32768, imm: 0x7fffffff },
];

/** The module bytes of one function whose body is `build`'s expression (type none). */
function bytesOf(build: (m: DirectModule) => number): Uint8Array {
  const m = new DirectModule();
  const t = m.types;
  m.setMemory(1, -1, null, [], false);
  m.addMemoryImport("0", "env", "memory", false);
  m.addFunction("f", t.createType(Array(11).fill(t.i64)), t.none, [t.i64, t.i64, t.i64, t.i32, t.i32, t.i32, t.i32], build(m));
  const binary = m.emitBinary();
  new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>); // valid wasm
  return binary;
}

const templated = knownOpcodes().filter((opcode) => {
  const ins = insn(opcode);
  const def = describeInsn(ins);
  return def !== undefined && templateFor(def, ins) !== undefined;
});

describe("templates", () => {
  it("cover ALU and ALU64 except division, NEG, and every LDX, ST and STX", () => {
    const expected = knownOpcodes().filter((opcode) => {
      const def = describeInsn(insn(opcode));
      if (def === undefined) return false; // refined by imm (END, atomics): no template
      if (def.kind === "alu") return !["div", "mod"].includes(def.op);
      return def.kind === "neg" || def.kind === "ldx" || def.kind === "st" || def.kind === "stx";
    });
    expect(templated).toEqual(expected);
    expect(templated.length).toBe(2 * 2 * 10 + 2 + 7 + 4 + 4);
  });

  it("leave refined variants to the lowering: sdiv, smod, movsx", () => {
    for (const ins of [insn(Cls.ALU64 | AluOp.DIV | Src.X, 1, 2, 1), insn(Cls.ALU | AluOp.MOD | Src.K, 1, 0, 1, 3), insn(Cls.ALU64 | AluOp.MOV | Src.X, 1, 2, 8)]) {
      expect(templateFor(describeInsn(ins)!, ins)).toBeUndefined();
    }
  });

  it("a negative offset gets the pointer-adding form", () => {
    const ldx = Cls.LDX | Mode.MEM | Size.DW;
    const at = (off: number) => templateFor(describeInsn(insn(ldx, 1, 10, off))!, insn(ldx, 1, 10, off));
    expect(at(-8)).not.toEqual(at(8));
    expect(at(0)).toBe(at(8));
  });

  it.each(templated.map((opcode) => [`0x${opcode.toString(16).padStart(2, "0")}`, opcode]))(
    "%s: replayed through the builder's API gives the bytes of the writer's fill",
    (_name, opcode) => {
      const memory = ["ldx", "st", "stx"].includes(describeInsn(insn(opcode as number))!.kind);
      for (const fields of FIELDS) {
        // off refines ALU opcodes (sdiv, movsx): only memory accesses take any offset.
        const ins = insn(opcode as number, fields.dst, fields.src, memory ? fields.off : 0, fields.imm);
        const template = templateFor(describeInsn(ins)!, ins)!;
        const [dst, src] = [regLocal(ins.dst), regLocal(ins.src)];
        const filled = bytesOf((m) => {
          m.templates.open();
          m.templates.add(template, dst, src, ins.imm, ins.off, 0);
          return m.templates.close();
        });
        const replayed = bytesOf((m) => replay(m, (local) => localType(m.types, local), template, { dst, src, imm: ins.imm, off: ins.off }));
        expect(replayed, JSON.stringify(fields)).toEqual(filled);
      }
    },
  );

  const jumps = knownOpcodes().filter((opcode) => {
    const def = describeInsn(insn(opcode));
    return def?.kind === "jcond" || def?.kind === "ja";
  });

  it.each(jumps.map((opcode) => [`0x${opcode.toString(16).padStart(2, "0")}`, opcode]))(
    "%s: its branch, replayed through the builder's API, gives the bytes of the writer's fill",
    (_name, opcode) => {
      for (const fields of FIELDS) {
        const ins = insn(opcode as number, fields.dst, fields.src, 0, fields.imm);
        const template = branchFor(describeInsn(ins) as Jump, ins);
        const [dst, src] = [regLocal(ins.dst), regLocal(ins.src)];
        // The branch leaves a block two scopes out: its label is written as relative depth 1.
        const inScopes = (m: DirectModule, branch: () => number): number =>
          m.block("outer", [m.block("inner", [branch()], m.types.none)], m.types.none);
        const filled = bytesOf((m) =>
          inScopes(m, () => {
            m.templates.open();
            m.templates.add(template, dst, src, ins.imm, 0, 0, "outer");
            return m.templates.close();
          }),
        );
        const replayed = bytesOf((m) => inScopes(m, () => replay(m, (local) => localType(m.types, local), template, { dst, src, imm: ins.imm, off: 0, label: "outer" })));
        expect(replayed, JSON.stringify(fields)).toEqual(filled);
      }
    },
  );
});
