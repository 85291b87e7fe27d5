// Code sections (SHT_PROGBITS with SHF_EXECINSTR): their instructions, the functions their
// FUNC symbols delimit, and their relocations by instruction slot. Program sections and `.text`
// are read the same way; the linker (link.ts) decides what is an entry point.

import { BpfError } from "../../errors.js";
import { decode, INSN_SIZE, type Insn } from "../../isa/instruction.js";
import { hex } from "../bytes.js";
import { R_BPF, SHF, SHT, STB, STT } from "../constants.js";
import { relocationsFor, type ElfObject } from "../object.js";
import type { ElfRelocation } from "../relocations.js";
import { SHDR, type ElfSection } from "../sections.js";
import { SYMBOL_FIELDS, type ElfSymbol } from "../symbols.js";

/** A function: slots [start, end) of its section. */
export interface CodeFunction {
  readonly name: string;
  readonly section: ElfSection;
  readonly start: number;
  readonly end: number;
  /** Global or weak binding: a program entry point when in a program section. */
  readonly global: boolean;
  readonly symbol?: ElfSymbol;
}

export function isCodeSection(s: ElfSection): boolean {
  return s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0;
}

export class CodeSection {
  readonly insns: readonly Insn[];
  readonly functions: readonly CodeFunction[];
  /** Relocations by the slot they patch (the first slot of an lddw). */
  readonly relocs: ReadonlyMap<number, ElfRelocation>;

  constructor(elf: ElfObject, readonly section: ElfSection) {
    if (section.size % INSN_SIZE !== 0) {
      throw new BpfError(`code section '${section.name}' is ${section.size} bytes, not a whole number of ${INSN_SIZE}-byte instructions`, {
        offset: section.headerOffset + SHDR.SIZE,
      });
    }
    this.insns = decode(section.data);
    this.functions = functionsOf(elf, section, this.insns.length);
    this.relocs = relocationsBySlot(elf, section);
  }

  /** The function holding slot `slot`, if any. */
  containing(slot: number): CodeFunction | undefined {
    return this.functions.find((f) => f.start <= slot && slot < f.end);
  }
}

/** Code sections read once each, on demand. */
export class CodeIndex {
  private readonly cache = new Map<number, CodeSection>();

  constructor(private readonly elf: ElfObject) {}

  get(index: number): CodeSection {
    let code = this.cache.get(index);
    if (!code) {
      code = new CodeSection(this.elf, this.elf.sections[index]!);
      this.cache.set(index, code);
    }
    return code;
  }
}

function functionsOf(elf: ElfObject, section: ElfSection, slots: number): CodeFunction[] {
  const symbols = elf.symbols.filter((s) => s.shndx === section.index && s.type === STT.FUNC);
  for (const s of symbols) {
    if (s.value % INSN_SIZE !== 0 || s.size % INSN_SIZE !== 0) {
      throw new BpfError(
        `function '${s.name}' at '${section.name}'+${hex(s.value)} (${s.size} bytes) is not aligned to ${INSN_SIZE}-byte instructions`,
        { offset: s.entryOffset + SYMBOL_FIELDS.VALUE },
      );
    }
  }
  // Aliases (two symbols, one start): keep the global one, as it is the name programs have.
  const byStart = new Map<number, ElfSymbol>();
  for (const s of symbols) {
    const start = s.value / INSN_SIZE;
    const other = byStart.get(start);
    if (!other || (other.bind === STB.LOCAL && s.bind !== STB.LOCAL)) byStart.set(start, s);
  }
  const starts = [...byStart.keys()].sort((a, b) => a - b);
  const functions = starts.map((start, k): CodeFunction => {
    const s = byStart.get(start)!;
    const next = starts[k + 1] ?? slots;
    const end = s.size > 0 ? start + s.size / INSN_SIZE : next;
    if (end > next) {
      throw new BpfError(
        `function '${s.name}' ('${section.name}' slots ${start}..${end - 1}) overlaps the next function, at slot ${next}`,
        { offset: s.entryOffset + SYMBOL_FIELDS.SIZE },
      );
    }
    return { name: s.name, section, start, end, global: s.bind !== STB.LOCAL, symbol: s };
  });
  // Code no symbol describes (hand-written objects): one function, the whole section.
  if (functions.length === 0 && slots > 0) functions.push({ name: section.name, section, start: 0, end: slots, global: true });
  return functions;
}

function relocationsBySlot(elf: ElfObject, section: ElfSection): Map<number, ElfRelocation> {
  const bySlot = new Map<number, ElfRelocation>();
  for (const r of relocationsFor(elf, section.index)) {
    if (r.type === R_BPF.NONE) continue;
    if (r.offset % INSN_SIZE !== 0) {
      throw new BpfError(
        `${r.typeName} at '${section.name}'+${hex(r.offset)} does not point at an instruction (offset not a multiple of ${INSN_SIZE})`,
        { offset: r.entryOffset },
      );
    }
    const slot = r.offset / INSN_SIZE;
    if (bySlot.has(slot)) {
      throw new BpfError(`two relocations patch '${section.name}'+${hex(r.offset)} (insn ${slot})`, { offset: r.entryOffset });
    }
    bySlot.set(slot, r);
  }
  return bySlot;
}
