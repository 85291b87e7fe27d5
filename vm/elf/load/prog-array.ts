// Static PROG_ARRAY initialisation (libbpf bpf_object__collect_map_relos): a BTF map definition
// written as
//     struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); ...; __array(values, int (struct xdp_md *)); }
//         jmp_table SEC(".maps") = { .values = { [1] = (void *)&stage_one } };
// leaves one relocation per filled slot in .rel.maps: at byte offset
// (definition start + offset of `values` + 8 * slot), against the program's FUNC symbol.
// The slots are filled with those programs when the object is instantiated.
//
// Maps of maps the same way (libbpf bpf_object__collect_map_relos, init_map_in_map_slots):
//     struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); ...; __array(values, struct inner); }
//         outer SEC(".maps") = { .values = { [0] = &inner_a } };
// leaves relocations against the inner maps' symbols in `.maps`; slot i then gets that map (key
// the u32 i, value its fd) once every map exists.

import { BpfError } from "../../errors.js";
import { hex } from "../bytes.js";
import { R_BPF, STT } from "../constants.js";
import type { ElfObject } from "../object.js";
import { isCodeSection } from "./code.js";
import { mapAt, type ObjectMap } from "./maps.js";

export interface ProgArraySlot {
  readonly index: number;
  readonly program: string;
}

export interface InnerMapSlot {
  readonly index: number;
  readonly map: string;
}

/** enum bpf_map_type: maps whose slots are arrays (a slot past max_entries cannot exist). */
const ARRAY_SLOTS: ReadonlySet<number> = new Set([3, 12]); // PROG_ARRAY, ARRAY_OF_MAPS
const MAP_IN_MAP: ReadonlySet<number> = new Set([12, 13]); // ARRAY_OF_MAPS, HASH_OF_MAPS

/** Slots by map name, from the relocations of the map sections: programs, and inner maps. */
export function staticSlots(elf: ElfObject, maps: readonly ObjectMap[]): { programs: Map<string, ProgArraySlot[]>; maps: Map<string, InnerMapSlot[]> } {
  const programs = new Map<string, ProgArraySlot[]>();
  const inner = new Map<string, InnerMapSlot[]>();
  const mapSections = new Set(maps.filter((m) => m.origin !== "data").map((m) => m.sectionIndex));
  for (const rel of elf.relocations) {
    if (!mapSections.has(rel.target)) continue;
    const section = elf.sections[rel.target]!;
    for (const r of rel.entries) {
      if (r.type === R_BPF.NONE) continue;
      const where = `${r.typeName} against '${r.symbol.name || `symbol ${r.symbol.index}`}' at '${section.name}'+${hex(r.offset)}`;
      const fail = (reason: string): never => {
        throw new BpfError(`${where}: ${reason}`, { offset: r.entryOffset });
      };
      if (r.type !== R_BPF.ABS64 && r.type !== R_BPF.R64_64) return fail("only 64-bit pointers (R_BPF_64_ABS64) can fill map slots");
      const found = mapAt(maps, rel.target, r.offset);
      if (!found) return fail("it lies in no map definition");
      const { map } = found;
      if (map.valuesOffset === undefined) return fail(`map '${map.name}' has no 'values' member to initialise`);
      const rel8 = r.offset - map.offset - map.valuesOffset;
      if (rel8 < 0 || rel8 % 8 !== 0) return fail(`it does not point at a slot of map '${map.name}'s 'values'`);
      const index = rel8 / 8;
      if (ARRAY_SLOTS.has(map.spec.type) && index >= map.spec.maxEntries) return fail(`slot ${index} of map '${map.name}' is past its max_entries ${map.spec.maxEntries}`);
      const sym = r.symbol;
      const taken = (list: ReadonlyArray<{ index: number }>): void => {
        if (list.some((s) => s.index === index)) fail(`slot ${index} of map '${map.name}' is initialised twice`);
      };
      if (MAP_IN_MAP.has(map.spec.type)) {
        // libbpf: the symbol must be a map of `.maps` (a definition starting at its value).
        const target = maps.find((m) => m.origin === "btf" && m.sectionIndex === sym.shndx && m.offset === sym.value);
        if (!target) return fail(`slot ${index} of map '${map.name}' must name a map of '${section.name}', not '${sym.name}'`);
        const list = inner.get(map.name) ?? [];
        taken(list);
        list.push({ index, map: target.name });
        inner.set(map.name, list);
        continue;
      }
      const inCode = sym.shndx > 0 && sym.shndx < elf.sections.length && isCodeSection(elf.sections[sym.shndx]!);
      if (sym.type !== STT.FUNC || !inCode) return fail(`slot ${index} of map '${map.name}' must name a program (a function), not '${sym.name}'`);
      const list = programs.get(map.name) ?? [];
      taken(list);
      list.push({ index, program: sym.name });
      programs.set(map.name, list);
    }
  }
  for (const list of [...programs.values(), ...inner.values()]) list.sort((a, b) => a.index - b.index);
  return { programs, maps: inner };
}
