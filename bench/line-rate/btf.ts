// The least BTF the benchmark needs: the map definitions of a BTF-defined `.maps` section
// (libbpf's `struct { __uint(type, ...); __type(key, ...); ... } name SEC(".maps")`).
// A stop-gap until vm/elf has the full loader of issue 5; it reads only what map creation needs
// and refuses anything else with a BpfError naming the map and field.
//
// Encoding (include/uapi/linux/btf.h, Documentation/bpf/btf.rst):
//   header { u16 magic 0xeb9f; u8 version; u8 flags; u32 hdr_len; u32 type_off, type_len,
//            str_off, str_len }  (offsets from the end of the header)
//   types  struct btf_type { u32 name_off; u32 info (vlen 0-15, kind 24-28); u32 size|type }
//          followed by kind-specific data; type ids count from 1.
// In a map definition `__uint(name, N)` is `int (*name)[N]` (PTR → ARRAY of N elements) and
// `__type(name, T)` is `T *name` (PTR → T, whose size is the key or value size).

import { BpfError } from "../../vm/errors.js";
import type { MapSpec } from "../../vm/maps/types.js";

const BTF_MAGIC = 0xeb9f;

const Kind = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9,
  CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16,
  DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

interface BtfType {
  readonly kind: number;
  readonly name: string;
  readonly vlen: number;
  /** size (INT, STRUCT, UNION, ENUM, DATASEC, FLOAT) or referenced type (PTR, TYPEDEF, VAR, ...). */
  readonly sizeOrType: number;
  /** ARRAY: element type and count. */
  readonly array?: { readonly type: number; readonly nelems: number };
  /** STRUCT/UNION members, DATASEC entries (type, offset, size). */
  readonly members?: ReadonlyArray<{ readonly name: string; readonly type: number; readonly offset: number; readonly size: number }>;
}

/** Bytes of kind-specific data after a btf_type of `kind` with `vlen` entries. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case Kind.INT: return 4;
    case Kind.ARRAY: return 12;
    case Kind.STRUCT: case Kind.UNION: return 12 * vlen;
    case Kind.ENUM: return 8 * vlen;
    case Kind.FUNC_PROTO: return 8 * vlen;
    case Kind.VAR: return 4;
    case Kind.DATASEC: return 12 * vlen;
    case Kind.DECL_TAG: return 4;
    case Kind.ENUM64: return 12 * vlen;
    case Kind.PTR: case Kind.FWD: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST:
    case Kind.RESTRICT: case Kind.FUNC: case Kind.FLOAT: case Kind.TYPE_TAG: return 0;
    default: throw new BpfError(`BTF: unknown type kind ${kind}`);
  }
}

/** One map of `.maps`: where its definition sits in the section, and what to create. */
export interface MapDefinition {
  readonly name: string;
  readonly spec: MapSpec;
  /** Byte offset of the `values` member (PROG_ARRAY initial slots), when there is one. */
  readonly valuesOffset?: number;
}

export class Btf {
  /** Index = type id; [0] is void. */
  private readonly types: BtfType[] = [{ kind: 0, name: "void", vlen: 0, sizeOrType: 0 }];

  constructor(bytes: Uint8Array) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 24 || dv.getUint16(0, true) !== BTF_MAGIC) throw new BpfError("BTF: bad magic (only little-endian BTF is read)", { offset: 0 });
    const hdrLen = dv.getUint32(4, true);
    const typeOff = hdrLen + dv.getUint32(8, true);
    const typeLen = dv.getUint32(12, true);
    const strOff = hdrLen + dv.getUint32(16, true);
    const strLen = dv.getUint32(20, true);
    if (typeOff + typeLen > bytes.length || strOff + strLen > bytes.length) throw new BpfError("BTF: type or string section past the end", { offset: 8 });
    const decoder = new TextDecoder();
    const str = (off: number): string => {
      if (off >= strLen) throw new BpfError(`BTF: string offset ${off} past the string section`);
      const start = strOff + off;
      let end = start;
      while (end < strOff + strLen && bytes[end] !== 0) end++;
      return decoder.decode(bytes.subarray(start, end));
    };
    for (let at = typeOff; at < typeOff + typeLen;) {
      if (at + 12 > typeOff + typeLen) throw new BpfError("BTF: truncated type", { offset: at });
      const name = str(dv.getUint32(at, true));
      const info = dv.getUint32(at + 4, true);
      const vlen = info & 0xffff;
      const kind = (info >>> 24) & 0x1f;
      const sizeOrType = dv.getUint32(at + 8, true);
      const body = at + 12;
      const type: { -readonly [K in keyof BtfType]: BtfType[K] } = { kind, name, vlen, sizeOrType };
      if (kind === Kind.ARRAY) type.array = { type: dv.getUint32(body, true), nelems: dv.getUint32(body + 8, true) };
      if (kind === Kind.STRUCT || kind === Kind.UNION || kind === Kind.DATASEC) {
        type.members = Array.from({ length: vlen }, (_, k) => {
          const m = body + 12 * k;
          return kind === Kind.DATASEC
            ? { name: "", type: dv.getUint32(m, true), offset: dv.getUint32(m + 4, true), size: dv.getUint32(m + 8, true) }
            : { name: str(dv.getUint32(m, true)), type: dv.getUint32(m + 4, true), offset: dv.getUint32(m + 8, true), size: 0 };
        });
      }
      this.types.push(type);
      at = body + extraBytes(kind, vlen);
    }
  }

  private type(id: number, what: string): BtfType {
    const t = this.types[id];
    if (!t) throw new BpfError(`BTF: ${what} refers to type id ${id}, past the ${this.types.length - 1} types`);
    return t;
  }

  /** Follow typedef / const / volatile / restrict / type tags. */
  private resolve(id: number, what: string): BtfType {
    let t = this.type(id, what);
    for (let hops = 0; [Kind.TYPEDEF, Kind.VOLATILE, Kind.CONST, Kind.RESTRICT, Kind.TYPE_TAG].includes(t.kind as 8); hops++) {
      if (hops > 32) throw new BpfError(`BTF: ${what}: type chain too long`);
      t = this.type(t.sizeOrType, what);
    }
    return t;
  }

  /** sizeof(type id). */
  sizeOf(id: number, what: string): number {
    const t = this.resolve(id, what);
    switch (t.kind) {
      case Kind.INT: case Kind.STRUCT: case Kind.UNION: case Kind.ENUM: case Kind.ENUM64: case Kind.FLOAT: case Kind.DATASEC:
        return t.sizeOrType;
      case Kind.PTR: return 8;
      case Kind.ARRAY: return t.array!.nelems * this.sizeOf(t.array!.type, what);
      default: throw new BpfError(`BTF: ${what}: type of kind ${t.kind} has no size`);
    }
  }

  /**
   * The map definitions of DATASEC `.maps`, in the DATASEC's order (libbpf's map order,
   * bpf_object__init_user_btf_maps). Offsets in an object file's DATASEC may still be 0 (libbpf
   * fixes them up from the symbol table), so callers locate maps by name.
   */
  mapDefinitions(): MapDefinition[] {
    const sec = this.types.find((t) => t.kind === Kind.DATASEC && t.name === ".maps");
    if (!sec) return [];
    return sec.members!.map((entry, k) => {
      const v = this.type(entry.type, ".maps entry");
      if (v.kind !== Kind.VAR) throw new BpfError(`BTF: .maps entry ${k} is not a variable`);
      return { name: v.name, ...this.mapSpec(v.name, v.sizeOrType) };
    });
  }

  private mapSpec(name: string, structId: number): { spec: MapSpec; valuesOffset?: number } {
    const def = this.resolve(structId, `map '${name}'`);
    if (def.kind !== Kind.STRUCT) throw new BpfError(`BTF: map '${name}' is not defined by a struct`);
    const fields: Record<string, number> = {};
    let valuesOffset: number | undefined;
    for (const m of def.members!) {
      const what = `map '${name}' field '${m.name}'`;
      const ptr = this.resolve(m.type, what);
      if (m.name === "values") {
        // PROG_ARRAY initial values: an array of pointers whose slots relocations fill.
        valuesOffset = m.offset / 8;
        continue;
      }
      if (ptr.kind !== Kind.PTR) throw new BpfError(`BTF: ${what} is not a pointer (__uint/__type)`);
      if (m.name === "key" || m.name === "value") {
        fields[`${m.name}_size`] = this.sizeOf(ptr.sizeOrType, what);
        continue;
      }
      const arr = this.resolve(ptr.sizeOrType, what);
      if (arr.kind !== Kind.ARRAY) throw new BpfError(`BTF: ${what} is not __uint(name, N)`);
      fields[m.name] = arr.array!.nelems;
    }
    const need = (field: string): number => {
      const v = fields[field];
      if (v === undefined) throw new BpfError(`BTF: map '${name}' has no '${field}'`);
      return v;
    };
    const spec: MapSpec = {
      name,
      type: need("type"),
      keySize: fields["key_size"] ?? 0,
      // libbpf (parse_btf_map_def): maps with `values` (PROG_ARRAY, map-in-map) hold 4-byte ids.
      valueSize: fields["value_size"] ?? (valuesOffset !== undefined ? 4 : 0),
      maxEntries: need("max_entries"),
      flags: fields["map_flags"] ?? 0,
    };
    return valuesOffset === undefined ? { spec } : { spec, valuesOffset };
  }
}
