// What a relocation in code points at: a function (bpf-to-bpf call, callback address), a map
// definition, global data, a kfunc of this runtime (kfuncTarget), or something we cannot satisfy
// (another extern: an unknown kfunc, __ksym, __kconfig).
// The linker (link.ts) applies the result; every refusal names the relocation, its symbol and
// the instruction it patches, with the byte offset of the relocation entry.

import { BpfError } from "../../errors.js";
import type { Btf } from "../../btf/btf.js";
import { BtfKind } from "../../btf/kinds.js";
import { INSN_SIZE } from "../../isa/instruction.js";
import { hex } from "../bytes.js";
import { SHN_ABS, SHN_COMMON, SHN_UNDEF, STT } from "../constants.js";
import type { ElfObject } from "../object.js";
import type { ElfRelocation } from "../relocations.js";
import type { ElfSection } from "../sections.js";
import { isCodeSection } from "./code.js";
import { mapAt, type ObjectMap } from "./maps.js";
import { KFUNC_IDS, kfuncId } from "../../helpers/kfunc/ids.js";

export type RelocTarget =
  | { readonly kind: "code"; readonly section: ElfSection; readonly byteOffset: number }
  | { readonly kind: "map"; readonly fd: number; readonly map: ObjectMap }
  | { readonly kind: "data"; readonly fd: number; readonly map: ObjectMap; readonly byteOffset: number };

/** "R_BPF_64_64 against 'counters' at 'xdp'+0x40 (insn 8)". */
export function describeRelocation(elf: ElfObject, r: ElfRelocation, section: ElfSection): string {
  const sym = r.symbol.name || sectionSymbolName(elf, r) || `symbol ${r.symbol.index}`;
  return `${r.typeName} against '${sym}' at '${section.name}'+${hex(r.offset)} (insn ${r.offset / INSN_SIZE})`;
}

function sectionSymbolName(elf: ElfObject, r: ElfRelocation): string | undefined {
  return r.symbol.type === STT.SECTION ? elf.sections[r.symbol.shndx]?.name : undefined;
}

export function relocationError(elf: ElfObject, r: ElfRelocation, section: ElfSection, reason: string): BpfError {
  return new BpfError(`${describeRelocation(elf, r, section)}: ${reason}`, { offset: r.entryOffset });
}

/**
 * Where relocation `r` (in code section `section`) points. `addend` is the byte offset the
 * instruction carries on top of the symbol (lddw's imm; the call linker computes its own).
 */
export function relocationTarget(
  elf: ElfObject, btf: Btf | undefined, maps: readonly ObjectMap[], r: ElfRelocation, section: ElfSection, addend: number,
): RelocTarget {
  const sym = r.symbol;
  const fail = (reason: string): never => {
    throw relocationError(elf, r, section, reason);
  };
  if (sym.shndx === SHN_UNDEF) return fail(externReason(btf, sym.name));
  if (sym.shndx === SHN_ABS || sym.shndx === SHN_COMMON) {
    return fail(`the symbol is ${sym.shndx === SHN_ABS ? "absolute (SHN_ABS)" : "common (SHN_COMMON)"}, not in a section`);
  }
  const target = elf.sections[sym.shndx]!;
  if (isCodeSection(target)) return { kind: "code", section: target, byteOffset: sym.value + addend };
  const byteOffset = sym.value + addend;
  // Global data: one map per section, whatever the offset (the linker checks it is inside).
  const data = maps.findIndex((m) => m.origin === "data" && m.sectionIndex === target.index);
  if (data >= 0) return { kind: "data", fd: data, map: maps[data]!, byteOffset };
  // A map definition: a named symbol at its start, or the section symbol with the offset in imm.
  const found = mapAt(maps, target.index, sym.type === STT.SECTION ? byteOffset : sym.value);
  if (!found) {
    const isMapSection = maps.some((m) => m.sectionIndex === target.index);
    return fail(isMapSection
      ? `no map definition starts at '${target.name}'+${hex(byteOffset)}`
      : `section '${target.name}' is neither code, a map section (maps, .maps) nor global data (.data*, .rodata*, .bss*)`);
  }
  if (byteOffset !== found.map.offset) {
    return fail(`points ${byteOffset - found.map.offset} bytes into map '${found.map.name}'s definition, not at its start`);
  }
  return { kind: "map", fd: found.fd, map: found.map };
}

/**
 * The kfunc id a call relocation resolves to: the symbol is undefined, an extern FUNC of the
 * object's BTF (`extern ... __ksym`), and names a kfunc of this runtime (vm/helpers/kfunc/ids.ts).
 * Anything else is not a kfunc call (and is refused as an extern by relocationTarget).
 */
export function kfuncTarget(btf: Btf | undefined, r: ElfRelocation): number | undefined {
  const sym = r.symbol;
  if (sym.shndx !== SHN_UNDEF || !isExternFunc(btf, sym.name)) return undefined;
  return kfuncId(sym.name);
}

const isExternFunc = (btf: Btf | undefined, name: string): boolean => {
  const fn = btf?.byName(name, BtfKind.FUNC)[0];
  return fn !== undefined && fn.kind === BtfKind.FUNC && fn.linkage === 2;
};

/** Why an undefined symbol cannot be resolved: it is a kernel extern of some kind. */
function externReason(btf: Btf | undefined, name: string): string {
  const inSec = (sec: string) => {
    const ds = btf?.datasec(sec);
    return ds?.vars.some((v) => btf!.types[v.type]?.name === name) ?? false;
  };
  if (inSec(".kconfig")) return `'${name}' is a __kconfig extern (.kconfig): kernel configuration values are not supported`;
  if (isExternFunc(btf, name)) {
    // Not one of this runtime's kfuncs (kfuncTarget resolved those).
    return `'${name}' is an extern function (a kfunc, __ksym) this runtime does not have (its kfuncs: ${Object.keys(KFUNC_IDS).join(", ")})`;
  }
  if (inSec(".ksyms")) return `'${name}' is a __ksym extern (.ksyms): kernel symbols are not supported`;
  return `'${name}' is undefined (an extern) in this object, and no BTF declares it: a kfunc is resolved from its BTF declaration (extern ... __ksym), and __ksym / __kconfig variables are not supported`;
}
