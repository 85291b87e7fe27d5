// Objects for the loader tests: the program corpus, the loader's own clang fixtures
// (test/loader/fixtures, rebuilt by fixtures/build.sh), and small synthetic objects built with
// test/elf/elf-builder.ts so one field can be broken at a known offset.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { R_BPF, SHF, SHT, STT } from "../../vm/elf/index.js";
import { encode, type Insn } from "../../vm/isa/instruction.js";
import { buildElf, relEntries, symbolTable, type BuiltElf, type SectionSpec, type SymbolSpec } from "../elf/elf-builder.js";

const ROOT = join(import.meta.dirname, "..", "..");
export const CORPUS_DIR = join(ROOT, "corpus", "programs");
export const FIXTURE_DIR = join(ROOT, "test", "loader", "fixtures");

export const corpusFile = (name: string): string => join(CORPUS_DIR, `${name}.o`);
export const fixtureFile = (name: string): string => join(FIXTURE_DIR, `${name}.o`);
export const corpus = (name: string): Uint8Array => new Uint8Array(readFileSync(corpusFile(name)));
export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(fixtureFile(name)));

export const CORPUS_NAMES = readdirSync(CORPUS_DIR).filter((f) => f.endsWith(".o")).map((f) => f.slice(0, -2)).sort();
export const FIXTURE_NAMES = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith(".o")).map((f) => f.slice(0, -2)).sort();

/**
 * Fixture programs no verifier lets through, with the kernel's reason: unsafe.o reads the packet
 * without a bounds check; devmap_egress.o's plain XDP program reads egress_ifindex (DEVMAP
 * programs only). By "object:program", or by object for all of its programs.
 */
const REFUSED_FIXTURES: Readonly<Record<string, RegExp>> = {
  unsafe: /invalid access to packet/,
  "devmap_egress:plain_xdp": /invalid bpf_context access off=20 size=4/,
};

/** Why the kernel refuses fixture `file`'s program `program`, or undefined when it accepts it. */
export const refusedFixture = (file: string, program: string): RegExp | undefined => REFUSED_FIXTURES[`${file}:${program}`] ?? REFUSED_FIXTURES[file];

export { R_BPF, SHF, SHT, STT };

/** What a synthetic object holds. Symbols' shndx count sections from 1 in `sections` order. */
export interface SyntheticSpec {
  readonly sections: ReadonlyArray<{ name: string; code?: Insn[]; data?: Uint8Array; nobits?: number; flags?: number }>;
  readonly symbols: readonly SymbolSpec[];
  /** Relocations by the name of the section they patch. */
  readonly relocs?: Readonly<Record<string, ReadonlyArray<{ offset: number; symbol: number; type: number }>>>;
}

/**
 * Build it: the given sections (1..n), then .symtab, .strtab and one .rel<name> per patched
 * section. Symbol indices in relocations count from 1 (0 is the null symbol).
 */
export function synthetic(spec: SyntheticSpec): BuiltElf {
  const n = spec.sections.length;
  const symtabIndex = n + 1;
  const { symtab, strtab } = symbolTable(spec.symbols);
  const sections: SectionSpec[] = spec.sections.map((s) => {
    if (s.code) return { name: s.name, type: SHT.PROGBITS, flags: s.flags ?? SHF.ALLOC | SHF.EXECINSTR, data: encode(s.code) };
    if (s.nobits !== undefined) return { name: s.name, type: SHT.NOBITS, flags: s.flags ?? SHF.ALLOC | SHF.WRITE, size: s.nobits };
    return { name: s.name, type: SHT.PROGBITS, flags: s.flags ?? SHF.ALLOC | SHF.WRITE, data: s.data ?? new Uint8Array(0) };
  });
  sections.push({ name: ".symtab", type: SHT.SYMTAB, link: n + 2, info: 1, entsize: 24, data: symtab });
  sections.push({ name: ".strtab", type: SHT.STRTAB, data: strtab });
  for (const [target, entries] of Object.entries(spec.relocs ?? {})) {
    const index = spec.sections.findIndex((s) => s.name === target) + 1;
    sections.push({ name: `.rel${target}`, type: SHT.REL, link: symtabIndex, info: index, entsize: 16, data: relEntries(entries) });
  }
  return buildElf(sections);
}

/** A legacy `maps` section of `count` records of `size` bytes (type, key, value, max_entries, flags). */
export function legacyMaps(records: ReadonlyArray<readonly number[]>, size: number): Uint8Array {
  const out = new Uint8Array(records.length * size);
  const view = new DataView(out.buffer);
  records.forEach((r, i) => r.forEach((w, k) => {
    if (4 * k + 4 <= size) view.setUint32(i * size + 4 * k, w, true);
  }));
  return out;
}

export const FUNC = STT.FUNC;
export const OBJECT = STT.OBJECT;
export const SECTION = STT.SECTION;
