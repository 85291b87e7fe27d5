// parseElf on real clang-19 objects (clang -O2 -g -target bpf -c): header, sections by name,
// symbols, relocations — checked against what llvm-readelf-19 prints for the same files.
import { describe, expect, it } from "vitest";
import { EM_BPF, R_BPF, SHF, SHT, STB, STT, parseElf, relocationsFor } from "../../vm/elf/index.js";
import { corpusObjects, fixture } from "./fixtures.js";

describe("parseElf on clang objects", () => {
  it("reads the header and the section table of return_const.o", () => {
    const obj = parseElf(fixture("return_const"));
    expect(obj.header.machine).toBe(EM_BPF);
    expect(obj.header.shnum).toBe(obj.sections.length);
    const text = obj.sectionsByName.get(".text")!;
    expect(text.type).toBe(SHT.PROGBITS);
    expect(text.flags & (SHF.ALLOC | SHF.EXECINSTR)).toBe(SHF.ALLOC | SHF.EXECINSTR);
    expect(text.size).toBe(16); // r0 = 42; exit
    expect([...text.data.subarray(0, 8)]).toEqual([0xb7, 0x00, 0x00, 0x00, 42, 0, 0, 0]);
    for (const name of [".BTF", ".BTF.ext", ".symtab", ".strtab", ".debug_info"]) {
      expect(obj.sectionsByName.has(name), name).toBe(true);
    }
  });

  it("reads symbols: main is a global function covering .text", () => {
    const obj = parseElf(fixture("return_const"));
    const main = obj.symbols.find((s) => s.name === "main")!;
    expect(main).toMatchObject({ bind: STB.GLOBAL, type: STT.FUNC, value: 0, size: 16 });
    expect(obj.sections[main.shndx]!.name).toBe(".text");
    expect(obj.symbols[0]).toMatchObject({ name: "", shndx: 0, value: 0 }); // the null symbol
  });

  it("reads the bpf-to-bpf call relocation of local_calls.o", () => {
    const obj = parseElf(fixture("local_calls"));
    const text = obj.sectionsByName.get(".text")!;
    const relocs = relocationsFor(obj, text.index);
    // llvm-readelf: 0x60 R_BPF_64_32 add_squares (the call in main; static calls need none).
    expect(relocs.map((r) => [r.offset, r.typeName, r.symbol.name])).toEqual([[0x60, "R_BPF_64_32", "add_squares"]]);
    const fns = obj.symbols.filter((s) => s.type === STT.FUNC).map((s) => [s.name, s.value, s.size]);
    expect(fns).toEqual(expect.arrayContaining([["add_squares", 0, 56], ["square", 56, 24], ["main", 80, 64]]));
    // DWARF and BTF.ext relocations are parsed too (and land inside their sections).
    const btfExt = obj.relocations.find((r) => r.section.name === ".rel.BTF.ext")!;
    expect(btfExt.entries.every((e) => e.type === R_BPF.NODYLD32)).toBe(true);
  });

  it("reads program sections, maps and their relocations in xdp_map.o", () => {
    const obj = parseElf(fixture("xdp_map"));
    const xdp = obj.sectionsByName.get("xdp")!;
    expect(xdp.flags & SHF.EXECINSTR).toBe(SHF.EXECINSTR);
    const counters = obj.symbols.find((s) => s.name === "counters")!;
    expect(obj.sections[counters.shndx]!.name).toBe(".maps");
    const relocs = relocationsFor(obj, xdp.index);
    expect(relocs.length).toBeGreaterThanOrEqual(2);
    expect(relocs.every((r) => r.type === R_BPF.R64_64)).toBe(true);
    expect(relocs.map((r) => r.symbol.name)).toContain("counters");
    // Each R_BPF_64_64 patches an lddw (opcode 0x18) inside the section.
    for (const r of relocs) expect(xdp.data[r.offset]).toBe(0x18);
    expect(new TextDecoder().decode(obj.sectionsByName.get("license")!.data)).toBe("GPL\0");
  });

  it("never copies section data: sections are views into the input", () => {
    const bytes = fixture("local_calls");
    const obj = parseElf(bytes);
    expect(obj.sectionsByName.get(".text")!.data.buffer).toBe(bytes.buffer);
  });
});

describe("parseElf on the program corpus", () => {
  // Every committed clang object under corpus/programs/ (maps, tail calls, ring buffers, tc and
  // socket programs) must parse; the code sections' relocations are only map/data references
  // (R_BPF_64_64) and bpf-to-bpf calls (R_BPF_64_32).
  const objects = corpusObjects();
  it(`parses all ${objects.length} objects in corpus/programs`, () => {
    expect(objects.length, "corpus/programs/*.o should exist").toBeGreaterThan(0);
    for (const [name, bytes] of objects) {
      const obj = parseElf(bytes);
      const code = obj.sections.filter((s) => (s.flags & SHF.EXECINSTR) !== 0);
      expect(code.length, name).toBeGreaterThan(0);
      for (const s of code) {
        for (const r of relocationsFor(obj, s.index)) {
          expect([R_BPF.R64_64, R_BPF.R64_32], `${name} ${s.name}+${r.offset}`).toContain(r.type);
        }
      }
    }
  });
});
