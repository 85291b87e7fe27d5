// The BTF signature of each function of a linked program, as BPF_PROG_LOAD's func_info gives the
// kernel one FUNC per subprogram (prog->aux->func_info). The verifier reads from it what
// btf_prepare_func_args (kernel/bpf/btf.c) reads: the FUNC's linkage (a global function is
// verified on its own, from its prototype), the return type, and per parameter its type behind
// typedefs and qualifiers and its `arg:` decl tags (__arg_ctx, __arg_nonnull, ...). Whether a
// parameter is the program's context, memory or a scalar is the verifier's rule
// (vm/verifier/global-funcs.ts); this module only describes the types.

import type { Btf } from "./btf.js";
import type { BtfExt } from "./ext.js";
import { BtfKind, kindName } from "./kinds.js";
import type { BtfType } from "./types.js";

/** What a parameter's (or the return value's) type is, behind typedefs and qualifiers. */
export type FuncTypeClass = "void" | "int" | "enum" | "ptr" | "other";

export interface FuncPointee {
  /** The pointed-to type behind modifiers: "void", "struct", "union", ... (lowercase kind). */
  readonly kind: string;
  /** Its name ("" for void or an anonymous type). */
  readonly name: string;
  /** sizeof the pointee; undefined when BTF gives it none (void, a forward declaration, a function). */
  readonly size?: number;
  /** The pointee as btf_type_str() names its kind ("UNKNOWN" for void, "STRUCT", "FWD", ...). */
  readonly kindStr: string;
}

export interface FuncParam {
  readonly name: string;
  readonly type: FuncTypeClass;
  /** The parameter's own type kind as btf_type_str() prints it ("STRUCT", "FLOAT", ...). */
  readonly kindStr: string;
  /** For a pointer: what it points at. */
  readonly pointee?: FuncPointee;
  /** Its `arg:<tag>` decl tags without the prefix ("ctx", "nonnull", ...), in BTF order. */
  readonly tags: readonly string[];
}

export interface FuncSig {
  readonly name: string;
  /** FUNC linkage: 0 static, 1 global, 2 extern. */
  readonly linkage: number;
  readonly returns: FuncTypeClass;
  /** Parameters; a variadic `...` is one of type "void" (type id 0), which no rule accepts. */
  readonly params: readonly FuncParam[];
}

export const FUNC_STATIC = 0;
export const FUNC_GLOBAL = 1;

/** btf_type_str(): the kernel's names of BTF kinds (kind 0 is "UNKNOWN"). */
const kindStr = (t: BtfType): string => (t.kind === BtfKind.UNKN ? "UNKNOWN" : kindName(t.kind));

function classify(t: BtfType): FuncTypeClass {
  switch (t.kind) {
    case BtfKind.UNKN: return "void";
    case BtfKind.INT: return "int";
    case BtfKind.ENUM: case BtfKind.ENUM64: return "enum";
    case BtfKind.PTR: return "ptr";
    default: return "other";
  }
}

function pointee(btf: Btf, ptr: BtfType & { type: number }): FuncPointee {
  const t = btf.resolve(ptr.type);
  let size: number | undefined;
  try {
    size = t.kind === BtfKind.UNKN ? undefined : btf.sizeOf(t.id);
  } catch {
    size = undefined; // no size (FWD, FUNC_PROTO): btf_resolve_size fails too
  }
  return { kind: t.kind === BtfKind.UNKN ? "void" : kindName(t.kind).toLowerCase(), name: t.name, kindStr: kindStr(t), ...(size !== undefined ? { size } : {}) };
}

/** The signature of FUNC `id` (undefined when `id` is no FUNC with a FUNC_PROTO). */
export function funcSignature(btf: Btf, id: number): FuncSig | undefined {
  const fn = btf.types[id];
  if (!fn || fn.kind !== BtfKind.FUNC) return undefined;
  const proto = btf.types[fn.type];
  if (!proto || proto.kind !== BtfKind.FUNC_PROTO) return undefined;
  const tags = proto.params.map(() => [] as string[]);
  for (const t of btf.types) {
    if (t.kind === BtfKind.DECL_TAG && t.type === id && t.componentIdx >= 0 && t.name.startsWith("arg:")) {
      tags[t.componentIdx]?.push(t.name.slice(4));
    }
  }
  const params = proto.params.map((p, i): FuncParam => {
    const t = btf.resolve(p.type);
    return { name: p.name, type: classify(t), kindStr: kindStr(t), tags: tags[i]!, ...(t.kind === BtfKind.PTR ? { pointee: pointee(btf, t) } : {}) };
  });
  return { name: fn.name, linkage: fn.linkage, returns: classify(btf.resolve(proto.returnType)), params };
}

/** A function placed in a linked program: its section, first slot there and first slot in the program. */
export interface PlacedFunc {
  readonly section: string;
  readonly start: number;
  readonly at: number;
}

/**
 * The signatures of a linked program's functions in program order (subprogram 0, 1, ...), from
 * the .BTF.ext func_info record at each function's offset in its section (libbpf sends these as
 * the program's func_info). Undefined when a function has no record or no FUNC: the program then
 * has no usable func_info and every subprogram is static to the verifier.
 */
export function programFuncSigs(btf: Btf, ext: BtfExt, functions: readonly PlacedFunc[]): FuncSig[] | undefined {
  const sigs: FuncSig[] = [];
  for (const f of [...functions].sort((a, b) => a.at - b.at)) {
    const rec = ext.funcInfo.get(f.section)?.find((r) => r.insnOff === f.start * 8);
    const sig = rec && funcSignature(btf, rec.typeId);
    if (!sig) return undefined;
    sigs.push(sig);
  }
  return sigs;
}
