// loadObject: a relocatable BPF object (clang -O2 -g -target bpf) as programs and maps by name,
// the way libbpf's bpf_object__open reads it:
//
//   - program sections by libbpf's names (program-types.ts); every global FUNC symbol of one is
//     a program, linked with the `.text` subprograms it calls (link.ts);
//   - maps from the legacy `maps` section, BTF-defined `.maps`, and global data (maps.ts), with
//     static PROG_ARRAY slots (prog-array.ts);
//   - `license` (and the GPL compatibility the kernel derives from it), `version`;
//   - .BTF (types, map definitions) and .BTF.ext (line info for disassembly; CO-RE relocations,
//     satisfied for the context structs this runtime defines, refused otherwise: core.ts).
//
// A malformed object (ELF structure, maps, BTF) throws a BpfError with the byte offset. A program
// that cannot be linked (an extern, a CO-RE relocation, a bad call) does not sink the object: it
// carries its `error`, so the other programs stay usable and `ebpf-wasm verify` can report each.
// Node-free: bytes in, data out.

import { BpfError } from "../../errors.js";
import { parseBtf } from "../../btf/parse.js";
import type { Btf } from "../../btf/btf.js";
import { parseBtfExt, type BtfExt, type LineInfo } from "../../btf/ext.js";
import type { Insn } from "../../isa/instruction.js";
import { INSN_SIZE } from "../../isa/instruction.js";
import type { ProgramTypeName } from "../../programs/types.js";
import { hex } from "../bytes.js";
import { parseElf, type ElfObject } from "../object.js";
import { CodeIndex, isCodeSection, type CodeFunction } from "./code.js";
import { licenseIsGplCompatible, readKernelVersion, readLicense } from "./license.js";
import { linkProgram, type LinkContext, type PlacedFunction, type ProgramRelocation } from "./link.js";
import { checkCoreRelocations } from "./core.js";
import { collectMaps, type ObjectMap } from "./maps.js";
import { staticSlots } from "./prog-array.js";
import { kernelProgTypeName, sectionType, type SectionType } from "./program-types.js";

export interface ObjectProgram {
  /** The function's symbol name. */
  readonly name: string;
  readonly section: string;
  /** What the section name says (undefined: a name libbpf does not know). */
  readonly sectionType?: SectionType;
  /** The type we run it as; undefined when we do not run this kind of program. */
  readonly type?: ProgramTypeName;
  /** Why it cannot run here (its program type), when it cannot. */
  readonly unsupported?: string;
  /** The linked instructions: the program, then the subprograms it reaches. Empty when `error`. */
  readonly insns: readonly Insn[];
  readonly functions: readonly PlacedFunction[];
  readonly relocations: readonly ProgramRelocation[];
  /** Source lines from .BTF.ext by program slot. */
  readonly lines: ReadonlyMap<number, LineInfo>;
  /** Why the program could not be linked. */
  readonly error?: BpfError;
}

export interface BpfObject {
  readonly elf: ElfObject;
  readonly btf?: Btf;
  readonly ext?: BtfExt;
  /** The `license` string ("" when absent). */
  readonly license: string;
  /** Whether the kernel would let its programs call GPL-only helpers. */
  readonly gplCompatible: boolean;
  /** The legacy `version` section, if any. */
  readonly kernelVersion?: number;
  /** In fd order (= index in a machine's MapSet). */
  readonly maps: readonly ObjectMap[];
  /** In section order, then by offset. */
  readonly programs: readonly ObjectProgram[];
}

export function loadObject(bytes: Uint8Array): BpfObject {
  const elf = parseElf(bytes);
  const btfSection = elf.sectionsByName.get(".BTF");
  const btf = btfSection && btfSection.size > 0 ? parseBtf(btfSection.data, btfSection.offset) : undefined;
  const extSection = elf.sectionsByName.get(".BTF.ext");
  const ext = extSection && btf && extSection.size > 0 ? parseBtfExt(extSection.data, btf, extSection.offset) : undefined;
  checkDataRelocations(elf);
  const collected = collectMaps(elf, btf);
  const slots = staticSlots(elf, collected);
  const maps = collected.map((m) => {
    const programs = slots.programs.get(m.name);
    const inner = slots.maps.get(m.name);
    return programs || inner ? { ...m, ...(programs ? { slots: programs } : {}), ...(inner ? { innerSlots: inner } : {}) } : m;
  });
  const license = readLicense(elf);
  const kernelVersion = readKernelVersion(elf);
  const ctx: LinkContext = { elf, btf, code: new CodeIndex(elf), maps };
  const programs = entryPoints(elf, ctx.code).map((fn) => program(ctx, ext, fn));
  for (const m of maps) {
    for (const slot of m.slots ?? []) {
      if (!programs.some((p) => p.name === slot.program)) {
        throw new BpfError(`map '${m.name}' slot ${slot.index} names '${slot.program}', which is not a program of this object (a function in a program section)`, {
          offset: elf.sections[m.sectionIndex]!.offset + m.offset,
        });
      }
    }
  }
  return {
    elf,
    ...(btf ? { btf } : {}),
    ...(ext ? { ext } : {}),
    license,
    gplCompatible: licenseIsGplCompatible(license),
    ...(kernelVersion !== undefined ? { kernelVersion } : {}),
    maps,
    programs,
  };
}

/** Global functions of every code section but .text, in section order then offset. */
function entryPoints(elf: ElfObject, code: CodeIndex): CodeFunction[] {
  return elf.sections
    .filter((s) => isCodeSection(s) && s.name !== ".text")
    .flatMap((s) => code.get(s.index).functions.filter((f) => f.global));
}

function program(ctx: LinkContext, ext: BtfExt | undefined, fn: CodeFunction): ObjectProgram {
  const section = fn.section.name;
  const st = sectionType(section);
  const unsupported = !st
    ? `section '${section}' names no program type (libbpf's section names: xdp, tc, socket, kprobe/..., ...; a loader may choose one: withProgramType, CLI --type)`
    : !st.runAs ? `${kernelProgTypeName(st.kernelType)} programs are not supported (only xdp, tc/sched_cls, socket filters, cgroup_skb and lwt_in/out/xmit/seg6local run here)` : undefined;
  const base = {
    name: fn.name,
    section,
    ...(st ? { sectionType: st } : {}),
    ...(st?.runAs ? { type: st.runAs } : {}),
    ...(unsupported ? { unsupported } : {}),
  };
  try {
    const linked = linkProgram(ctx, fn);
    if (ext) checkCoreRelocations(ctx.btf, ext.coreRelos, linked.functions);
    return { ...base, ...linked, lines: sourceLines(ext, linked.functions) };
  } catch (err) {
    if (!(err instanceof BpfError)) throw err;
    const error = new BpfError(`program '${fn.name}' (section '${section}'): ${err.message}`, err.where);
    return { ...base, insns: [], functions: [], relocations: [], lines: new Map(), error };
  }
}

/** .BTF.ext line_info mapped to program slots. */
function sourceLines(ext: BtfExt | undefined, functions: readonly PlacedFunction[]): Map<number, LineInfo> {
  const lines = new Map<number, LineInfo>();
  if (!ext) return lines;
  for (const f of functions) {
    for (const line of ext.lineInfo.get(f.section) ?? []) {
      const slot = line.insnOff / INSN_SIZE;
      if (Number.isInteger(slot) && slot >= f.start && slot < f.start + f.length) lines.set(f.at + slot - f.start, line);
    }
  }
  return lines;
}

/** Pointers inside global data would need relocating at load time; libbpf does not, nor do we. */
function checkDataRelocations(elf: ElfObject): void {
  for (const rel of elf.relocations) {
    const target = elf.sections[rel.target]!;
    if (rel.entries.length === 0 || !/^\.(data|rodata|bss)(\.|$)/.test(target.name)) continue;
    const r = rel.entries[0]!;
    throw new BpfError(
      `${r.typeName} against '${r.symbol.name}' at '${target.name}'+${hex(r.offset)}: relocations in global data (pointers stored in '${target.name}') are not supported`,
      { offset: r.entryOffset },
    );
  }
}

/**
 * The program called `name` (a function name, or a section name holding one program). Without a
 * name: the object's only program, or the only one no PROG_ARRAY slot refers to (the entry of a
 * tail-call chain). Throws a BpfError listing the choices otherwise.
 */
export function findProgram(obj: BpfObject, name?: string): ObjectProgram {
  const names = obj.programs.map((p) => (p.name === p.section ? p.name : `${p.name} (${p.section})`)).join(", ") || "none";
  if (name !== undefined) {
    const byName = obj.programs.find((p) => p.name === name);
    if (byName) return byName;
    const bySection = obj.programs.filter((p) => p.section === name);
    if (bySection.length === 1) return bySection[0]!;
    throw new BpfError(bySection.length > 1
      ? `section '${name}' holds ${bySection.length} programs; name one: ${bySection.map((p) => p.name).join(", ")}`
      : `no program '${name}' in the object (programs: ${names})`);
  }
  if (obj.programs.length === 1) return obj.programs[0]!;
  const targets = new Set(obj.maps.flatMap((m) => (m.slots ?? []).map((s) => s.program)));
  const entries = obj.programs.filter((p) => !targets.has(p.name));
  if (entries.length === 1) return entries[0]!;
  throw new BpfError(obj.programs.length === 0 ? "the object has no programs" : `the object has ${obj.programs.length} programs; choose one with --program: ${names}`);
}

/** Packet program types a loader may choose for a section name that does not give one. */
const CHOSEN_TYPES: readonly ProgramTypeName[] = ["xdp", "sched_cls", "socket_filter", "cgroup_skb", "lwt_in", "lwt_out", "lwt_xmit", "lwt_seg6local"];

/**
 * `obj` with every program run as `type`, whatever its section says: as iproute2's `tc ... bpf
 * obj O sec S` or Suricata's loader do, which pick the type themselves (sections like "filter" or
 * "loadbalancer" give none). A program that failed to link keeps its error.
 */
export function withProgramType(obj: BpfObject, type: ProgramTypeName): BpfObject {
  if (!CHOSEN_TYPES.includes(type)) throw new BpfError(`program type '${type}' cannot be chosen for an object's programs (one of: ${CHOSEN_TYPES.join(", ")})`);
  const programs = obj.programs.map(({ unsupported: _unsupported, ...p }): ObjectProgram => ({ ...p, type }));
  return { ...obj, programs };
}

