// BTF type kinds and header layout, as include/uapi/linux/btf.h defines them (and
// Documentation/bpf/btf.rst describes). Numbers are UAPI: they are what the bytes hold.

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** struct btf_header: magic, version, flags, hdr_len, type_off, type_len, str_off, str_len. */
export const BTF_HEADER_SIZE = 24;
/** struct btf_type: name_off, info, size|type. */
export const BTF_TYPE_SIZE = 12;
/** The kernel's BTF_MAX_TYPE: type ids are below 2^20. */
export const BTF_MAX_TYPE = 0x000fffff;
/** The kernel's BTF_MAX_NAME_OFFSET and BTF_MAX_VLEN. */
export const BTF_MAX_NAME_OFFSET = 0x00ffffff;
export const BTF_MAX_VLEN = 0xffff;

export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
export type BtfKind = (typeof BtfKind)[keyof typeof BtfKind];

const KIND_NAMES: readonly string[] = Object.keys(BtfKind);

/** "STRUCT", "PTR", ... as bpftool prints them; unknown kinds by number. */
export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? `kind ${kind}`;
}

/** Bytes of kind-specific data that follow a btf_type of `kind` with `vlen` entries. */
export function trailerSize(kind: number, vlen: number): number | undefined {
  switch (kind) {
    case BtfKind.INT: return 4; // encoding, offset, bits
    case BtfKind.ARRAY: return 12; // struct btf_array
    case BtfKind.STRUCT: case BtfKind.UNION: return 12 * vlen; // struct btf_member
    case BtfKind.ENUM: return 8 * vlen; // struct btf_enum
    case BtfKind.ENUM64: return 12 * vlen; // struct btf_enum64
    case BtfKind.FUNC_PROTO: return 8 * vlen; // struct btf_param
    case BtfKind.VAR: return 4; // struct btf_var (linkage)
    case BtfKind.DATASEC: return 12 * vlen; // struct btf_var_secinfo
    case BtfKind.DECL_TAG: return 4; // struct btf_decl_tag (component_idx)
    case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
    case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.FLOAT: case BtfKind.TYPE_TAG:
      return 0;
    default:
      return undefined;
  }
}

/** BTF_INT_ENCODING bits. */
export const BTF_INT_SIGNED = 1 << 0;
export const BTF_INT_CHAR = 1 << 1;
export const BTF_INT_BOOL = 1 << 2;

/** VAR / FUNC linkage (enum btf_func_linkage / BTF_VAR_*). */
export const LINKAGE_NAMES: readonly string[] = ["static", "global", "extern"];
