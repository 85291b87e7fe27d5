// What a kfunc is to the verifier and the engines: a HelperDef (the engines call `impl` through
// the same mechanism as a helper's: the interpreter directly, the JIT through its generic
// `helpers.<id>` import) plus the prototype the verifier checks calls against — the facts the
// kernel takes from the function's BTF and its BTF_ID_FLAGS (include/linux/btf.h KF_*).

import type { HelperDef } from "../registry.js";
import type { ProgramTypeName } from "../../programs/types.js";

/**
 * A parameter, after the kernel's kfunc argument kinds (get_kfunc_ptr_arg_type):
 *   scalar  an int / u32 / u64 ... (KF_ARG scalar: any SCALAR_VALUE)
 *   iter    `struct bpf_iter_<type> *`: the iterator's state on the program's stack
 *           (KF_ARG_PTR_TO_ITER), uninitialised for a KF_ITER_NEW function, initialised else
 */
export type KfuncParam = "scalar" | "iter";

/** KF_ITER_NEW / KF_ITER_NEXT / KF_ITER_DESTROY: the three functions of an open-coded iterator. */
export type IterRole = "new" | "next" | "destroy";

export interface KfuncProto {
  readonly params: readonly KfuncParam[];
  /**
   * int: an unknown scalar; void: nothing (r0 not readable); int_ptr_or_null: `int *` that may be
   * NULL (KF_RET_NULL), read-only memory of 4 bytes (the kernel's PTR_TO_MEM | MEM_RDONLY for a
   * pointer to a scalar).
   */
  readonly ret: "int" | "void" | "int_ptr_or_null";
  /** An iterator function: the iterator type (`num` for struct bpf_iter_num), its size and role. */
  readonly iter?: { readonly type: string; readonly size: number; readonly role: IterRole };
  /**
   * Program types whose kfunc id set holds it (register_btf_kfunc_id_set); undefined: the
   * common set (BPF_PROG_TYPE_UNSPEC, every program type).
   */
  readonly types?: readonly ProgramTypeName[];
}

export interface KfuncDef extends HelperDef {
  readonly proto: KfuncProto;
}

export const isKfunc = (def: Pick<HelperDef, "id" | "name">): def is KfuncDef => "proto" in def;
