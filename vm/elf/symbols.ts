// The symbol table (gABI "Symbol Table"): an object has at most one SHT_SYMTAB, linked
// (sh_link) to the string table holding the names. Symbols name programs (functions in code
// sections), maps (objects in .maps / maps) and the targets of relocations.

import { BpfError } from "../errors.js";
import { ElfBytes, hex } from "./bytes.js";
import { ELF64_SYM_SIZE, SHN_ABS, SHN_COMMON, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT, STT } from "./constants.js";
import { SHDR, stringTableOf, type ElfSection } from "./sections.js";

export interface ElfSymbol {
  /** Index in the symbol table (what relocations refer to). */
  readonly index: number;
  readonly name: string;
  readonly value: number;
  readonly size: number;
  /** STB_* binding (st_info >> 4). */
  readonly bind: number;
  /** STT_* type (st_info & 0xf). */
  readonly type: number;
  /** STV_* visibility (st_other & 3). */
  readonly visibility: number;
  /** st_shndx as stored: a section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  readonly shndx: number;
  /** File offset of this symbol's entry, for messages. */
  readonly entryOffset: number;
}

const ST = { NAME: 0, INFO: 4, OTHER: 5, SHNDX: 6, VALUE: 8, SIZE: 16 } as const;

/** The symbol table section, if the object has one (more than one is malformed). */
export function findSymbolTable(sections: readonly ElfSection[]): ElfSection | undefined {
  const tables = sections.filter((s) => s.type === SHT.SYMTAB);
  if (tables.length > 1) {
    throw new BpfError(
      `the object has ${tables.length} symbol tables (sections ${tables.map((s) => s.index).join(", ")}); ELF allows one`,
      { offset: tables[1]!.headerOffset + SHDR.TYPE },
    );
  }
  return tables[0];
}

export function parseSymbols(file: ElfBytes, sections: readonly ElfSection[]): ElfSymbol[] {
  const table = findSymbolTable(sections);
  if (!table) return [];
  if (table.entsize !== ELF64_SYM_SIZE) {
    throw new BpfError(
      `symbol table section ${table.index}: sh_entsize is ${table.entsize}, expected ${ELF64_SYM_SIZE}`,
      { offset: table.headerOffset + SHDR.ENTSIZE },
    );
  }
  if (table.size % ELF64_SYM_SIZE !== 0) {
    throw new BpfError(
      `symbol table section ${table.index}: size ${table.size} is not a multiple of ${ELF64_SYM_SIZE}`,
      { offset: table.headerOffset + SHDR.SIZE },
    );
  }
  const names = stringTableOf(sections[table.link], `symbol table section ${table.index} sh_link ${table.link}`,
    table.headerOffset + SHDR.LINK);
  const count = table.size / ELF64_SYM_SIZE;
  const symbols: ElfSymbol[] = new Array(count);
  for (let i = 0; i < count; i++) {
    symbols[i] = readSymbol(file, table.offset + i * ELF64_SYM_SIZE, i, names, sections);
  }
  return symbols;
}

function readSymbol(
  file: ElfBytes,
  at: number,
  index: number,
  names: ReturnType<typeof stringTableOf>,
  sections: readonly ElfSection[],
): ElfSymbol {
  const what = (field: string) => `symbol ${index}: ${field}`;
  const info = file.u8(at + ST.INFO, what("st_info"));
  const symbol: ElfSymbol = {
    index,
    name: names.get(file.u32(at + ST.NAME, what("st_name")), what("st_name"), at + ST.NAME),
    value: file.u64(at + ST.VALUE, what("st_value")),
    size: file.u64(at + ST.SIZE, what("st_size")),
    bind: info >> 4,
    type: info & 0xf,
    visibility: file.u8(at + ST.OTHER, what("st_other")) & 3,
    shndx: file.u16(at + ST.SHNDX, what("st_shndx")),
    entryOffset: at,
  };
  checkPlacement(symbol, sections);
  return symbol;
}

/** A symbol defined in a section must name a section that exists and lie inside it. */
function checkPlacement(sym: ElfSymbol, sections: readonly ElfSection[]): void {
  const label = `symbol ${sym.index}${sym.name ? ` '${sym.name}'` : ""}`;
  if (sym.shndx === SHN_UNDEF || sym.shndx === SHN_ABS || sym.shndx === SHN_COMMON) return;
  if (sym.shndx === SHN_XINDEX) {
    throw new BpfError(`${label}: st_shndx is SHN_XINDEX (SHT_SYMTAB_SHNDX) and is not supported`, {
      offset: sym.entryOffset + ST.SHNDX,
    });
  }
  if (sym.shndx >= SHN_LORESERVE || sym.shndx >= sections.length) {
    throw new BpfError(
      `${label}: st_shndx ${sym.shndx} is not a section of this object (it has ${sections.length})`,
      { offset: sym.entryOffset + ST.SHNDX },
    );
  }
  if (sym.type !== STT.FUNC && sym.type !== STT.OBJECT) return;
  const section = sections[sym.shndx]!;
  if (sym.value > section.size || sym.size > section.size - sym.value) {
    throw new BpfError(
      `${label}: bytes ${hex(sym.value)}..${hex(sym.value + sym.size)} lie outside section ${section.index} '${section.name}' (${section.size} bytes)`,
      { offset: sym.entryOffset + ST.VALUE },
    );
  }
}

export const SYMBOL_FIELDS = ST;
