// BTF types as data: one interface per kind (include/uapi/linux/btf.h), with names already read
// from the string section and every field a loader or printer needs. Type id 0 is `void`.

import type { BtfKind } from "./kinds.js";

interface Base {
  readonly id: number;
  readonly name: string;
  /** File offset of this type's struct btf_type (for messages). */
  readonly at: number;
}

export interface BtfVoid extends Base { readonly kind: typeof BtfKind.UNKN }
export interface BtfInt extends Base {
  readonly kind: typeof BtfKind.INT;
  readonly size: number;
  /** BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL. */
  readonly encoding: number;
  readonly bitsOffset: number;
  readonly bits: number;
}
/** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG: a name (maybe) and the type they modify. */
export interface BtfRef extends Base {
  readonly kind: typeof BtfKind.PTR | typeof BtfKind.TYPEDEF | typeof BtfKind.VOLATILE | typeof BtfKind.CONST
    | typeof BtfKind.RESTRICT | typeof BtfKind.TYPE_TAG;
  readonly type: number;
}
export interface BtfArray extends Base {
  readonly kind: typeof BtfKind.ARRAY;
  readonly elemType: number;
  readonly indexType: number;
  readonly nelems: number;
}
export interface BtfMember {
  readonly name: string;
  readonly type: number;
  /** Offset from the start of the struct, in bits. */
  readonly bitOffset: number;
  /** Bitfield width in bits (0: not a bitfield). */
  readonly bitfieldSize: number;
}
export interface BtfComposite extends Base {
  readonly kind: typeof BtfKind.STRUCT | typeof BtfKind.UNION;
  readonly size: number;
  readonly members: readonly BtfMember[];
}
export interface BtfEnumValue {
  readonly name: string;
  readonly value: bigint;
}
export interface BtfEnum extends Base {
  readonly kind: typeof BtfKind.ENUM | typeof BtfKind.ENUM64;
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue[];
}
export interface BtfFwd extends Base {
  readonly kind: typeof BtfKind.FWD;
  /** kind_flag: a forward-declared union rather than a struct. */
  readonly union: boolean;
}
export interface BtfFunc extends Base {
  readonly kind: typeof BtfKind.FUNC;
  /** The FUNC_PROTO. */
  readonly type: number;
  /** 0 static, 1 global, 2 extern. */
  readonly linkage: number;
}
export interface BtfParam {
  readonly name: string;
  /** 0 for the `...` of a variadic function. */
  readonly type: number;
}
export interface BtfFuncProto extends Base {
  readonly kind: typeof BtfKind.FUNC_PROTO;
  readonly returnType: number;
  readonly params: readonly BtfParam[];
}
export interface BtfVar extends Base {
  readonly kind: typeof BtfKind.VAR;
  readonly type: number;
  /** 0 static, 1 global (allocated), 2 extern. */
  readonly linkage: number;
}
export interface BtfVarSecinfo {
  /** The VAR (or FUNC, for .ksyms) this entry places. */
  readonly type: number;
  /** Byte offset in the section (clang writes 0; libbpf fills it from the symbol table). */
  readonly offset: number;
  readonly size: number;
}
export interface BtfDatasec extends Base {
  readonly kind: typeof BtfKind.DATASEC;
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}
export interface BtfFloat extends Base {
  readonly kind: typeof BtfKind.FLOAT;
  readonly size: number;
}
export interface BtfDeclTag extends Base {
  readonly kind: typeof BtfKind.DECL_TAG;
  readonly type: number;
  /** -1: the tag is on the type itself; else the member / parameter index. */
  readonly componentIdx: number;
}

export type BtfType =
  | BtfVoid | BtfInt | BtfRef | BtfArray | BtfComposite | BtfEnum | BtfFwd | BtfFunc | BtfFuncProto
  | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag;
