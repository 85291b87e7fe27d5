// parseElf: the whole relocatable object as data — header, sections (by index and by name),
// symbols and relocations — checked for consistency, with nothing interpreted yet. Loaders
// build on it: elfFunction (one function, for the bpf_conformance plugin's --elf mode) now, the
// full program/map loader of issue 5 later (program sections, maps, BTF, global data).

import { ElfBytes } from "./bytes.js";
import { parseHeader, type ElfHeader } from "./header.js";
import { parseRelocations, type ElfRelocation, type ElfRelocationSection } from "./relocations.js";
import { parseSections, type ElfSection } from "./sections.js";
import { parseSymbols, type ElfSymbol } from "./symbols.js";

export interface ElfObject {
  /** The file as given (sections' data are views into it). */
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  /** All sections by index; index 0 is the null section. */
  readonly sections: readonly ElfSection[];
  /** Sections by name (the first one when a name repeats). */
  readonly sectionsByName: ReadonlyMap<string, ElfSection>;
  /** The symbol table by index; empty when the object has none. */
  readonly symbols: readonly ElfSymbol[];
  readonly relocations: readonly ElfRelocationSection[];
}

/**
 * Parse an ELF64 little-endian EM_BPF relocatable object. Malformed input (truncation, bad
 * magic/class/byte order/machine, sections past the end or overlapping, bad string or symbol
 * indices, relocations outside their section) throws a BpfError whose `where.offset` is the
 * byte offset of the offending field or data.
 */
export function parseElf(bytes: Uint8Array): ElfObject {
  const file = new ElfBytes(bytes);
  const header = parseHeader(file);
  const sections = parseSections(file, header);
  const symbols = parseSymbols(file, sections);
  const relocations = parseRelocations(file, sections, symbols);
  const sectionsByName = new Map<string, ElfSection>();
  for (const s of sections) {
    if (s.index !== 0 && !sectionsByName.has(s.name)) sectionsByName.set(s.name, s);
  }
  return { bytes, header, sections, sectionsByName, symbols, relocations };
}

/** The relocations that patch section `index`, in file order (all REL/RELA sections merged). */
export function relocationsFor(obj: ElfObject, index: number): ElfRelocation[] {
  return obj.relocations.filter((r) => r.target === index).flatMap((r) => [...r.entries]);
}
