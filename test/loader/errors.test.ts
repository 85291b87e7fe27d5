// Malformed objects: each refusal is a BpfError naming what and where, with the byte offset of
// the field or entry at fault. Synthetic objects (objects.ts) break one thing at a time; a few
// structural cases check that the reader's errors (vm/elf) come through the loader unchanged.

import { describe, expect, it } from "vitest";
import { loadObject, type BpfObject } from "../../vm/elf/load/index.js";
import { insn, type Insn } from "../../vm/isa/instruction.js";
import { legacyMaps, OBJECT, FUNC, R_BPF, SECTION, synthetic, corpus, type SyntheticSpec } from "./objects.js";
import { refusal } from "../refusal.js";

const MOV0 = insn(0xb7, 0, 0, 0, 0);
const EXIT = insn(0x95);
const LDDW = (dst: number, imm = 0): Insn[] => [insn(0x18, dst, 0, 0, imm), insn(0, 0, 0, 0, 0)];
const CALL_LOCAL = (imm: number) => insn(0x85, 0, 1, 0, imm);
const JA = (off: number) => insn(0x05, 0, 0, off, 0);

/** An xdp program `prog` (symbol 1) whose code is `code`, with a legacy map `m` (symbol 2). */
function withMap(code: Insn[], relocs: SyntheticSpec["relocs"], extra: Partial<SyntheticSpec> = {}): ReturnType<typeof synthetic> {
  return synthetic({
    sections: [{ name: "xdp", code }, { name: "maps", data: legacyMaps([[2, 4, 8, 1, 0]], 20) }, { name: "license", data: new TextEncoder().encode("GPL\0") }],
    symbols: [
      { name: "prog", shndx: 1, type: FUNC, size: code.length * 8 },
      { name: "m", shndx: 2, type: OBJECT, size: 20 },
      { name: "license", shndx: 3, type: SECTION, bind: 0 },
    ],
    relocs,
    ...extra,
  });
}

/** File offset of relocation entry `i` of the first relocation section (index n + 3). */
const relEntry = (built: ReturnType<typeof synthetic>, sections: number, i = 0) => built.dataOffset[sections + 3]! + 16 * i;

const programError = (obj: BpfObject, name = "prog") => obj.programs.find((p) => p.name === name)!.error!;

describe("a well-formed synthetic object loads (the baseline)", () => {
  it("lddw of a legacy map becomes map_fd 0", () => {
    const obj = loadObject(withMap([...LDDW(1), MOV0, EXIT], { xdp: [{ offset: 0, symbol: 2, type: R_BPF.R64_64 }] }).bytes);
    expect(obj.programs[0]!.error).toBeUndefined();
    expect(obj.programs[0]!.insns[0]).toMatchObject({ src: 1, imm: 0 });
    expect(obj.maps.map((m) => m.name)).toEqual(["m"]);
  });
});

describe("maps", () => {
  it("a maps section whose record size does not divide it", () => {
    const built = synthetic({
      sections: [{ name: "xdp", code: [MOV0, EXIT] }, { name: "maps", data: new Uint8Array(25) }],
      symbols: [{ name: "prog", shndx: 1, type: FUNC, size: 16 }, { name: "a", shndx: 2, type: OBJECT }, { name: "b", shndx: 2, type: OBJECT, value: 12 }],
    });
    const err = refusal(() => loadObject(built.bytes));
    expect(err.message).toBe("section 'maps': 2 map definitions cannot share its 25 bytes (the record size must divide the section)");
    expect(err.where.offset).toBe(built.headerOffset(2) + 32); // sh_size
  });

  it("a map symbol between records", () => {
    const built = synthetic({
      sections: [{ name: "xdp", code: [MOV0, EXIT] }, { name: "maps", data: legacyMaps([[2, 4, 8, 1], [2, 4, 8, 1]], 20) }],
      symbols: [{ name: "prog", shndx: 1, type: FUNC, size: 16 }, { name: "a", shndx: 2, type: OBJECT }, { name: "b", shndx: 2, type: OBJECT, value: 12 }],
    });
    const err = refusal(() => loadObject(built.bytes));
    expect(err.message).toMatch(/map 'b' at 'maps'\+0xc is not one of the section's 20-byte records/);
    expect(err.where.offset).toBe(built.dataOffset[3]! + 3 * 24 + 8); // symbol 3's st_value
  });

  it("a maps section with bytes but no symbols", () => {
    const built = synthetic({ sections: [{ name: "maps", data: new Uint8Array(20) }], symbols: [] });
    expect(refusal(() => loadObject(built.bytes)).message).toMatch(/'maps' has 20 bytes but no map symbols/);
  });

  it(".maps without .BTF", () => {
    const built = synthetic({ sections: [{ name: ".maps", data: new Uint8Array(32) }], symbols: [{ name: "m", shndx: 1, type: OBJECT, size: 32 }] });
    const err = refusal(() => loadObject(built.bytes));
    expect(err.message).toMatch(/'.maps' \(BTF-defined maps\) needs the object's .BTF section/);
    expect(err.where.offset).toBe(built.headerOffset(1));
  });

  it("pointers stored in global data", () => {
    const built = synthetic({
      sections: [{ name: ".data", data: new Uint8Array(8) }, { name: ".rodata", data: new TextEncoder().encode("hi\0") }],
      symbols: [{ name: "p", shndx: 1, type: OBJECT, size: 8 }, { name: "s", shndx: 2, type: OBJECT, size: 3 }],
      relocs: { ".data": [{ offset: 0, symbol: 2, type: R_BPF.ABS64 }] },
    });
    const err = refusal(() => loadObject(built.bytes));
    expect(err.message).toMatch(/R_BPF_64_ABS64 against 's' at '.data'\+0x0: relocations in global data .* are not supported/);
    expect(err.where.offset).toBe(relEntry(built, 2));
  });

  it("a program slot relocation in a map without 'values'", () => {
    const built = withMap([MOV0, EXIT], { maps: [{ offset: 0, symbol: 1, type: R_BPF.ABS64 }] });
    const err = refusal(() => loadObject(built.bytes));
    expect(err.message).toMatch(/R_BPF_64_ABS64 against 'prog' at 'maps'\+0x0: map 'm' has no 'values' member/);
    expect(err.where.offset).toBe(relEntry(built, 3));
  });
});

describe("relocations in code (the program fails to link, naming the relocation)", () => {
  const cases: Array<[string, Insn[], SyntheticSpec["relocs"], RegExp]> = [
    ["R_BPF_64_64 on a mov", [MOV0, EXIT], { xdp: [{ offset: 0, symbol: 2, type: R_BPF.R64_64 }] },
      /R_BPF_64_64 against 'm' at 'xdp'\+0x0 \(insn 0\): R_BPF_64_64 patches lddw, but this instruction is not an lddw/],
    ["R_BPF_64_32 on an lddw", [...LDDW(1), MOV0, EXIT], { xdp: [{ offset: 0, symbol: 2, type: R_BPF.R64_32 }] },
      /R_BPF_64_32 patches calls, but this instruction is not a call/],
    ["a call relocated to a map", [CALL_LOCAL(-1), MOV0, EXIT], { xdp: [{ offset: 0, symbol: 2, type: R_BPF.R64_32 }] },
      /the callee 'm' is a map, not a function/],
    ["a relocation against the license", [...LDDW(1), MOV0, EXIT], { xdp: [{ offset: 0, symbol: 3, type: R_BPF.R64_64 }] },
      /R_BPF_64_64 against 'license' at 'xdp'\+0x0 \(insn 0\): section 'license' is neither code, a map section .* nor global data/],
    ["a map reference with an offset", [...LDDW(1, 8), MOV0, EXIT], { xdp: [{ offset: 0, symbol: 2, type: R_BPF.R64_64 }] },
      /points 8 bytes into map 'm's definition, not at its start/],
    ["a data relocation type in code", [...LDDW(1), MOV0, EXIT], { xdp: [{ offset: 0, symbol: 2, type: R_BPF.ABS64 }] },
      /only R_BPF_64_64 \(lddw\) and R_BPF_64_32 \(call\) relocations are supported in code/],
    ["a relocation on the second slot of an lddw", [...LDDW(1), MOV0, EXIT], { xdp: [{ offset: 8, symbol: 2, type: R_BPF.R64_64 }] },
      /it patches the second slot of an lddw/],
  ];
  for (const [what, code, relocs, message] of cases) {
    it(what, () => {
      const built = withMap(code, relocs);
      const err = programError(loadObject(built.bytes));
      expect(err.message).toMatch(/^program 'prog' \(section 'xdp'\): /);
      expect(err.message).toMatch(message);
      expect(err.where.offset).toBe(relEntry(built, 3));
    });
  }

  it("a legacy map named through the section symbol and an offset (the second record)", () => {
    const built = synthetic({
      sections: [{ name: "xdp", code: [...LDDW(1, 20), MOV0, EXIT] }, { name: "maps", data: legacyMaps([[2, 4, 8, 1], [1, 4, 4, 9]], 20) }],
      symbols: [{ name: "prog", shndx: 1, type: FUNC, size: 32 }, { name: "a", shndx: 2, type: OBJECT }, { name: "b", shndx: 2, type: OBJECT, value: 20 }, { name: "maps", shndx: 2, type: SECTION, bind: 0 }],
      relocs: { xdp: [{ offset: 0, symbol: 4, type: R_BPF.R64_64 }] },
    });
    const p = loadObject(built.bytes).programs[0]!;
    expect(p.insns[0]).toMatchObject({ src: 1, imm: 1 });
    expect(p.relocations).toEqual([{ insn: 0, kind: "map", target: "b" }]);
  });

  it("an undefined symbol (extern) without BTF to say which kind", () => {
    const built = synthetic({
      sections: [{ name: "xdp", code: [CALL_LOCAL(-1), MOV0, EXIT] }],
      symbols: [{ name: "prog", shndx: 1, type: FUNC, size: 24 }, { name: "bpf_kfunc", shndx: 0, type: 0 }],
      relocs: { xdp: [{ offset: 0, symbol: 2, type: R_BPF.R64_32 }] },
    });
    const err = programError(loadObject(built.bytes));
    expect(err.message).toMatch(/'bpf_kfunc' is undefined \(an extern\) in this object, and no BTF declares it: a kfunc is resolved from its BTF declaration/);
    expect(err.where.offset).toBe(relEntry(built, 1));
  });

  it("a global-data offset outside its section", () => {
    const built = synthetic({
      sections: [{ name: "xdp", code: [...LDDW(1, 64), MOV0, EXIT] }, { name: ".data", data: new Uint8Array(16) }],
      symbols: [{ name: "prog", shndx: 1, type: FUNC, size: 32 }, { name: ".data", shndx: 2, type: SECTION, bind: 0 }],
      relocs: { xdp: [{ offset: 0, symbol: 2, type: R_BPF.R64_64 }] },
    });
    const err = programError(loadObject(built.bytes));
    expect(err.message).toMatch(/offset 64 lies outside global data section '.data' \(16 bytes\)/);
  });

  it("an lddw of a map fd with no relocation (the kernel would read its imm as a file descriptor)", () => {
    const built = withMap([insn(0x18, 1, 1, 0, 0), insn(0, 0, 0, 0, 0), MOV0, EXIT], {});
    const err = programError(loadObject(built.bytes));
    expect(err.message).toBe("program 'prog' (section 'xdp'): insn 0 of 'xdp' (in 'prog') is an lddw of src 1 (a map or BTF reference) with no relocation: its imm 0 would be a file descriptor, and an object names its maps through relocations");
    expect(err.where.offset).toBe(built.dataOffset[1]);
  });

  it("a relocation that does not point at an instruction (the whole object is refused)", () => {
    const built = withMap([...LDDW(1), MOV0, EXIT], { xdp: [{ offset: 4, symbol: 2, type: R_BPF.ABS32 }] });
    const err = refusal(() => loadObject(built.bytes));
    expect(err.message).toMatch(/R_BPF_64_ABS32 at 'xdp'\+0x4 does not point at an instruction/);
    expect(err.where.offset).toBe(relEntry(built, 3));
  });

  it("two relocations on one instruction (the whole object is refused)", () => {
    const built = withMap([...LDDW(1), MOV0, EXIT], { xdp: [{ offset: 0, symbol: 2, type: R_BPF.R64_64 }, { offset: 0, symbol: 2, type: R_BPF.R64_64 }] });
    const err = refusal(() => loadObject(built.bytes));
    expect(err.message).toMatch(/two relocations patch 'xdp'\+0x0 \(insn 0\)/);
    expect(err.where.offset).toBe(relEntry(built, 3, 1));
  });
});

describe("code layout", () => {
  const one = (code: Insn[], size = code.length * 8, extra: SyntheticSpec["symbols"] = []) => synthetic({
    sections: [{ name: "xdp", code }],
    symbols: [{ name: "prog", shndx: 1, type: FUNC, size }, ...extra],
  });

  it("a call to a slot outside every function", () => {
    const built = one([CALL_LOCAL(10), MOV0, EXIT]);
    const err = programError(loadObject(built.bytes));
    expect(err.message).toMatch(/insn 0 of 'xdp' \(in 'prog'\) calls slot 11 of 'xdp', which is outside every function there/);
    expect(err.where.offset).toBe(built.dataOffset[1]!);
  });

  it("a jump out of its function", () => {
    const built = one([JA(2), MOV0, EXIT, MOV0, EXIT], 24, [{ name: "other", shndx: 1, type: FUNC, value: 24, size: 16 }]);
    const err = programError(loadObject(built.bytes));
    expect(err.message).toMatch(/insn 0 of 'xdp' jumps to slot 3, outside its function 'prog' \(slots 0..2\)/);
    expect(err.where.offset).toBe(built.dataOffset[1]!);
    const ok = one([JA(1), MOV0, EXIT], 24);
    expect(loadObject(ok.bytes).programs[0]!.error).toBeUndefined();
    const far = one([JA(5), MOV0, EXIT], 24);
    expect(programError(loadObject(far.bytes)).message).toMatch(/jumps to slot 6, outside its function/);
  });

  it("an lddw cut by the end of its function", () => {
    const built = one([MOV0, ...LDDW(1)], 16);
    const err = programError(loadObject(built.bytes));
    expect(err.message).toMatch(/insn 1 of 'xdp' is an lddw whose second slot lies outside function 'prog'/);
    expect(err.where.offset).toBe(built.dataOffset[1]! + 8);
  });

  it("functions that overlap", () => {
    const built = one([MOV0, EXIT, MOV0, EXIT], 24, [{ name: "g", shndx: 1, type: FUNC, value: 16, size: 16 }]);
    const err = refusal(() => loadObject(built.bytes));
    expect(err.message).toMatch(/function 'prog' \('xdp' slots 0..2\) overlaps the next function, at slot 2/);
    expect(err.where.offset).toBe(built.dataOffset[2]! + 24 + 16); // prog's st_size
  });

  it("a code section that is not a whole number of instructions", () => {
    const built = synthetic({ sections: [{ name: "xdp", data: new Uint8Array(12), flags: 0x6 }], symbols: [] });
    const err = refusal(() => loadObject(built.bytes));
    expect(err.message).toMatch(/code section 'xdp' is 12 bytes, not a whole number of 8-byte instructions/);
    expect(err.where.offset).toBe(built.headerOffset(1) + 32);
  });

  it("a section name that names no program type: loaded, reported unsupported", () => {
    const built = synthetic({ sections: [{ name: "mystery", code: [MOV0, EXIT] }], symbols: [{ name: "prog", shndx: 1, type: FUNC, size: 16 }] });
    const p = loadObject(built.bytes).programs[0]!;
    expect(p.type).toBeUndefined();
    expect(p.unsupported).toMatch(/section 'mystery' names no program type/);
  });

  it("a code section without symbols is one program named after the section", () => {
    const built = synthetic({ sections: [{ name: "socket", code: [MOV0, EXIT] }], symbols: [] });
    expect(loadObject(built.bytes).programs.map((p) => [p.name, p.type, p.insns.length])).toEqual([["socket", "socket_filter", 2]]);
  });
});

describe("the reader's refusals come through with their offsets", () => {
  const bytes = () => corpus("xdp_firewall");
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);
  const shoff = (b: Uint8Array) => Number(view(b).getBigUint64(40, true));

  it("a section offset past the end of the file", () => {
    const b = bytes();
    const h = shoff(b) + 3 * 64;
    view(b).setBigUint64(h + 24, BigInt(b.length), true);
    const err = refusal(() => loadObject(b));
    expect(err.where.offset).toBe(h + 24);
  });

  it("overlapping sections", () => {
    const b = bytes();
    const h3 = shoff(b) + 3 * 64;
    const h4 = shoff(b) + 4 * 64;
    view(b).setBigUint64(h4 + 24, view(b).getBigUint64(h3 + 24, true), true);
    expect(refusal(() => loadObject(b)).message).toMatch(/overlaps/);
  });

  it("a relocation symbol index out of range", () => {
    const b = bytes();
    const obj = loadObject(bytes());
    const rel = obj.elf.relocations.find((r) => obj.elf.sections[r.target]!.name === "xdp")!;
    const entry = rel.entries[0]!.entryOffset;
    view(b).setUint32(entry + 12, 9999, true);
    const err = refusal(() => loadObject(b));
    expect(err.message).toMatch(/symbol index 9999 is out of range/);
    expect(err.where.offset).toBe(entry + 8);
  });

  it("a relocation outside its section", () => {
    const b = bytes();
    const obj = loadObject(bytes());
    const rel = obj.elf.relocations.find((r) => obj.elf.sections[r.target]!.name === "xdp")!;
    const entry = rel.entries[0]!.entryOffset;
    view(b).setBigUint64(entry, 0x100000n, true);
    const err = refusal(() => loadObject(b));
    expect(err.message).toMatch(/patches bytes outside section/);
    expect(err.where.offset).toBe(entry);
  });

  it("bad BTF inside a real object: the offset is in the file, inside .BTF", () => {
    const b = bytes();
    const btf = loadObject(bytes()).elf.sectionsByName.get(".BTF")!;
    view(b).setUint32(btf.offset + 24 + 4, 31 << 24, true); // type 1's info: kind 31
    const err = refusal(() => loadObject(b));
    expect(err.message).toMatch(/^BTF: type 1: unknown kind 31/);
    expect(err.where.offset).toBe(btf.offset + 24 + 4);
  });
});
