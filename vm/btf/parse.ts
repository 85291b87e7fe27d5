// Reading a .BTF section (Documentation/bpf/btf.rst "BTF Type and String Encoding"):
//
//   struct btf_header { u16 magic = 0xeb9f; u8 version = 1; u8 flags; u32 hdr_len;
//                       u32 type_off, type_len, str_off, str_len; }   offsets from the header's end
//   types:   struct btf_type { u32 name_off; u32 info; u32 size_or_type; } + kind-specific data,
//            ids counting from 1 in order (0 is void)
//   strings: NUL-terminated names
//
// The checks are the ones the kernel's btf_parse makes that a reader needs not to go wrong:
// header and section bounds, known kinds, vlen and kind_flag where a kind has none, names inside
// the string section, and every type id a type refers to inside the table. Each refusal is a
// BpfError with the byte offset in the file.

import { BpfError } from "../errors.js";
import { Btf } from "./btf.js";
import {
  BTF_HEADER_SIZE, BTF_MAGIC, BTF_MAX_TYPE, BTF_TYPE_SIZE, BTF_VERSION, BtfKind, kindName, trailerSize,
} from "./kinds.js";
import { BlobReader, hex } from "./reader.js";
import { BtfStrings } from "./strings.js";
import type { BtfMember, BtfType } from "./types.js";

export interface BtfHeader {
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
}

/** Parse a .BTF blob; `base` is its offset in the file, for messages. */
export function parseBtf(bytes: Uint8Array, base = 0): Btf {
  const r = new BlobReader(bytes, base, "BTF");
  const header = parseHeader(r);
  const strings = new BtfStrings(r, header.hdrLen + header.strOff, header.strLen);
  const types = parseTypes(r, header, strings);
  checkReferences(r, types);
  return new Btf(types, header, strings, base);
}

function parseHeader(r: BlobReader): BtfHeader {
  r.need(0, BTF_HEADER_SIZE, "btf_header");
  const magic = r.u16(0, "magic");
  if (magic === 0x9feb) r.fail("big-endian BTF (magic 0x9feb) is not supported: only little-endian objects are loaded", 0);
  if (magic !== BTF_MAGIC) r.fail(`bad magic ${hex(magic)} (expected 0xeb9f)`, 0);
  const version = r.u8(2, "version");
  if (version !== BTF_VERSION) r.fail(`unsupported version ${version} (expected ${BTF_VERSION})`, 2);
  const flags = r.u8(3, "flags");
  if (flags !== 0) r.fail(`unsupported flags ${hex(flags)} (must be 0)`, 3);
  const hdrLen = r.u32(4, "hdr_len");
  if (hdrLen < BTF_HEADER_SIZE || hdrLen > r.length) {
    r.fail(`hdr_len ${hdrLen} is not between ${BTF_HEADER_SIZE} and the section size ${r.length}`, 4);
  }
  // A longer header (a newer kernel's) is allowed when its extra bytes are zero (btf_parse_hdr).
  for (let i = BTF_HEADER_SIZE; i < hdrLen; i++) {
    if (r.bytes[i] !== 0) r.fail(`unsupported header field: byte ${i} of a ${hdrLen}-byte header is not zero`, i);
  }
  const h: BtfHeader = {
    version, flags, hdrLen,
    typeOff: r.u32(8, "type_off"),
    typeLen: r.u32(12, "type_len"),
    strOff: r.u32(16, "str_off"),
    strLen: r.u32(20, "str_len"),
  };
  const body = r.length - hdrLen;
  if (h.typeOff % 4 !== 0) r.fail(`type_off ${h.typeOff} is not 4-byte aligned`, 8);
  if (h.typeOff > body || h.typeLen > body - h.typeOff) {
    r.fail(`the type section (type_off ${h.typeOff}, type_len ${h.typeLen}) runs past the end of the ${body} bytes after the header`, 8);
  }
  if (h.strOff > body || h.strLen > body - h.strOff) {
    r.fail(`the string section (str_off ${h.strOff}, str_len ${h.strLen}) runs past the end of the ${body} bytes after the header`, 16);
  }
  if (h.typeOff < h.strOff + h.strLen && h.strOff < h.typeOff + h.typeLen) {
    r.fail(`the type section (${h.typeOff}+${h.typeLen}) and the string section (${h.strOff}+${h.strLen}) overlap`, 16);
  }
  return h;
}

function parseTypes(r: BlobReader, h: BtfHeader, strings: BtfStrings): BtfType[] {
  const types: BtfType[] = [{ id: 0, kind: BtfKind.UNKN, name: "void", at: r.base }];
  const start = h.hdrLen + h.typeOff;
  const end = start + h.typeLen;
  for (let at = start; at < end;) {
    if (types.length > BTF_MAX_TYPE) r.fail(`more than ${BTF_MAX_TYPE} types`, at);
    if (end - at < BTF_TYPE_SIZE) r.fail(`type ${types.length}: truncated struct btf_type (${end - at} bytes left)`, at);
    const info = r.u32(at + 4, "info");
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const extra = trailerSize(kind, vlen);
    if (extra === undefined || kind === BtfKind.UNKN) r.fail(`type ${types.length}: unknown kind ${kind}`, at + 4);
    if (end - at - BTF_TYPE_SIZE < extra) {
      r.fail(`type ${types.length} (${kindName(kind)}, vlen ${vlen}): its ${extra} bytes of data run past the type section`, at);
    }
    types.push(readType(r, strings, types.length, at, info));
    at += BTF_TYPE_SIZE + extra;
  }
  return types;
}

/** Kinds whose btf_type carries no vlen (every kind without a list of entries). */
const NO_VLEN: ReadonlySet<number> = new Set([
  BtfKind.INT, BtfKind.PTR, BtfKind.ARRAY, BtfKind.FWD, BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST,
  BtfKind.RESTRICT, BtfKind.VAR, BtfKind.FLOAT, BtfKind.DECL_TAG, BtfKind.TYPE_TAG,
]);

function readType(r: BlobReader, strings: BtfStrings, id: number, at: number, info: number): BtfType {
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  const kindFlag = (info >>> 31) === 1;
  const label = `type ${id} (${kindName(kind)})`;
  if (NO_VLEN.has(kind) && vlen !== 0) r.fail(`${label}: vlen must be 0, got ${vlen}`, at + 4);
  if ((info & 0x60ff0000) !== 0) r.fail(`${label}: unused bits of info ${hex(info)} are set`, at + 4);
  const name = strings.get(r.u32(at, "name_off"), `${label} name_off`, at);
  const third = r.u32(at + 8, "size_or_type");
  const body = at + BTF_TYPE_SIZE;
  const fileAt = r.base + at;
  const base = { id, name, at: fileAt };
  const str = (off: number, what: string) => strings.get(r.u32(off, what), `${label} ${what}`, off);
  switch (kind) {
    case BtfKind.INT: {
      const word = r.u32(body, "int encoding");
      const bits = word & 0xff;
      const bitsOffset = (word >>> 16) & 0xff;
      if (![1, 2, 4, 8, 16].includes(third)) r.fail(`${label}: size ${third} is not 1, 2, 4, 8 or 16`, at + 8);
      if (bits === 0 || bits + bitsOffset > third * 8) r.fail(`${label}: ${bits} bits at bit ${bitsOffset} do not fit in ${third} bytes`, body);
      return { ...base, kind, size: third, encoding: (word >>> 24) & 0x0f, bitsOffset, bits };
    }
    case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG:
      return { ...base, kind, type: third };
    case BtfKind.ARRAY:
      return { ...base, kind, elemType: r.u32(body, "array type"), indexType: r.u32(body + 4, "array index_type"), nelems: r.u32(body + 8, "array nelems") };
    case BtfKind.STRUCT: case BtfKind.UNION: {
      const members: BtfMember[] = [];
      for (let i = 0; i < vlen; i++) {
        const m = body + 12 * i;
        const offset = r.u32(m + 8, "member offset");
        members.push({
          name: str(m, `member ${i} name_off`),
          type: r.u32(m + 4, "member type"),
          // kind_flag: offset = bitfield_size << 24 | bit_offset (btf.h BTF_MEMBER_BITFIELD_SIZE).
          bitOffset: kindFlag ? offset & 0xffffff : offset,
          bitfieldSize: kindFlag ? offset >>> 24 : 0,
        });
      }
      return { ...base, kind, size: third, members };
    }
    case BtfKind.ENUM: case BtfKind.ENUM64: {
      const size = kind === BtfKind.ENUM ? 8 : 12;
      const values = Array.from({ length: vlen }, (_, i) => {
        const e = body + size * i;
        const lo = r.u32(e + 4, "enum value");
        const value = kind === BtfKind.ENUM
          ? BigInt(kindFlag ? lo | 0 : lo)
          : (BigInt(r.u32(e + 8, "enum64 value_hi32")) << 32n) | BigInt(lo);
        return { name: str(e, `enumerator ${i} name_off`), value: kind === BtfKind.ENUM64 && kindFlag ? BigInt.asIntN(64, value) : value };
      });
      if (![1, 2, 4, 8].includes(third)) r.fail(`${label}: size ${third} is not 1, 2, 4 or 8`, at + 8);
      return { ...base, kind, size: third, signed: kindFlag, values };
    }
    case BtfKind.FWD:
      return { ...base, kind, union: kindFlag };
    case BtfKind.FUNC:
      if (vlen > 2) r.fail(`${label}: linkage ${vlen} is not static (0), global (1) or extern (2)`, at + 4);
      return { ...base, kind, type: third, linkage: vlen };
    case BtfKind.FUNC_PROTO: {
      const params = Array.from({ length: vlen }, (_, i) => ({
        name: str(body + 8 * i, `parameter ${i} name_off`),
        type: r.u32(body + 8 * i + 4, "parameter type"),
      }));
      return { ...base, kind, returnType: third, params };
    }
    case BtfKind.VAR: {
      const linkage = r.u32(body, "var linkage");
      if (linkage > 2) r.fail(`${label}: linkage ${linkage} is not static (0), global (1) or extern (2)`, body);
      return { ...base, kind, type: third, linkage };
    }
    case BtfKind.DATASEC: {
      const vars = Array.from({ length: vlen }, (_, i) => ({
        type: r.u32(body + 12 * i, "datasec var type"),
        offset: r.u32(body + 12 * i + 4, "datasec var offset"),
        size: r.u32(body + 12 * i + 8, "datasec var size"),
      }));
      return { ...base, kind, size: third, vars };
    }
    case BtfKind.FLOAT:
      if (![2, 4, 8, 12, 16].includes(third)) r.fail(`${label}: size ${third} is not 2, 4, 8, 12 or 16`, at + 8);
      return { ...base, kind, size: third };
    case BtfKind.DECL_TAG:
      return { ...base, kind, type: third, componentIdx: r.i32(body, "decl_tag component_idx") };
    default:
      throw new BpfError(`BTF: ${label}: unknown kind`, { offset: fileAt });
  }
}

/** Type ids a type refers to, with what refers to them. */
function references(t: BtfType): Array<[number, string]> {
  switch (t.kind) {
    case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
    case BtfKind.TYPE_TAG: case BtfKind.FUNC: case BtfKind.VAR: case BtfKind.DECL_TAG:
      return [[t.type, "type"]];
    case BtfKind.ARRAY:
      return [[t.elemType, "element type"], [t.indexType, "index type"]];
    case BtfKind.STRUCT: case BtfKind.UNION:
      return t.members.map((m, i) => [m.type, `member ${i} '${m.name}'`]);
    case BtfKind.FUNC_PROTO:
      return [[t.returnType, "return type"], ...t.params.map((p, i): [number, string] => [p.type, `parameter ${i}`])];
    case BtfKind.DATASEC:
      return t.vars.map((v, i) => [v.type, `entry ${i}`]);
    default:
      return [];
  }
}

function checkReferences(r: BlobReader, types: readonly BtfType[]): void {
  for (const t of types) {
    for (const [id, what] of references(t)) {
      if (id >= types.length) {
        throw new BpfError(
          `BTF: type ${t.id} (${kindName(t.kind)}${t.name ? ` '${t.name}'` : ""}): ${what} refers to type id ${id}, but there are ${types.length - 1} types (at byte ${hex(t.at)})`,
          { offset: t.at },
        );
      }
    }
    if ((t.kind === BtfKind.FUNC && types[t.type]!.kind !== BtfKind.FUNC_PROTO)
      || (t.kind === BtfKind.DATASEC && t.vars.some((v) => v.type === 0))) {
      r.fail(`type ${t.id} (${kindName(t.kind)} '${t.name}'): refers to a type of the wrong kind`, t.at - r.base);
    }
  }
}
