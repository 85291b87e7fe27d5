// A tiny ELF64 writer for tests: builds well-formed EM_BPF relocatable objects (like the
// bpf_conformance runner's writer does) so tests can break exactly one field and know the byte
// offset the reader must report. Layout: ELF header, section contents (8-aligned, in index
// order), then the section header table. Section 1.. are the given ones; the section-name
// string table is appended last.

import { EM_BPF, SHT } from "../../vm/elf/index.js";

export interface SectionSpec {
  name: string;
  type: number;
  flags?: number;
  data?: Uint8Array;
  /** For SHT_NOBITS: the size to claim. */
  size?: number;
  link?: number;
  info?: number;
  entsize?: number;
  addralign?: number;
}

export interface BuiltElf {
  bytes: Uint8Array;
  /** Offset of the section header table. */
  shoff: number;
  /** File offset of each section's contents, by section index. */
  dataOffset: number[];
  /** File offset of each section's header, by section index. */
  headerOffset: (index: number) => number;
  shstrndx: number;
}

export interface BuildOptions {
  machine?: number;
}

export function buildElf(specs: readonly SectionSpec[], options: BuildOptions = {}): BuiltElf {
  const names = new StringTableBuilder();
  const nameIndex = specs.map((s) => names.add(s.name));
  const shstrName = names.add(".shstrtab");
  const all: Array<SectionSpec & { nameIndex: number }> = [
    ...specs.map((s, i) => ({ ...s, nameIndex: nameIndex[i]! })),
    { name: ".shstrtab", type: SHT.STRTAB, data: names.bytes(), nameIndex: shstrName },
  ];
  const chunks: Uint8Array[] = [];
  let at = 64;
  const dataOffset = [0];
  for (const s of all) {
    at = align(at, 8);
    dataOffset.push(at);
    if (s.type !== SHT.NOBITS && s.data) {
      chunks.push(s.data);
      at += s.data.length;
    }
  }
  const shoff = align(at, 8);
  const count = all.length + 1;
  const out = new Uint8Array(shoff + count * 64);
  const view = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  view.setUint16(16, 1, true); // ET_REL
  view.setUint16(18, options.machine ?? EM_BPF, true);
  view.setUint32(20, 1, true);
  view.setBigUint64(40, BigInt(shoff), true);
  view.setUint16(52, 64, true);
  view.setUint16(58, 64, true);
  view.setUint16(60, count, true);
  view.setUint16(62, count - 1, true);
  all.forEach((s, i) => {
    const index = i + 1;
    if (s.type !== SHT.NOBITS && s.data) out.set(s.data, dataOffset[index]!);
    const h = shoff + index * 64;
    view.setUint32(h, s.nameIndex, true);
    view.setUint32(h + 4, s.type, true);
    view.setBigUint64(h + 8, BigInt(s.flags ?? 0), true);
    view.setBigUint64(h + 24, BigInt(dataOffset[index]!), true);
    view.setBigUint64(h + 32, BigInt(s.type === SHT.NOBITS ? (s.size ?? 0) : (s.data?.length ?? 0)), true);
    view.setUint32(h + 40, s.link ?? 0, true);
    view.setUint32(h + 44, s.info ?? 0, true);
    view.setBigUint64(h + 48, BigInt(s.addralign ?? 8), true);
    view.setBigUint64(h + 56, BigInt(s.entsize ?? 0), true);
  });
  return { bytes: out, shoff, dataOffset, headerOffset: (i) => shoff + i * 64, shstrndx: count - 1 };
}

export interface SymbolSpec {
  name: string;
  value?: number;
  size?: number;
  bind?: number;
  type?: number;
  shndx: number;
}

/** Symbol table contents (with the leading null symbol) and its string table. */
export function symbolTable(symbols: readonly SymbolSpec[]): { symtab: Uint8Array; strtab: Uint8Array } {
  const names = new StringTableBuilder();
  const symtab = new Uint8Array((symbols.length + 1) * 24);
  const view = new DataView(symtab.buffer);
  symbols.forEach((s, i) => {
    const at = (i + 1) * 24;
    view.setUint32(at, s.name ? names.add(s.name) : 0, true);
    view.setUint8(at + 4, ((s.bind ?? 1) << 4) | (s.type ?? 2));
    view.setUint16(at + 6, s.shndx, true);
    view.setBigUint64(at + 8, BigInt(s.value ?? 0), true);
    view.setBigUint64(at + 16, BigInt(s.size ?? 0), true);
  });
  return { symtab, strtab: names.bytes() };
}

/** SHT_REL contents: r_offset, then r_info = symbol << 32 | type. */
export function relEntries(entries: ReadonlyArray<{ offset: number; symbol: number; type: number }>): Uint8Array {
  const out = new Uint8Array(entries.length * 16);
  const view = new DataView(out.buffer);
  entries.forEach((e, i) => {
    view.setBigUint64(i * 16, BigInt(e.offset), true);
    view.setUint32(i * 16 + 8, e.type, true);
    view.setUint32(i * 16 + 12, e.symbol, true);
  });
  return out;
}

class StringTableBuilder {
  private readonly parts: number[] = [0];
  add(s: string): number {
    const at = this.parts.length;
    for (const c of new TextEncoder().encode(s)) this.parts.push(c);
    this.parts.push(0);
    return at;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/**
 * An object laid out the way the bpf_conformance runner's writer (ELFIO) lays it out for
 * `--elf`: section 1 is .shstrtab and also holds the symbol names (the .symtab links to it),
 * then .symtab, then the code section with one global STT_FUNC symbol covering all of it.
 */
export function conformanceStyleObject(code: Uint8Array, section = ".text", symbol = "main"): Uint8Array {
  const names = new StringTableBuilder();
  const shstrtabName = names.add(".shstrtab");
  const symtabName = names.add(".symtab");
  const codeName = names.add(section);
  const symbolName = names.add(symbol);
  const shstrtab = names.bytes();
  const symtab = new Uint8Array(48);
  const sv = new DataView(symtab.buffer);
  sv.setUint32(24, symbolName, true);
  sv.setUint8(28, (1 << 4) | 2); // STB_GLOBAL, STT_FUNC
  sv.setUint16(30, 3, true); // .text is section 3
  sv.setBigUint64(40, BigInt(code.length), true);
  const parts = [shstrtab, symtab, code];
  const offsets: number[] = [];
  let at = 64;
  for (const p of parts) {
    at = align(at, 8);
    offsets.push(at);
    at += p.length;
  }
  const shoff = align(at, 8);
  const out = new Uint8Array(shoff + 4 * 64);
  const view = new DataView(out.buffer);
  parts.forEach((p, i) => out.set(p, offsets[i]!));
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  view.setUint16(16, 1, true);
  view.setUint16(18, EM_BPF, true);
  view.setUint32(20, 1, true);
  view.setBigUint64(40, BigInt(shoff), true);
  view.setUint16(52, 64, true);
  view.setUint16(54, 56, true);
  view.setUint16(58, 64, true);
  view.setUint16(60, 4, true);
  view.setUint16(62, 1, true);
  const header = (index: number, name: number, type: number, flags: number, link: number, info: number,
    entsize: number, alignment: number) => {
    const h = shoff + index * 64;
    view.setUint32(h, name, true);
    view.setUint32(h + 4, type, true);
    view.setBigUint64(h + 8, BigInt(flags), true);
    view.setBigUint64(h + 24, BigInt(offsets[index - 1]!), true);
    view.setBigUint64(h + 32, BigInt(parts[index - 1]!.length), true);
    view.setUint32(h + 40, link, true);
    view.setUint32(h + 44, info, true);
    view.setBigUint64(h + 48, BigInt(alignment), true);
    view.setBigUint64(h + 56, BigInt(entsize), true);
  };
  header(1, shstrtabName, SHT.STRTAB, 0, 0, 0, 0, 1);
  header(2, symtabName, SHT.SYMTAB, 0, 1, 1, 24, 4);
  header(3, codeName, SHT.PROGBITS, 0x6, 0, 0, 0, 4);
  return out;
}
