// Round trips: every conformance program survives asm → bytes → disasm → asm → bytes, every
// opcode of the ISA table survives encode → disassemble → assemble with random canonical fields,
// and arbitrary slots (valid or not) survive disassemble → assemble byte for byte.
import { describe as suite, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { disassemble, formatInsn } from "../../vm/asm/disassembler.js";
import { FORMS, slotOf, type Form } from "../../vm/asm/forms.js";
import { parseDataFile } from "../../vm/conformance/datafile.js";
import { decode, encode, type Insn } from "../../vm/isa/instruction.js";
import { describe, knownOpcodes } from "../../vm/isa/table.js";
import { corpusFiles, prng } from "./corpus.js";

const hex = (insns: readonly Insn[]): string => Buffer.from(encode(insns)).toString("hex");

suite("conformance corpus round trip", () => {
  const files = corpusFiles();

  it("has the 313 tests", () => {
    expect(files.length).toBe(313);
  });

  it("asm → bytes → disasm → asm → bytes is the identity for every test", () => {
    let slots = 0;
    for (const { name, text } of files) {
      const test = parseDataFile(text, name);
      const bytes = hex(test.insns);
      for (const options of [{}, { labels: true, indices: true }]) {
        const listing = disassemble(test.insns, options);
        expect(listing, name).not.toContain(".insn");
        expect(hex(assemble(listing)), `${name} ${JSON.stringify(options)}\n${listing}`).toBe(bytes);
      }
      slots += test.insns.length;
    }
    expect(slots).toBe(2762); // all 313 programs, lddw counted as two slots
  });

  it("the -- raw section of lddw.data equals the assembled bytes", () => {
    const file = files.find((f) => f.name === "lddw.data")!;
    const test = parseDataFile(file.text, file.name);
    expect(test.raw).toBeDefined();
    expect(Buffer.from(encode(assemble(test.asm))).toString("hex")).toBe(Buffer.from(test.raw!).toString("hex"));
    expect(hex(test.insns)).toBe("1800000088776655" + "0000000044332211" + "9500000000000000");
  });
});

/** Random values that favour the edges of each field. */
function values(rand: () => number) {
  const pickOf = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  return {
    reg: () => Math.floor(rand() * 11),
    s16: () => pickOf([0, 1, -1, 32767, -32768, Math.floor(rand() * 65536) - 32768]),
    s32: () => pickOf([0, 1, -1, 10, 11, -11, 0x7fffffff, -0x80000000, Math.floor(rand() * 2 ** 32) | 0]),
  };
}

/**
 * A slot of `form` with random values in exactly the fields its kind carries (RFC 9669 §4, §5,
 * and the kernel's reserved-field rules), written independently of vm/asm/syntax.ts.
 */
function canonical(form: Form, rand: () => number): Insn[] {
  const v = values(rand);
  const d = form.def;
  const f: Partial<Insn> = {};
  switch (d.kind) {
    case "alu":
      Object.assign(f, d.reg ? { dst: v.reg(), src: v.reg() } : { dst: v.reg(), imm: v.s32() });
      break;
    case "neg":
    case "end":
    case "callx":
      f.dst = v.reg();
      break;
    case "movsx":
      Object.assign(f, { dst: v.reg(), src: v.reg() });
      break;
    case "ja":
      Object.assign(f, d.long ? { imm: v.s32() } : { off: v.s16() });
      break;
    case "maygoto":
      f.off = v.s16();
      break;
    case "jcond":
      Object.assign(f, { dst: v.reg(), off: v.s16() }, d.reg ? { src: v.reg() } : { imm: v.s32() });
      break;
    case "call":
      Object.assign(f, { imm: v.s32() }, d.target === "kfunc" ? { off: v.s16() } : {});
      break;
    case "exit":
      break;
    case "lddw":
      Object.assign(f, { dst: v.reg(), imm: v.s32() });
      return [slotOf(form, f), { opcode: 0, dst: 0, src: 0, off: 0, imm: v.s32() }];
    case "ldpkt":
      Object.assign(f, { imm: v.s32() }, d.ind ? { src: v.reg() } : {});
      break;
    case "ldx":
    case "stx":
    case "atomic":
      Object.assign(f, { dst: v.reg(), src: v.reg(), off: v.s16() });
      break;
    case "st":
      Object.assign(f, { dst: v.reg(), off: v.s16(), imm: v.s32() });
      break;
  }
  return [slotOf(form, f)];
}

suite("ISA table round trip", () => {
  const forms = [...FORMS.values()].flat();

  it("every opcode the table knows has an assembler form", () => {
    const covered = new Set(forms.map((f) => f.opcode));
    expect(knownOpcodes().filter((op) => !covered.has(op))).toEqual([]);
    // ALU 48 + sdiv/smod 8 + movsx 5 + neg 2 + byte swaps 9; JMP 44 + ja 2 + may_goto 1 + call 3
    // + callx 1 + exit 1; ldx 4 + ldxs 3 + st 4 + stx 4 + atomics 20 + ldabs 3 + ldind 3 + lddw 7.
    expect(forms.length).toBe(172);
    // Each form's refined slot describes back to the form's own definition.
    for (const form of forms) expect(describe(slotOf(form))).toEqual(form.def);
  });

  it("encode → disassemble → assemble → encode is the identity for random canonical fields", () => {
    const rand = prng(0x5eed);
    let checked = 0;
    for (const form of forms) {
      for (let n = 0; n < 40; n++) {
        const slots = canonical(form, rand);
        const bytes = encode(slots);
        const text = formatInsn(decode(bytes), 0);
        expect(text, `${form.def.mnemonic}: ${text}`).not.toContain(".insn");
        expect(hex(assemble(text)), text).toBe(Buffer.from(bytes).toString("hex"));
        checked++;
      }
    }
    expect(checked).toBe(40 * forms.length);
  });

  it("arbitrary slots, valid or not, disassemble to text that assembles to the same bytes", () => {
    const rand = prng(42);
    const known = knownOpcodes();
    for (let p = 0; p < 300; p++) {
      const bytes = new Uint8Array(8 * 12);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
      for (let s = 0; s < 12; s++) {
        // Mostly known opcodes with sparse fields, so valid and near-valid slots both occur.
        if (rand() < 0.8) bytes[s * 8] = known[Math.floor(rand() * known.length)]!;
        if (rand() < 0.5) bytes.fill(0, s * 8 + 1, s * 8 + 4);
        if (rand() < 0.3) bytes.fill(0, s * 8 + 4, s * 8 + 8);
      }
      const insns = decode(bytes);
      for (const options of [{}, { labels: true }, { indices: true }]) {
        const listing = disassemble(insns, options);
        expect(hex(assemble(listing)), listing).toBe(Buffer.from(bytes).toString("hex"));
      }
    }
  });
});
