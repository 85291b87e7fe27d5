// Bad input: every malformation named in issue 5 ("truncated or corrupt ELF") is refused with a
// BpfError whose where.offset is the byte offset of the field or data at fault.
import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { R_BPF, SHF, SHT, elfFunction, parseElf } from "../../vm/elf/index.js";
import { encode, insn } from "../../vm/isa/instruction.js";
import { buildElf, relEntries, symbolTable, type BuiltElf } from "./elf-builder.js";
import { fixture } from "./fixtures.js";

// Sections: 1 .text, 2 .rel.text, 3 .symtab, 4 .strtab, 5 .shstrtab (added by buildElf).
const TEXT = 1, REL = 2, SYMTAB = 3, STRTAB = 4;

function base(): BuiltElf {
  const code = encode([insn(0xb7, 0, 0, 0, 1), insn(0x85, 0, 1, 0, -1), insn(0x95)]);
  const { symtab, strtab } = symbolTable([{ name: "main", shndx: TEXT, value: 0, size: code.length }]);
  return buildElf([
    { name: ".text", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, data: code },
    { name: ".rel.text", type: SHT.REL, link: SYMTAB, info: TEXT, entsize: 16,
      data: relEntries([{ offset: 8, symbol: 1, type: R_BPF.R64_32 }]) },
    { name: ".symtab", type: SHT.SYMTAB, link: STRTAB, info: 1, entsize: 24, data: symtab },
    { name: ".strtab", type: SHT.STRTAB, data: strtab },
  ]);
}

function refuse(bytes: Uint8Array, message: RegExp, offset: number): void {
  let caught: unknown;
  try {
    parseElf(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught, "parseElf should throw").toBeInstanceOf(BpfError);
  const err = caught as BpfError;
  expect(err.message).toMatch(message);
  expect(err.where.offset).toBe(offset);
}

const set = (bytes: Uint8Array, at: number, width: 1 | 2 | 4 | 8, value: number | bigint): Uint8Array => {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  if (width === 1) view.setUint8(at, Number(value));
  else if (width === 2) view.setUint16(at, Number(value), true);
  else if (width === 4) view.setUint32(at, Number(value), true);
  else view.setBigUint64(at, BigInt(value), true);
  return copy;
};

describe("the base object is valid", () => {
  it("parses and yields main", () => {
    const obj = parseElf(base().bytes);
    expect(obj.sections.map((s) => s.name)).toEqual(["", ".text", ".rel.text", ".symtab", ".strtab", ".shstrtab"]);
    expect(elfFunction(obj)).toHaveLength(3);
  });
});

describe("header", () => {
  it("refuses empty and truncated headers", () => {
    refuse(new Uint8Array(0), /truncated ELF header: the file has 0 bytes/, 0);
    refuse(fixture("return_const").slice(0, 40), /truncated ELF header: the file has 40 bytes, an ELF64 header needs 64/, 40);
  });
  it("refuses bad magic, class, byte order, version, type and machine", () => {
    const { bytes } = base();
    refuse(set(bytes, 1, 1, 0x46), /bad magic/, 1);
    refuse(set(bytes, 4, 1, 1), /ELF class is 1, expected ELFCLASS64/, 4);
    refuse(set(bytes, 5, 1, 2), /data encoding is 2, expected little-endian/, 5);
    refuse(set(bytes, 6, 1, 0), /ident version is 0/, 6);
    refuse(set(bytes, 16, 2, 2), /e_type is 2, expected ET_REL/, 16);
    refuse(set(bytes, 18, 2, 62), /e_machine is 62, expected EM_BPF \(247\)/, 18);
    refuse(set(bytes, 58, 2, 40), /e_shentsize is 40/, 58);
  });
});

describe("sections", () => {
  it("refuses a section header table past the end of the file", () => {
    const { bytes } = base();
    refuse(set(bytes, 40, 8, bytes.length - 10), /section header table .* past the end of the file/, 40);
    refuse(set(bytes, 40, 8, 0), /no section header table/, 40);
  });
  it("refuses section contents past the end of the file", () => {
    const elf = base();
    const at = elf.headerOffset(TEXT);
    refuse(set(elf.bytes, at + 24, 8, elf.bytes.length), /section 1 contents .* past the end of the file/, at + 24);
    refuse(set(elf.bytes, at + 32, 8, 1n << 62n), /section 1 contents .* past the end of the file/, at + 24);
  });
  it("refuses overlapping sections, and sections over the header or the section table", () => {
    const elf = base();
    const textOff = elf.dataOffset[TEXT]!;
    const symOff = elf.dataOffset[SYMTAB]!;
    refuse(set(elf.bytes, elf.headerOffset(TEXT) + 24, 8, symOff), /section 3 \(bytes 0x[0-9a-f.x]+\) overlaps section 1/, symOff);
    refuse(set(elf.bytes, elf.headerOffset(STRTAB) + 24, 8, 8), /section 4 \(bytes 0x8\.\.0x[0-9a-f]+\) overlaps the ELF header/, 8);
    refuse(set(elf.bytes, elf.headerOffset(TEXT) + 24, 8, elf.shoff), /overlaps/, elf.shoff);
    expect(textOff).toBe(64);
  });
  it("refuses section-name indices outside the string table and a bad e_shstrndx", () => {
    const elf = base();
    refuse(set(elf.bytes, elf.headerOffset(TEXT), 4, 0xffff), /section 1 name \(sh_name\): string index 65535 .* outside string table/,
      elf.headerOffset(TEXT));
    refuse(set(elf.bytes, 62, 2, 99), /e_shstrndx 99 does not name a section/, 62);
    refuse(set(elf.bytes, 62, 2, TEXT), /e_shstrndx names section 1, which is SHT_PROGBITS/, 62);
  });
  it("refuses a name that runs off the end of its string table", () => {
    const elf = base();
    const shstr = elf.shstrndx;
    const size = elf.headerOffset(shstr) + 32;
    const view = new DataView(elf.bytes.buffer);
    const full = Number(view.getBigUint64(size, true));
    // Cut the table one byte short: the last name (".shstrtab") loses its NUL.
    refuse(set(elf.bytes, size, 8, full - 1), /runs off the end of the table/, elf.dataOffset[shstr]! + full - 10);
  });
});

describe("symbols", () => {
  const symAt = (elf: BuiltElf, i: number) => elf.dataOffset[SYMTAB]! + i * 24;
  it("refuses a symbol name index outside the string table", () => {
    const elf = base();
    refuse(set(elf.bytes, symAt(elf, 1), 4, 5000), /symbol 1: st_name: string index 5000/, symAt(elf, 1));
  });
  it("refuses a symbol in a section that does not exist", () => {
    const elf = base();
    refuse(set(elf.bytes, symAt(elf, 1) + 6, 2, 77), /symbol 1 'main': st_shndx 77 is not a section/, symAt(elf, 1) + 6);
  });
  it("refuses a function symbol that lies outside its section", () => {
    const elf = base();
    refuse(set(elf.bytes, symAt(elf, 1) + 16, 8, 4096), /'main': bytes 0x0\.\.0x1000 lie outside section 1 '\.text'/,
      symAt(elf, 1) + 8);
  });
  it("refuses a symbol table with a wrong entry size or a non-string-table link", () => {
    const elf = base();
    refuse(set(elf.bytes, elf.headerOffset(SYMTAB) + 56, 8, 16), /sh_entsize is 16, expected 24/, elf.headerOffset(SYMTAB) + 56);
    refuse(set(elf.bytes, elf.headerOffset(SYMTAB) + 40, 4, TEXT), /is SHT_PROGBITS, not a string table/,
      elf.headerOffset(SYMTAB) + 40);
    refuse(set(elf.bytes, elf.headerOffset(SYMTAB) + 40, 4, 40), /sh_link 40: no such section/, elf.headerOffset(SYMTAB) + 40);
  });
});

describe("relocations", () => {
  const relAt = (elf: BuiltElf) => elf.dataOffset[REL]!;
  it("refuses a symbol index out of range", () => {
    const elf = base();
    refuse(set(elf.bytes, relAt(elf) + 12, 4, 9), /symbol index 9 is out of range \(the symbol table has 2\)/, relAt(elf) + 8);
  });
  it("refuses a relocation outside its section", () => {
    const elf = base();
    refuse(set(elf.bytes, relAt(elf), 8, 24), /R_BPF_64_32 at 0x18 patches bytes outside section 1 '\.text' \(24 bytes\)/, relAt(elf));
    refuse(set(elf.bytes, relAt(elf), 8, 20), /outside section 1/, relAt(elf));
  });
  it("refuses a relocation section that names no target or is not linked to the symbol table", () => {
    const elf = base();
    const h = elf.headerOffset(REL);
    refuse(set(elf.bytes, h + 44, 4, 0), /sh_info 0 does not name a section/, h + 44);
    refuse(set(elf.bytes, h + 44, 4, 50), /sh_info 50 does not name a section/, h + 44);
    refuse(set(elf.bytes, h + 40, 4, STRTAB), /sh_link 4 is not the symbol table \(section 3\)/, h + 40);
    refuse(set(elf.bytes, h + 56, 8, 24), /sh_entsize is 24, expected 16/, h + 56);
  });
});

describe("elfFunction on bad code", () => {
  it("refuses a code section that is not whole instructions", () => {
    const elf = base();
    const bytes = set(elf.bytes, elf.headerOffset(TEXT) + 32, 8, 20);
    // The symbol (24 bytes) no longer fits either: parseElf already refuses it.
    expect(() => parseElf(bytes)).toThrow(BpfError);
  });
  it("refuses a call into no function", () => {
    const code = encode([insn(0x85, 0, 1, 0, 40), insn(0x95)]);
    const { symtab, strtab } = symbolTable([{ name: "main", shndx: 1, value: 0, size: code.length }]);
    const elf = buildElf([
      { name: ".text", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, data: code },
      { name: ".symtab", type: SHT.SYMTAB, link: 3, info: 1, entsize: 24, data: symtab },
      { name: ".strtab", type: SHT.STRTAB, data: strtab },
    ]);
    expect(() => elfFunction(parseElf(elf.bytes))).toThrow(/calls slot 41, which is outside every function/);
  });
});
