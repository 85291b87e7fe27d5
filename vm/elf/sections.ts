// The section header table (gABI "Sections"). Each section's bytes are checked to lie inside
// the file, and no two sections (nor a section and the ELF header or the section header table)
// may share bytes: a loader that trusted overlapping sections could read a relocation table as
// code. Names come from the section-name string table (e_shstrndx).

import { BpfError } from "../errors.js";
import { ElfBytes, hex } from "./bytes.js";
import { ELF64_HEADER_SIZE, ELF64_SHDR_SIZE, SHN_LORESERVE, SHN_XINDEX, SHT, sectionTypeName } from "./constants.js";
import { HEADER_FIELDS, type ElfHeader } from "./header.js";
import { StringTable } from "./strings.js";

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  /** File offset of the contents (meaningless for SHT_NOBITS). */
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  /** The contents: a view into the file (empty for SHT_NOBITS such as .bss). */
  readonly data: Uint8Array;
  /** File offset of this section's header, for messages about its fields. */
  readonly headerOffset: number;
}

/** Byte offsets of the fields inside one ELF64 section header. */
export const SHDR = {
  NAME: 0, TYPE: 4, FLAGS: 8, ADDR: 16, OFFSET: 24, SIZE: 32, LINK: 40, INFO: 44, ADDRALIGN: 48, ENTSIZE: 56,
} as const;

type RawSection = Omit<ElfSection, "name" | "data"> & { nameIndex: number };

export function parseSections(file: ElfBytes, header: ElfHeader): ElfSection[] {
  if (header.shoff === 0) {
    throw new BpfError("the object has no section header table (e_shoff = 0)", { offset: HEADER_FIELDS.E_SHOFF });
  }
  file.need(header.shoff, ELF64_SHDR_SIZE, `section header table (at ${hex(header.shoff)})`, HEADER_FIELDS.E_SHOFF);
  const first = readSectionHeader(file, header.shoff, 0);
  const count = header.shnum !== 0 ? header.shnum : first.size; // extended numbering (gABI)
  if (count === 0 || !Number.isSafeInteger(count)) {
    throw new BpfError(`the section header table has ${count} entries`, { offset: HEADER_FIELDS.E_SHNUM });
  }
  file.need(header.shoff, count * ELF64_SHDR_SIZE, `section header table (${count} entries at ${hex(header.shoff)})`,
    HEADER_FIELDS.E_SHOFF);
  const raw = [first];
  for (let i = 1; i < count; i++) raw.push(readSectionHeader(file, header.shoff + i * ELF64_SHDR_SIZE, i));

  raw.forEach((s) => checkContents(file, s));
  checkOverlaps(raw, header.shoff, count);

  const names = sectionNameTable(file, raw, header);
  return raw.map((s) => ({
    index: s.index,
    name: s.index === 0 ? "" : names.get(s.nameIndex, `section ${s.index} name (sh_name)`, s.headerOffset + SHDR.NAME),
    type: s.type,
    flags: s.flags,
    addr: s.addr,
    offset: s.offset,
    size: s.size,
    link: s.link,
    info: s.info,
    addralign: s.addralign,
    entsize: s.entsize,
    data: s.type === SHT.NOBITS || s.size === 0 ? new Uint8Array(0) : file.slice(s.offset, s.size, "section contents"),
    headerOffset: s.headerOffset,
  }));
}

/** A section's string table, for names: the section must be a string table. */
export function stringTableOf(section: ElfSection | undefined, what: string, at: number): StringTable {
  if (!section) {
    throw new BpfError(`${what}: no such section`, { offset: at });
  }
  if (section.type !== SHT.STRTAB) {
    throw new BpfError(
      `${what}: section ${section.index} '${section.name}' is ${sectionTypeName(section.type)}, not a string table (SHT_STRTAB)`,
      { offset: at },
    );
  }
  return new StringTable(section.data, section.offset, section.index);
}

function readSectionHeader(file: ElfBytes, at: number, index: number): RawSection {
  const field = (name: string) => `section header ${index}: ${name}`;
  return {
    index,
    headerOffset: at,
    nameIndex: file.u32(at + SHDR.NAME, field("sh_name")),
    type: file.u32(at + SHDR.TYPE, field("sh_type")),
    flags: file.u64(at + SHDR.FLAGS, field("sh_flags")),
    addr: file.u64(at + SHDR.ADDR, field("sh_addr")),
    offset: file.u64(at + SHDR.OFFSET, field("sh_offset")),
    size: file.u64(at + SHDR.SIZE, field("sh_size")),
    link: file.u32(at + SHDR.LINK, field("sh_link")),
    info: file.u32(at + SHDR.INFO, field("sh_info")),
    addralign: file.u64(at + SHDR.ADDRALIGN, field("sh_addralign")),
    entsize: file.u64(at + SHDR.ENTSIZE, field("sh_entsize")),
  };
}

function occupiesFile(s: RawSection): boolean {
  return s.index !== 0 && s.type !== SHT.NOBITS && s.type !== SHT.NULL && s.size > 0;
}

function checkContents(file: ElfBytes, s: RawSection): void {
  if (!occupiesFile(s)) return;
  file.need(s.offset, s.size, `section ${s.index} contents (sh_offset ${hex(s.offset)}, sh_size ${s.size})`,
    s.headerOffset + SHDR.OFFSET);
}

interface Extent {
  readonly start: number;
  readonly end: number;
  readonly what: string;
  /** Byte offset to report when this extent is the one found overlapping. */
  readonly at: number;
}

function checkOverlaps(raw: readonly RawSection[], shoff: number, count: number): void {
  const extents: Extent[] = [
    { start: 0, end: ELF64_HEADER_SIZE, what: "the ELF header", at: 0 },
    { start: shoff, end: shoff + count * ELF64_SHDR_SIZE, what: "the section header table", at: shoff },
  ];
  for (const s of raw) {
    if (occupiesFile(s)) {
      extents.push({ start: s.offset, end: s.offset + s.size, what: `section ${s.index}`, at: s.offset });
    }
  }
  extents.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < extents.length; i++) {
    const prev = extents[i - 1]!;
    const next = extents[i]!;
    if (next.start < prev.end) {
      throw new BpfError(
        `${next.what} (bytes ${hex(next.start)}..${hex(next.end)}) overlaps ${prev.what} (bytes ${hex(prev.start)}..${hex(prev.end)})`,
        { offset: next.at },
      );
    }
  }
}

function sectionNameTable(file: ElfBytes, raw: readonly RawSection[], header: ElfHeader): StringTable {
  // e_shstrndx = SHN_XINDEX: the real index is in section 0's sh_link (gABI extended numbering).
  const index = header.shstrndx === SHN_XINDEX ? raw[0]!.link : header.shstrndx;
  if (index === 0 || index >= raw.length || (header.shstrndx >= SHN_LORESERVE && header.shstrndx !== SHN_XINDEX)) {
    throw new BpfError(
      `e_shstrndx ${index} does not name a section (the object has ${raw.length})`,
      { offset: HEADER_FIELDS.E_SHSTRNDX },
    );
  }
  const s = raw[index]!;
  if (s.type !== SHT.STRTAB) {
    throw new BpfError(
      `e_shstrndx names section ${index}, which is ${sectionTypeName(s.type)}, not a string table (SHT_STRTAB)`,
      { offset: HEADER_FIELDS.E_SHSTRNDX },
    );
  }
  const data = s.size === 0 ? new Uint8Array(0) : file.slice(s.offset, s.size, "section name string table");
  return new StringTable(data, s.offset, index);
}
