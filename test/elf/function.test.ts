// elfFunction: the program the bpf_conformance plugin's --elf mode runs. Real clang objects
// (with a bpf-to-bpf call that needs its R_BPF_64_32 relocation and functions that must be
// reordered) and objects laid out like the bpf_conformance runner's own writer.
import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { elfFunction, parseElf } from "../../vm/elf/index.js";
import { encode, insn, type Insn } from "../../vm/isa/instruction.js";
import { Layout } from "../../vm/memory/layout.js";
import { baseHelpers } from "../../vm/helpers/index.js";
import { Interpreter } from "../../vm/interpreter/index.js";
import { conformanceStyleObject } from "./elf-builder.js";
import { fixture } from "./fixtures.js";

async function run(insns: Insn[]): Promise<bigint> {
  const layout = new Layout();
  const machine = { memory: layout.createMemory(), layout, helpers: baseHelpers() };
  const loaded = await new Interpreter().load({ insns, name: "elf" }, machine);
  try {
    return loaded.run();
  } finally {
    loaded.dispose();
  }
}

const text = (insns: Insn[]) => insns.map((i) => [i.opcode, i.dst, i.src, i.off, i.imm]);

describe("elfFunction", () => {
  it("returns main of return_const.o", async () => {
    const insns = elfFunction(parseElf(fixture("return_const")));
    expect(text(insns)).toEqual([[0xb7, 0, 0, 0, 42], [0x95, 0, 0, 0, 0]]);
    expect(await run(insns)).toBe(42n);
  });

  it("puts main first, appends the functions it calls and rewrites the call offsets", async () => {
    const insns = elfFunction(parseElf(fixture("local_calls")));
    // main (8 slots) | add_squares (7) | square (3): each function once.
    expect(insns).toHaveLength(18);
    const calls = insns.flatMap((i, at) => (i.opcode === 0x85 && i.src === 1 ? [[at, at + i.imm + 1]] : []));
    expect(calls).toEqual([[2, 8], [5, 15], [9, 15], [12, 15]]);
    // 3*3 + 4*4 + 5*5
    expect(await run(insns)).toBe(50n);
  });

  it("finds another function by name", async () => {
    const insns = elfFunction(parseElf(fixture("local_calls")), ".text", "square");
    expect(insns).toHaveLength(3);
  });

  it("reads objects written the way the bpf_conformance runner writes them (names in .shstrtab)", async () => {
    const code = encode([insn(0xb7, 0, 0, 0, 7), insn(0x07, 0, 0, 0, 5), insn(0x95)]);
    const obj = parseElf(conformanceStyleObject(code));
    expect(obj.sections.map((s) => s.name)).toEqual(["", ".shstrtab", ".symtab", ".text"]);
    expect(await run(elfFunction(obj))).toBe(12n);
  });

  it("keeps pc-relative local calls inside one function symbol (the runner's call_local tests)", async () => {
    // main: call +1; exit | callee: r0 = 9; exit   (one symbol covers all four slots)
    const code = encode([insn(0x85, 0, 1, 0, 1), insn(0x95), insn(0xb7, 0, 0, 0, 9), insn(0x95)]);
    const insns = elfFunction(parseElf(conformanceStyleObject(code)));
    expect(text(insns)[0]).toEqual([0x85, 0, 1, 0, 1]);
    expect(await run(insns)).toBe(9n);
  });

  it("finds main in any executable section when no section is named (runner --xdp_prolog writes 'xdp')", () => {
    const code = encode([insn(0xb7, 0, 0, 0, 1), insn(0x95)]);
    const obj = parseElf(conformanceStyleObject(code, "xdp"));
    expect(() => elfFunction(obj)).toThrow(/no section '\.text'/);
    expect(elfFunction(obj, null)).toHaveLength(2);
  });

  it("refuses map relocations with a message naming the relocation, symbol and place", () => {
    const obj = parseElf(fixture("xdp_map"));
    const err = catchError(() => elfFunction(obj, "xdp", "count_packets"));
    expect(err.message).toMatch(/R_BPF_64_64 against 'counters' at 'xdp'\+0x[0-9a-f]+ \(insn \d+\)/);
    expect(err.where.offset).toBeTypeOf("number");
  });

  it("names the missing symbol and section", () => {
    expect(() => elfFunction(parseElf(fixture("xdp_map")))).toThrow(/no function symbol 'main' in section '\.text'/);
    expect(() => elfFunction(parseElf(fixture("return_const")), "prog")).toThrow(/no section 'prog'/);
  });

  it("refuses a jump that leaves its function", () => {
    // main = slots 0..1 (ja +2 jumps past its end into the next function)
    const code = encode([insn(0x05, 0, 0, 2), insn(0x95), insn(0xb7), insn(0x95)]);
    const bytes = conformanceStyleObject(code);
    // Shrink main's st_size to 16 bytes so that slots 2..3 are outside it.
    const obj0 = parseElf(bytes);
    const main = obj0.symbols.find((s) => s.name === "main")!;
    new DataView(bytes.buffer).setBigUint64(main.entryOffset + 16, 16n, true);
    expect(() => elfFunction(parseElf(bytes))).toThrow(/jumps to slot 3, outside its function 'main'/);
  });
});

function catchError(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BpfError) return e;
    throw e;
  }
  throw new Error("expected a BpfError");
}
