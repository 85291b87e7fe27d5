// ELF constants the BPF loader reads, named as in the System V gABI (elf.h) and, for the
// relocation types, as in LLVM's BPF backend (llvm/BinaryFormat/ELFRelocs/BPF.def), which is
// what clang -target bpf emits and what libbpf and the kernel's tools understand.

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ET_REL = 1;
/** e_machine of eBPF objects (gABI registry; linux/elf-em.h EM_BPF). */
export const EM_BPF = 247;

export const ELF64_HEADER_SIZE = 64;
export const ELF64_SHDR_SIZE = 64;
export const ELF64_SYM_SIZE = 24;
export const ELF64_REL_SIZE = 16;
export const ELF64_RELA_SIZE = 24;

/** Special section indices (gABI "Special Section Indexes"). */
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  NOBITS: 8,
  REL: 9,
  SYMTAB_SHNDX: 18,
} as const;

export const SHF = {
  WRITE: 0x1,
  ALLOC: 0x2,
  EXECINSTR: 0x4,
} as const;

export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;

/** BPF relocation types (LLVM BPF.def; described in the kernel's Documentation/bpf/llvm_reloc.rst). */
export const R_BPF = {
  NONE: 0,
  /** lddw (two slots): imm pair = S + A; map references and global data. */
  R64_64: 1,
  /** 8-byte data word = S + A (DWARF). */
  ABS64: 2,
  /** 4-byte data word = S + A (DWARF, BTF). */
  ABS32: 3,
  /** 4-byte data word not resolved by dynamic linkers (.BTF.ext). */
  NODYLD32: 4,
  /** call imm = (S + A) / 8 - 1: bpf-to-bpf calls. */
  R64_32: 10,
} as const;

/** Relocation type → its name and how many bytes at r_offset it patches. */
export const RELOCATION_TYPES: ReadonlyMap<number, { name: string; width: number }> = new Map([
  [R_BPF.NONE, { name: "R_BPF_NONE", width: 0 }],
  [R_BPF.R64_64, { name: "R_BPF_64_64", width: 16 }],
  [R_BPF.ABS64, { name: "R_BPF_64_ABS64", width: 8 }],
  [R_BPF.ABS32, { name: "R_BPF_64_ABS32", width: 4 }],
  [R_BPF.NODYLD32, { name: "R_BPF_64_NODYLD32", width: 4 }],
  [R_BPF.R64_32, { name: "R_BPF_64_32", width: 8 }],
]);

const SECTION_TYPE_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(SHT).map(([name, value]) => [value, `SHT_${name}`]),
);

export function sectionTypeName(type: number): string {
  return SECTION_TYPE_NAMES.get(type) ?? `section type 0x${type.toString(16)}`;
}

export function relocationTypeName(type: number): string {
  return RELOCATION_TYPES.get(type)?.name ?? `relocation type ${type}`;
}
