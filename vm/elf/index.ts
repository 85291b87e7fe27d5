// The ELF reader's public surface. Node-free: it takes bytes, so it runs in browsers too.
export { parseElf, relocationsFor, type ElfObject } from "./object.js";
export { elfFunction } from "./function.js";
export type { ElfHeader } from "./header.js";
export type { ElfSection } from "./sections.js";
export type { ElfSymbol } from "./symbols.js";
export type { ElfRelocation, ElfRelocationSection } from "./relocations.js";
export { EM_BPF, R_BPF, SHF, SHT, STB, STT, relocationTypeName, sectionTypeName } from "./constants.js";
