// The maps of an object, in the order they get fds (= indices in the machine's MapSet,
// vm/runtime/README.md §1): the legacy `maps` section's records, then the BTF-defined maps of
// `.maps` (in their DATASEC order, as libbpf creates them), then one single-entry ARRAY per
// global data section (.data*, .rodata*, .bss*, in section order; libbpf's internal maps),
// holding the section's initial contents.

import { BpfError } from "../../errors.js";
import type { Btf } from "../../btf/btf.js";
import { btfMapDefinitions, type BtfInnerMapDef, type BtfMapDef } from "../../btf/maps.js";
import { findDatasecSpinLock, findSpinLock } from "../../btf/spin-lock.js";
import { findDatasecTimer, findTimer } from "../../btf/timer.js";
import type { SpecialField } from "../../btf/special-fields.js";
import { errnoName } from "../../maps/errors.js";
import { checkSpec, innerMapMismatch } from "../../maps/spec.js";
import { parseMapType, type InnerMapSpec, type MapSpec } from "../../maps/types.js";
import { hex } from "../bytes.js";
import { SHF, SHT, STT } from "../constants.js";
import type { ElfObject } from "../object.js";
import { SHDR, type ElfSection } from "../sections.js";
import { SYMBOL_FIELDS, type ElfSymbol } from "../symbols.js";
import { anyMapTypeName, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERF_EVENT_ARRAY } from "./map-types.js";

export type MapOrigin = "legacy" | "btf" | "data";

/** A map as the object defines it (created by instantiating the object in a machine). */
export interface ObjectMap {
  readonly name: string;
  readonly origin: MapOrigin;
  /** Where the definition (legacy, btf) or the data (data) lives. */
  readonly section: string;
  readonly sectionIndex: number;
  /** Byte offset of the definition inside its section (0 for data maps). */
  readonly offset: number;
  /** Bytes the definition occupies in its section (data maps: the section's size). */
  readonly size: number;
  /** What BPF_MAP_CREATE gets (type as enum bpf_map_type). */
  readonly spec: MapSpec & {
    readonly type: number;
    readonly flags: number;
    readonly inner?: InnerMapSpec & { readonly type: number; readonly flags: number };
  };
  /** BPF_F_RDONLY_PROG: programs may not write it (.rodata). */
  readonly readonly: boolean;
  /** Initial value of element 0 (.data, .rodata); undefined: all zero (.bss). */
  readonly initial?: Uint8Array;
  /** PROG_ARRAY slots initialised statically: `.values = { [index] = &program }`. */
  readonly slots?: ReadonlyArray<{ readonly index: number; readonly program: string }>;
  /**
   * ARRAY_OF_MAPS / HASH_OF_MAPS slots initialised statically: `.values = { [index] = &inner }`
   * (libbpf init_map_in_map_slots: key = the u32 index, value = that map's fd).
   */
  readonly innerSlots?: ReadonlyArray<{ readonly index: number; readonly map: string }>;
  /** libbpf pinning attribute (recorded only). */
  readonly pinning?: number;
  /** C spelling of the key and value types, when BTF gives them. */
  readonly keyType?: string;
  readonly valueType?: string;
  /** Byte offset of the `values` member of a BTF definition. */
  readonly valuesOffset?: number;
}

export type DataKind = "data" | "rodata" | "bss";

/** libbpf's global data sections: .data / .rodata / .bss and their ".xxx" variants. */
export function dataSectionKind(name: string): DataKind | undefined {
  for (const kind of ["data", "rodata", "bss"] as const) {
    if (name === `.${kind}` || name.startsWith(`.${kind}.`)) return kind;
  }
  return undefined;
}

const LEGACY_SECTION = "maps";
const BTF_SECTION = ".maps";
/** struct bpf_map_def: type, key_size, value_size, max_entries, map_flags (u32 each). */
const MAP_DEF_FIELDS = ["type", "keySize", "valueSize", "maxEntries", "flags"] as const;

export function collectMaps(elf: ElfObject, btf: Btf | undefined): ObjectMap[] {
  const maps = [...legacyMaps(elf), ...btfMaps(elf, btf), ...dataMaps(elf, btf)];
  const seen = new Map<string, ObjectMap>();
  for (const m of maps) {
    const other = seen.get(m.name);
    if (other) {
      throw new BpfError(`map name '${m.name}' is used twice (sections '${other.section}' and '${m.section}')`, {
        offset: elf.sections[m.sectionIndex]!.headerOffset,
      });
    }
    seen.set(m.name, m);
  }
  return maps;
}

/** Named symbols placed in section `s` (not the section symbol). */
function symbolsIn(elf: ElfObject, s: ElfSection): ElfSymbol[] {
  return elf.symbols.filter((sym) => sym.shndx === s.index && sym.type !== STT.SECTION && sym.type !== STT.FILE && sym.name !== "");
}

function legacyMaps(elf: ElfObject): ObjectMap[] {
  const s = elf.sectionsByName.get(LEGACY_SECTION);
  if (!s || s.type === SHT.NOBITS) return [];
  const syms = symbolsIn(elf, s);
  if (syms.length === 0) {
    if (s.size === 0) return [];
    throw new BpfError(`section '${LEGACY_SECTION}' has ${s.size} bytes but no map symbols`, { offset: s.headerOffset + SHDR.SIZE });
  }
  // libbpf (bpf_object__init_user_maps): one record per map symbol, all of one size.
  if (s.size === 0 || s.size % syms.length !== 0) {
    throw new BpfError(
      `section '${LEGACY_SECTION}': ${syms.length} map definitions cannot share its ${s.size} bytes (the record size must divide the section)`,
      { offset: s.headerOffset + SHDR.SIZE },
    );
  }
  const recordSize = s.size / syms.length;
  const view = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  return syms.map((sym) => {
    if (sym.value % recordSize !== 0 || sym.value + recordSize > s.size) {
      throw new BpfError(
        `map '${sym.name}' at '${LEGACY_SECTION}'+${hex(sym.value)} is not one of the section's ${recordSize}-byte records`,
        { offset: sym.entryOffset + SYMBOL_FIELDS.VALUE },
      );
    }
    // A record shorter than struct bpf_map_def leaves the missing fields 0; a longer one
    // (iproute2's struct bpf_elf_map: id, pinning, inner map) has extra fields we do not use.
    const field = (i: number) => (4 * i + 4 <= recordSize ? view.getUint32(sym.value + 4 * i, true) : 0);
    const values = Object.fromEntries(MAP_DEF_FIELDS.map((f, i) => [f, field(i)])) as Record<(typeof MAP_DEF_FIELDS)[number], number>;
    return {
      name: sym.name,
      origin: "legacy",
      section: s.name,
      sectionIndex: s.index,
      offset: sym.value,
      size: recordSize,
      spec: { name: sym.name, ...values },
      readonly: false,
    } satisfies ObjectMap;
  });
}

function btfMaps(elf: ElfObject, btf: Btf | undefined): ObjectMap[] {
  const s = elf.sectionsByName.get(BTF_SECTION);
  if (!s) return [];
  if (!btf) {
    throw new BpfError(`section '${BTF_SECTION}' (BTF-defined maps) needs the object's .BTF section, and it has none`, {
      offset: s.headerOffset,
    });
  }
  const syms = new Map(symbolsIn(elf, s).map((sym) => [sym.name, sym]));
  const defs = btfMapDefinitions(btf, BTF_SECTION);
  if (defs.length === 0 && syms.size > 0) {
    throw new BpfError(`section '${BTF_SECTION}' has map symbols but the BTF has no '${BTF_SECTION}' DATASEC`, { offset: s.headerOffset });
  }
  return defs.map((def) => btfMap(s, def, syms.get(def.name), btf));
}

function btfMap(s: ElfSection, def: BtfMapDef, sym: ElfSymbol | undefined, btf: Btf): ObjectMap {
  // clang writes 0 for DATASEC entry offsets; libbpf takes them from the symbol table.
  if (!sym) throw new BpfError(`BTF map '${def.name}' has no symbol in section '${s.name}'`, { offset: def.at });
  const size = sym.size;
  if (def.valuesOffset !== undefined && def.valuesOffset > size) {
    throw new BpfError(`map '${def.name}': 'values' at byte ${def.valuesOffset} lies past its ${size}-byte definition`, {
      offset: sym.entryOffset + SYMBOL_FIELDS.SIZE,
    });
  }
  const lock = def.valueType !== undefined ? findSpinLock(btf, def.valueType) : undefined;
  if (lock && "error" in lock) {
    // libbpf's BPF_MAP_CREATE would fail (btf_parse_fields): refused at load, naming the map.
    throw new BpfError(`map '${def.name}': ${lock.error} (the kernel refuses it with -${errnoName(lock.errno)})`, { offset: def.at });
  }
  const timer = def.valueType !== undefined ? fieldOff(findTimer(btf, def.valueType), `map '${def.name}'`, "it", def.at) : undefined;
  return {
    name: def.name,
    origin: "btf",
    section: s.name,
    sectionIndex: s.index,
    offset: sym.value,
    size,
    spec: {
      name: def.name, type: def.type, keySize: def.keySize, valueSize: def.valueSize, maxEntries: def.maxEntries, flags: def.flags,
      ...(lock ? { spinLock: lock.off } : {}),
      ...(timer !== undefined ? { timer } : {}),
      ...(def.numaNode !== undefined ? { numaNode: def.numaNode } : {}),
      ...(def.mapExtra !== undefined ? { mapExtra: def.mapExtra } : {}),
      ...(def.inner ? { inner: innerSpec(def.inner) } : {}),
    },
    readonly: false,
    ...(def.pinning !== undefined ? { pinning: def.pinning } : {}),
    ...(def.keyType !== undefined ? { keyType: btf.typeName(def.keyType) } : {}),
    ...(def.valueType !== undefined ? { valueType: btf.typeName(def.valueType) } : {}),
    ...(def.valuesOffset !== undefined ? { valuesOffset: def.valuesOffset } : {}),
  };
}

/** The inner map template as BPF_MAP_CREATE gets it (libbpf creates "<map>.inner" from it). */
function innerSpec(def: BtfInnerMapDef): InnerMapSpec & { readonly type: number; readonly flags: number } {
  return { type: def.type, keySize: def.keySize, valueSize: def.valueSize, maxEntries: def.maxEntries, flags: def.flags };
}

function dataMaps(elf: ElfObject, btf: Btf | undefined): ObjectMap[] {
  const out: ObjectMap[] = [];
  for (const s of elf.sections) {
    const kind = dataSectionKind(s.name);
    if (!kind || (s.type !== SHT.PROGBITS && s.type !== SHT.NOBITS) || (s.flags & SHF.EXECINSTR) !== 0) continue;
    // libbpf creates no map for an empty section (nothing can refer into it).
    if (s.size === 0) continue;
    if (s.size > 0x40000000) {
      throw new BpfError(`global data section '${s.name}' is ${s.size} bytes: too large for a map value`, { offset: s.headerOffset + SHDR.SIZE });
    }
    const bss = s.type === SHT.NOBITS;
    const lock = btf ? dataSpinLock(elf, s, btf) : undefined;
    const timer = btf ? dataTimer(elf, s, btf) : undefined;
    out.push({
      name: s.name,
      origin: "data",
      section: s.name,
      sectionIndex: s.index,
      offset: 0,
      size: s.size,
      spec: { name: s.name, type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: s.size, maxEntries: 1, flags: 0, ...(lock !== undefined ? { spinLock: lock } : {}), ...(timer !== undefined ? { timer } : {}) },
      readonly: kind === "rodata",
      ...(bss ? {} : { initial: s.data.slice() }),
    });
  }
  return out;
}

/** A global data section's struct bpf_spin_lock variable (libbpf creates the map with the section's BTF). */
function dataSpinLock(elf: ElfObject, s: ElfSection, btf: Btf): number | undefined {
  const syms = new Map(symbolsIn(elf, s).map((sym) => [sym.name, sym.value]));
  const lock = findDatasecSpinLock(btf, s.name, (name) => syms.get(name));
  if (lock && "error" in lock) {
    throw new BpfError(`global data section '${s.name}': ${lock.error} (the kernel refuses its map with -${errnoName(lock.errno)})`, { offset: s.headerOffset });
  }
  return lock?.off;
}

/** A global data section's struct bpf_timer variable (found as its lock is). */
function dataTimer(elf: ElfObject, s: ElfSection, btf: Btf): number | undefined {
  const syms = new Map(symbolsIn(elf, s).map((sym) => [sym.name, sym.value]));
  return fieldOff(findDatasecTimer(btf, s.name, (name) => syms.get(name)), `global data section '${s.name}'`, "its map", s.headerOffset);
}

/** A special field's offset; a field the kernel refuses the map for is refused at load, naming the map. */
function fieldOff(field: SpecialField, what: string, it: string, offset: number): number | undefined {
  if (field && "error" in field) throw new BpfError(`${what}: ${field.error} (the kernel refuses ${it} with -${errnoName(field.errno)})`, { offset });
  return field?.off;
}

/** The map whose definition holds byte `offset` of section `index`, if any. */
export function mapAt(maps: readonly ObjectMap[], index: number, offset: number): { map: ObjectMap; fd: number } | undefined {
  const fd = maps.findIndex((m) => m.sectionIndex === index && offset >= m.offset && offset < m.offset + Math.max(m.size, 1));
  return fd < 0 ? undefined : { map: maps[fd]!, fd };
}

/**
 * libbpf (bpf_object__create_map, map_set_def_max_entries): a PERF_EVENT_ARRAY declared without
 * max_entries gets one slot per possible CPU, a map of maps' inner template too. Here that is the
 * CPUs of the machine the object is loaded on (slot i is CPU i's, as perf_buffer opens them).
 */
export function withCpuSlots<S extends CpuSlotted>(spec: S, cpus: number): S {
  const perf = spec.type === BPF_MAP_TYPE_PERF_EVENT_ARRAY || spec.type === "perf_event_array";
  const own = perf && spec.maxEntries === 0 ? { ...spec, maxEntries: cpus } : spec;
  return spec.inner ? { ...own, inner: withCpuSlots(spec.inner, cpus) } : own;
}

interface CpuSlotted {
  readonly type: number | string;
  readonly maxEntries: number;
  readonly inner?: CpuSlotted;
}

/**
 * Why BPF_MAP_CREATE would refuse the map (the kernel's rules, vm/maps/spec.ts), or undefined.
 * The map is checked as libbpf creates it: a PERF_EVENT_ARRAY without max_entries gets one
 * slot a CPU (withCpuSlots), .rodata is BPF_F_RDONLY_PROG. Types the runtime does not implement
 * are not judged here: running them is refused by name, and the verifier decides the rest.
 */
export function mapCreationError(m: ObjectMap): BpfError | undefined {
  if (parseMapType(m.spec.type) === undefined) return undefined;
  try {
    checkSpec(withCpuSlots({ ...m.spec, flags: m.spec.flags | (m.readonly ? BPF_F_RDONLY_PROG : 0) }, 1));
    return undefined;
  } catch (err) {
    if (err instanceof BpfError) return err;
    throw err;
  }
}

/**
 * A static slot of a map of maps (`.values = { [i] = &inner }`) the kernel would refuse when
 * libbpf fills it (init_map_in_map_slots → BPF_MAP_UPDATE_ELEM → bpf_map_fd_get_ptr: the map
 * must exist already and match the inner template), naming the map, the slot and the difference.
 */
export function innerSlotError(obj: { readonly maps: readonly ObjectMap[] }, m: ObjectMap): BpfError | undefined {
  const inner = m.spec.inner;
  if (!m.innerSlots?.length || !inner) return undefined;
  // libbpf passes &i, a u32, as the key: a HASH_OF_MAPS with other keys would read past it.
  if (m.spec.keySize !== 4) return new BpfError(`map '${m.name}': static slots need 4-byte keys (the u32 slot index), its key_size is ${m.spec.keySize}`);
  const template = { ...inner, type: parseMapType(inner.type)!, flags: inner.flags };
  const outerFd = obj.maps.indexOf(m);
  for (const [n, slot] of m.innerSlots.entries()) {
    const fd = obj.maps.findIndex((x) => x.name === slot.map);
    const target = obj.maps[fd]!;
    // libbpf fills the slots right after it creates the outer map (bpf_object__create_maps), in
    // `.maps` order: a map declared after it has no fd yet (-1), and the update fails.
    if (fd > outerFd) {
      return new BpfError(
        `map '${m.name}': cannot initialise slot [${slot.index}] to map '${slot.map}': it is declared after '${m.name}', and libbpf fills the slots when it creates '${m.name}', before '${slot.map}' exists (bpf_map_update_elem fails with -EBADF; declare the inner maps first)`,
      );
    }
    const type = parseMapType(target.spec.type);
    const why = type === undefined
      ? `its type ${anyMapTypeName(target.spec.type)} is not the inner map template's`
      : innerMapMismatch(template, { ...target.spec, type, inner: target.spec.inner });
    if (why) {
      return new BpfError(
        `map '${m.name}': cannot initialise slot [${slot.index}] to map '${slot.map}': ${why} (bpf_map_update_elem fails with -EINVAL)`,
      );
    }
    // A HASH_OF_MAPS takes a key per slot, in index order: past max_entries the hash is full
    // (an fd htab has no extra elements: htab_has_extra_elems). Array slots past the end cannot
    // be written at all (the loader refuses them).
    if (n >= m.spec.maxEntries) {
      return new BpfError(
        `map '${m.name}': cannot initialise slot [${slot.index}] to map '${slot.map}': it is static slot ${n + 1} and the map has max_entries ${m.spec.maxEntries} (bpf_map_update_elem fails with -E2BIG)`,
      );
    }
  }
  return undefined;
}

/** libbpf creates .rodata maps with it. */
const BPF_F_RDONLY_PROG = 1 << 7;
