// BTF-defined maps (libbpf's `.maps` convention, Documentation/bpf/btf.rst and
// tools/lib/bpf/bpf_helpers.h): each map is a global VAR in the `.maps` DATASEC whose type is an
// anonymous struct, one member per attribute:
//
//   __uint(name, N)   →  int (*name)[N]     a PTR to an ARRAY with nelems N: the value is N
//   __type(name, T)   →  T *name            a PTR to T: key/value size = sizeof(T)
//   __array(values, int (struct xdp_md *)) → an ARRAY of PTR to FUNC_PROTO: PROG_ARRAY slots,
//                       initialised by relocations in .rel.maps (`.values = { [i] = &prog }`)
//   __array(values, struct inner) → an ARRAY of PTR to STRUCT: a map of maps' inner map
//                       template, itself a map definition; slots initialised by relocations
//                       against other maps of `.maps` (`.values = { [i] = &inner_a }`)
//
// Attributes: type, max_entries, map_flags, key_size/key, value_size/value, numa_node,
// map_extra, pinning (recorded, not acted on: nothing is pinned here), values. Unknown members,
// conflicting sizes and malformed encodings are refused the way libbpf's parse_btf_map_def
// refuses them, naming the map and the member.

import { BpfError } from "../errors.js";
import type { Btf } from "./btf.js";
import { BtfKind, kindName } from "./kinds.js";
import { hex } from "./reader.js";
import type { BtfMember, BtfType, BtfVar } from "./types.js";

/** enum bpf_map_type values this file needs to know. */
const BPF_MAP_TYPE_PROG_ARRAY = 3;
const BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
const BPF_MAP_TYPE_HASH_OF_MAPS = 13;

export interface BtfMapDef {
  /** The VAR's name: the map's name. */
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly numaNode?: number;
  readonly mapExtra?: number;
  /** LIBBPF_PIN_NONE (0) / LIBBPF_PIN_BY_NAME (1): recorded only. */
  readonly pinning?: number;
  /** BTF ids of the key and value types when given with __type (for printing). */
  readonly keyType?: number;
  readonly valueType?: number;
  /** Byte offset of the `values` member inside the definition, when there is one. */
  readonly valuesOffset?: number;
  /**
   * ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map template, from `__array(values, struct inner)`
   * (libbpf names it "<map>.inner", creates it, passes its fd as inner_map_fd, then closes it).
   */
  readonly inner?: BtfInnerMapDef;
  /** The VAR's type id and the file offset of the VAR (for messages). */
  readonly varId: number;
  readonly at: number;
}

/** An inner map template: a map definition of its own, with no `values` and no VAR. */
export type BtfInnerMapDef = Omit<BtfMapDef, "inner" | "valuesOffset" | "varId" | "at">;

const INT_FIELDS = {
  type: "type", max_entries: "maxEntries", map_flags: "flags", key_size: "keySize", value_size: "valueSize",
  numa_node: "numaNode", map_extra: "mapExtra", pinning: "pinning",
} as const;
type IntField = (typeof INT_FIELDS)[keyof typeof INT_FIELDS];

class MapDefReader {
  constructor(private readonly btf: Btf, readonly name: string, private readonly at: number, readonly isInner: boolean) {}

  fail(message: string, at = this.at): never {
    throw new BpfError(`BTF map '${this.name}': ${message} (at byte ${hex(at)})`, { offset: at });
  }

  /** `int (*name)[N]` → N (libbpf get_map_field_int). */
  intField(m: BtfMember, owner: BtfType): number {
    const ptr = this.btf.resolve(m.type, `map '${this.name}' member '${m.name}'`);
    if (ptr.kind !== BtfKind.PTR) this.fail(`member '${m.name}' is ${kindName(ptr.kind)}, not a PTR to an array (__uint(${m.name}, N))`, owner.at);
    const arr = this.btf.resolve(ptr.type, `map '${this.name}' member '${m.name}'`);
    if (arr.kind !== BtfKind.ARRAY) this.fail(`member '${m.name}' points at ${kindName(arr.kind)}, not an array (__uint(${m.name}, N))`, owner.at);
    return arr.nelems;
  }

  /**
   * `__uint(pinning, ...)` (libbpf parse_btf_map_def): LIBBPF_PIN_NONE or LIBBPF_PIN_BY_NAME,
   * and never on an inner map template ("inner def can't be pinned").
   */
  pinning(m: BtfMember, owner: BtfType): number {
    if (this.isInner) this.fail("an inner map definition cannot be pinned (libbpf: inner def can't be pinned)", owner.at);
    const value = this.intField(m, owner);
    if (value !== 0 && value !== 1) this.fail(`invalid pinning value ${value} (LIBBPF_PIN_NONE 0 or LIBBPF_PIN_BY_NAME 1)`, owner.at);
    return value;
  }

  /** `T *name` → (sizeof T, T) (libbpf: key/value). */
  typeField(m: BtfMember, owner: BtfType): { size: number; type: number } {
    const ptr = this.btf.resolve(m.type, `map '${this.name}' member '${m.name}'`);
    if (ptr.kind !== BtfKind.PTR) this.fail(`member '${m.name}' is ${kindName(ptr.kind)}, not a PTR to its type (__type(${m.name}, T))`, owner.at);
    return { size: this.btf.sizeOf(ptr.type, `map '${this.name}' ${m.name} type`), type: ptr.type };
  }

  /**
   * `values` (libbpf parse_btf_map_def): a zero-length array of pointers, to function
   * prototypes (PROG_ARRAY) or to the inner map's definition (map-in-map: read as a map
   * definition of its own, "<map>.inner"). Returns the inner template, if any.
   */
  valuesField(m: BtfMember, owner: BtfType, type: number | undefined, last: boolean): BtfInnerMapDef | undefined {
    if (this.isInner) this.fail("multi-level inner maps are not supported (an inner map definition has 'values')", owner.at);
    if (!last) this.fail("'values' must be the last member", owner.at);
    const arr = this.btf.resolve(m.type, `map '${this.name}' member 'values'`);
    if (arr.kind !== BtfKind.ARRAY) this.fail(`'values' is ${kindName(arr.kind)}, not an array`, owner.at);
    const ptr = this.btf.resolve(arr.elemType, `map '${this.name}' values element`);
    if (ptr.kind !== BtfKind.PTR) this.fail(`'values' elements are ${kindName(ptr.kind)}, not pointers`, owner.at);
    const target = this.btf.resolve(ptr.type, `map '${this.name}' values element`);
    if (type === BPF_MAP_TYPE_ARRAY_OF_MAPS || type === BPF_MAP_TYPE_HASH_OF_MAPS) {
      if (arr.nelems !== 0) this.fail(`map-in-map inner 'values' must be an array with 0 elements, it has ${arr.nelems}`, owner.at);
      if (target.kind !== BtfKind.STRUCT) this.fail(`map-in-map inner definition is ${kindName(target.kind)}, not a struct (__array(values, struct inner_map))`, owner.at);
      return readDefinition(this.btf, `${this.name}.inner`, target, target.at, true);
    }
    if (type !== BPF_MAP_TYPE_PROG_ARRAY) {
      this.fail(`'values' is only supported for PROG_ARRAY (type ${BPF_MAP_TYPE_PROG_ARRAY}) and maps of maps (ARRAY_OF_MAPS ${BPF_MAP_TYPE_ARRAY_OF_MAPS}, HASH_OF_MAPS ${BPF_MAP_TYPE_HASH_OF_MAPS}); this map has type ${type ?? "(not yet given: 'type' must come before 'values')"}`, owner.at);
    }
    if (target.kind !== BtfKind.FUNC_PROTO) this.fail(`prog-array 'values' point at ${kindName(target.kind)}, not a function prototype`, owner.at);
    return undefined;
  }
}

/** Read one map definition: `v` is a VAR of the `.maps` DATASEC. */
export function btfMapDefinition(btf: Btf, v: BtfVar): BtfMapDef {
  const def = btf.resolve(v.type, `map '${v.name}'`);
  return { ...readDefinition(btf, v.name, def, v.at, false), varId: v.id, at: v.at };
}

type ReadDef = Omit<BtfMapDef, "varId" | "at">;

/** A map definition struct (a VAR's, or an inner template's when `isInner`). */
function readDefinition(btf: Btf, name: string, def: BtfType, at: number, isInner: true): BtfInnerMapDef;
function readDefinition(btf: Btf, name: string, def: BtfType, at: number, isInner: boolean): ReadDef;
function readDefinition(btf: Btf, name: string, def: BtfType, at: number, isInner: boolean): ReadDef {
  const r = new MapDefReader(btf, name, at, isInner);
  if (def.kind !== BtfKind.STRUCT) return r.fail(`the definition is ${kindName(def.kind)}, expected a struct`);
  const ints: Partial<Record<IntField, number>> = {};
  let key: { size: number; type: number } | undefined;
  let value: { size: number; type: number } | undefined;
  let valuesOffset: number | undefined;
  let inner: BtfInnerMapDef | undefined;
  def.members.forEach((m, i) => {
    if (m.bitfieldSize !== 0 || m.bitOffset % 8 !== 0) r.fail(`member '${m.name}' is a bitfield`, def.at);
    if (m.name === "pinning") {
      ints.pinning = r.pinning(m, def);
    } else if (Object.hasOwn(INT_FIELDS, m.name)) {
      ints[INT_FIELDS[m.name as keyof typeof INT_FIELDS]] = r.intField(m, def);
    } else if (m.name === "key") {
      key = r.typeField(m, def);
    } else if (m.name === "value") {
      value = r.typeField(m, def);
    } else if (m.name === "values") {
      inner = r.valuesField(m, def, ints.type, i === def.members.length - 1);
      valuesOffset = m.bitOffset / 8;
    } else {
      r.fail(`unknown field '${m.name || "(anon)"}' (known: ${[...Object.keys(INT_FIELDS), "key", "value", "values"].join(", ")})`, def.at);
    }
  });
  if (ints.type === undefined) return r.fail("no 'type' member (__uint(type, BPF_MAP_TYPE_...))");
  const keySize = size("key", ints.keySize, key, r);
  // libbpf: a PROG_ARRAY (or map-in-map) with 'values' has 4-byte values (program / map fds).
  const valueSize = valuesOffset !== undefined ? size("value", ints.valueSize ?? 4, value, r) : size("value", ints.valueSize, value, r);
  if (inner && valueSize !== 4) r.fail(`conflicting value size ${valueSize} != 4 (a map of maps' values are inner map fds)`);
  return {
    name,
    type: ints.type,
    keySize,
    valueSize,
    maxEntries: ints.maxEntries ?? 0,
    flags: ints.flags ?? 0,
    ...(ints.numaNode !== undefined ? { numaNode: ints.numaNode } : {}),
    ...(ints.mapExtra !== undefined ? { mapExtra: ints.mapExtra } : {}),
    ...(ints.pinning !== undefined ? { pinning: ints.pinning } : {}),
    ...(key ? { keyType: key.type } : {}),
    ...(value ? { valueType: value.type } : {}),
    ...(valuesOffset !== undefined ? { valuesOffset } : {}),
    ...(inner ? { inner } : {}),
  };
}

function size(what: "key" | "value", explicit: number | undefined, typed: { size: number } | undefined, r: MapDefReader): number {
  if (explicit !== undefined && typed && explicit !== typed.size) {
    r.fail(`conflicting ${what} size ${explicit} (${what}_size) != ${typed.size} (sizeof ${what} type)`);
  }
  return explicit ?? typed?.size ?? 0;
}

/** Every map of the `.maps` DATASEC, in its order (libbpf creates them in this order). */
export function btfMapDefinitions(btf: Btf, section = ".maps"): BtfMapDef[] {
  const sec = btf.datasec(section);
  if (!sec) return [];
  return sec.vars.map((entry, i) => {
    const v = btf.type(entry.type, `DATASEC '${section}' entry ${i}`);
    if (v.kind !== BtfKind.VAR) {
      throw new BpfError(`BTF: DATASEC '${section}' entry ${i} is ${kindName(v.kind)} '${v.name}', not a VAR (at byte ${hex(sec.at)})`, { offset: sec.at });
    }
    return btfMapDefinition(btf, v);
  });
}
