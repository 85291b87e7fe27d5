// Relocation sections (gABI "Relocation"): SHT_REL (what clang -target bpf emits) and SHT_RELA.
// sh_info names the section being patched, sh_link the symbol table. Every entry must refer to a
// symbol that exists and patch bytes inside its target section; what the relocation *means* (a
// map reference on lddw, a bpf-to-bpf call, DWARF/BTF bookkeeping) is decided by the loader that
// consumes it (vm/elf/function.ts now, the full loader of issue 5 later).

import { BpfError } from "../errors.js";
import { ElfBytes, hex } from "./bytes.js";
import { ELF64_REL_SIZE, ELF64_RELA_SIZE, RELOCATION_TYPES, SHT, relocationTypeName } from "./constants.js";
import { SHDR, type ElfSection } from "./sections.js";
import { findSymbolTable, type ElfSymbol } from "./symbols.js";

export interface ElfRelocation {
  /** Byte offset inside the target section. */
  readonly offset: number;
  readonly type: number;
  /** R_BPF_* name, for messages. */
  readonly typeName: string;
  readonly symbol: ElfSymbol;
  /** Explicit addend (SHT_RELA only); SHT_REL keeps the addend in the patched bytes. */
  readonly addend?: bigint;
  /** File offset of this entry, for messages. */
  readonly entryOffset: number;
}

export interface ElfRelocationSection {
  /** The SHT_REL / SHT_RELA section itself. */
  readonly section: ElfSection;
  /** Index of the section it patches (sh_info). */
  readonly target: number;
  readonly entries: readonly ElfRelocation[];
}

const R = { OFFSET: 0, INFO: 8, ADDEND: 16 } as const;

export function parseRelocations(
  file: ElfBytes,
  sections: readonly ElfSection[],
  symbols: readonly ElfSymbol[],
): ElfRelocationSection[] {
  const relSections = sections.filter((s) => s.type === SHT.REL || s.type === SHT.RELA);
  if (relSections.length === 0) return [];
  const symtab = findSymbolTable(sections);
  return relSections.map((s) => parseRelocationSection(file, s, sections, symtab, symbols));
}

function parseRelocationSection(
  file: ElfBytes,
  rel: ElfSection,
  sections: readonly ElfSection[],
  symtab: ElfSection | undefined,
  symbols: readonly ElfSymbol[],
): ElfRelocationSection {
  const label = `relocation section ${rel.index} '${rel.name}'`;
  const entSize = rel.type === SHT.RELA ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
  if (rel.entsize !== entSize) {
    throw new BpfError(`${label}: sh_entsize is ${rel.entsize}, expected ${entSize}`, {
      offset: rel.headerOffset + SHDR.ENTSIZE,
    });
  }
  if (rel.size % entSize !== 0) {
    throw new BpfError(`${label}: size ${rel.size} is not a multiple of ${entSize}`, {
      offset: rel.headerOffset + SHDR.SIZE,
    });
  }
  if (!symtab || rel.link !== symtab.index) {
    throw new BpfError(
      `${label}: sh_link ${rel.link} is not the symbol table${symtab ? ` (section ${symtab.index})` : " (the object has none)"}`,
      { offset: rel.headerOffset + SHDR.LINK },
    );
  }
  const target = sections[rel.info];
  if (rel.info === 0 || !target || target.index === rel.index) {
    throw new BpfError(`${label}: sh_info ${rel.info} does not name a section to relocate`, {
      offset: rel.headerOffset + SHDR.INFO,
    });
  }
  const count = rel.size / entSize;
  const entries: ElfRelocation[] = new Array(count);
  for (let i = 0; i < count; i++) {
    entries[i] = readRelocation(file, rel.offset + i * entSize, rel, target, symbols, `${label} entry ${i}`);
  }
  return { section: rel, target: target.index, entries };
}

function readRelocation(
  file: ElfBytes,
  at: number,
  rel: ElfSection,
  target: ElfSection,
  symbols: readonly ElfSymbol[],
  label: string,
): ElfRelocation {
  const offset = file.u64(at + R.OFFSET, `${label}: r_offset`);
  // r_info = symbol index << 32 | type (ELF64_R_SYM / ELF64_R_TYPE).
  const type = file.u32(at + R.INFO, `${label}: r_info`);
  const symbolIndex = file.u32(at + R.INFO + 4, `${label}: r_info`);
  const symbol = symbols[symbolIndex];
  if (!symbol) {
    throw new BpfError(
      `${label}: symbol index ${symbolIndex} is out of range (the symbol table has ${symbols.length})`,
      { offset: at + R.INFO },
    );
  }
  const typeName = relocationTypeName(type);
  // Unknown types are kept (the consumer refuses them by name); they must still point inside.
  const width = Math.max(RELOCATION_TYPES.get(type)?.width ?? 1, 1);
  if (offset > target.size || width > target.size - offset) {
    throw new BpfError(
      `${label}: ${typeName} at ${hex(offset)} patches bytes outside section ${target.index} '${target.name}' (${target.size} bytes)`,
      { offset: at + R.OFFSET },
    );
  }
  const entry: ElfRelocation = { offset, type, typeName, symbol, entryOffset: at };
  if (rel.type === SHT.RELA) {
    const lo = BigInt(file.u32(at + R.ADDEND, `${label}: r_addend`));
    const hi = BigInt(file.u32(at + R.ADDEND + 4, `${label}: r_addend`));
    return { ...entry, addend: BigInt.asIntN(64, (hi << 32n) | lo) };
  }
  return entry;
}
