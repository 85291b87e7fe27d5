// The minimal object loader the line-rate benchmark needs, built on vm/elf's reader (parseElf:
// sections, symbols, relocations) and the BTF map definitions of ./btf.ts. It is a stop-gap
// until vm/elf has the full loader of issue 5 and will be replaced by it; it handles what
// clang-19 emits for corpus/programs and refuses the rest with a BpfError naming the section
// and relocation:
//   - program sections by libbpf's names: xdp*, tc*/classifier*, socket* → program type;
//     several programs in one section are told apart by their STT_FUNC symbols;
//   - bpf-to-bpf calls into `.text` (R_BPF_64_32): the whole of `.text` is appended after the
//     entry function and call immediates are rewritten pc-relative (libbpf appends only the
//     functions reached; appending all of .text changes nothing a program can observe);
//   - map references (R_BPF_64_64 on lddw against a `.maps` symbol) → `lddw rX, map_fd N`, N the
//     map's index in `.maps` order — the machine's fd (vm/runtime/README.md §1);
//   - PROG_ARRAY initial values (`.values = { [i] = &prog }`, relocations in `.maps`).
// Global data sections (.data/.rodata/.bss) and CO-RE relocations are refused: no corpus
// program has them.

import { BpfError } from "../../vm/errors.js";
import { parseElf, relocationsFor, R_BPF, STT, type ElfObject, type ElfSymbol } from "../../vm/elf/index.js";
import { decode, type Insn } from "../../vm/isa/instruction.js";
import { Pseudo } from "../../vm/isa/opcodes.js";
import type { MapSpec } from "../../vm/maps/types.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import { Btf, type MapDefinition } from "./btf.js";

export interface ObjectProgram {
  /** The function's symbol name (what --program selects). */
  readonly name: string;
  readonly section: string;
  readonly type: ProgramTypeName;
  readonly insns: Insn[];
}

export interface LoadedObject {
  /** Maps in fd order. */
  readonly maps: readonly MapSpec[];
  readonly programs: readonly ObjectProgram[];
  /** Static PROG_ARRAY slots: map name, index, program name. */
  readonly progArrayInit: ReadonlyArray<{ readonly map: string; readonly index: number; readonly program: string }>;
}

const INSN = 8;

/** libbpf's section name → program type (the prefixes the corpus uses and their common kin). */
export function sectionType(section: string): ProgramTypeName | undefined {
  const head = section.split("/")[0]!;
  if (head === "xdp" || head === "xdp.frags") return "xdp";
  if (head === "tc" || head === "classifier" || head === "tcx" || head.startsWith("tc.")) return "sched_cls";
  if (head.startsWith("socket")) return "socket_filter";
  return undefined;
}

export function loadObject(bytes: Uint8Array, file = "object"): LoadedObject {
  const obj = parseElf(bytes);
  for (const name of [".data", ".rodata", ".bss"]) {
    const s = obj.sectionsByName.get(name);
    if (s && s.size > 0) throw new BpfError(`${file}: section '${name}' (global data) is not supported by the benchmark's loader`);
  }
  const btf = obj.sectionsByName.get(".BTF");
  const defs = btf ? new Btf(btf.data).mapDefinitions() : [];
  if (!btf && obj.sectionsByName.get(".maps")) throw new BpfError(`${file}: '.maps' without '.BTF': cannot read the map definitions`);
  if (obj.sectionsByName.get("maps")) throw new BpfError(`${file}: legacy 'maps' section (struct bpf_map_def) is not supported by the benchmark's loader`);
  const programs = obj.symbols
    .filter((s) => s.type === STT.FUNC && s.shndx > 0 && sectionType(obj.sections[s.shndx]?.name ?? "") !== undefined)
    .map((s) => programOf(obj, s, defs, file));
  return { maps: defs.map((d) => d.spec), programs, progArrayInit: progArrayInit(obj, defs, file) };
}

function programOf(obj: ElfObject, sym: ElfSymbol, defs: readonly MapDefinition[], file: string): ObjectProgram {
  const section = obj.sections[sym.shndx]!;
  const start = sym.value / INSN;
  const end = (sym.value + sym.size) / INSN;
  const insns = decode(section.data).slice(start, end).map((i) => ({ ...i }));
  const text = obj.sectionsByName.get(".text");
  const textBase = insns.length;
  const inRange = (r: { offset: number }, from: number, to: number): boolean => r.offset / INSN >= from && r.offset / INSN < to;
  const callsText = relocationsFor(obj, section.index).some((r) => inRange(r, start, end) && obj.sections[r.symbol.shndx]?.name === ".text");
  if (text && callsText) insns.push(...decode(text.data).map((i) => ({ ...i })));
  const patch = (secIndex: number, base: number, from: number, to: number): void => {
    const where = `${file}: section '${obj.sections[secIndex]!.name}'`;
    for (const r of relocationsFor(obj, secIndex)) {
      if (!inRange(r, from, to)) continue;
      const slot = base + r.offset / INSN - from;
      const ins = insns[slot]!;
      const target = obj.sections[r.symbol.shndx]?.name;
      if (r.type === R_BPF.R64_64 && target === ".maps") {
        const fd = defs.findIndex((d) => d.name === r.symbol.name);
        if (fd < 0) throw new BpfError(`${where}: relocation at byte ${r.offset} names '${r.symbol.name}', which is no map of .maps`);
        ins.src = Pseudo.MAP_FD;
        ins.imm = fd;
      } else if (r.type === R_BPF.R64_32 && target === ".text") {
        // imm + 1 is the callee's slot relative to the symbol (section symbol: imm carries the offset).
        const callee = textBase + r.symbol.value / INSN + ins.imm + 1;
        ins.imm = callee - (slot + 1);
      } else {
        throw new BpfError(`${where}: relocation ${r.typeName} at byte ${r.offset} against '${r.symbol.name}' (in '${target ?? "?"}') is not supported`);
      }
    }
  };
  patch(section.index, 0, start, end);
  if (text && callsText) patch(text.index, textBase, 0, text.size / INSN);
  const type = sectionType(section.name)!;
  return { name: sym.name, section: section.name, type, insns };
}

/** `.values = { [i] = &prog }` of PROG_ARRAY definitions: relocations against `.maps`. */
function progArrayInit(obj: ElfObject, defs: readonly MapDefinition[], file: string): LoadedObject["progArrayInit"] {
  const maps = obj.sectionsByName.get(".maps");
  if (!maps) return [];
  // Where each map's definition starts in .maps: its symbol's value.
  const starts = obj.symbols
    .filter((s) => s.shndx === maps.index && s.type === STT.OBJECT)
    .map((s) => ({ at: s.value, def: defs.find((d) => d.name === s.name) }))
    .sort((a, b) => a.at - b.at);
  return relocationsFor(obj, maps.index).map((r) => {
    const start = [...starts].reverse().find((s) => s.at <= r.offset);
    const def = start?.def;
    if (!start || !def || def.valuesOffset === undefined || r.offset < start.at + def.valuesOffset) {
      throw new BpfError(`${file}: relocation at byte ${r.offset} of '.maps' is not in a map's 'values'`);
    }
    return { map: def.name, index: (r.offset - start.at - def.valuesOffset) / 8, program: r.symbol.name };
  });
}
