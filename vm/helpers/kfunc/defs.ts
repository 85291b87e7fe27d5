// What a kfunc is to the verifier and the engines: a HelperDef (the engines call `impl` through
// the same mechanism as a helper's: the interpreter directly, the JIT through its generic
// `helpers.<id>` import) plus the prototype the verifier checks calls against — the facts the
// kernel takes from the function's BTF and its BTF_ID_FLAGS (include/linux/btf.h KF_*).

import type { HelperDef } from "../registry.js";
import type { ProgramTypeName } from "../../programs/types.js";

/**
 * A parameter, after the kernel's kfunc argument kinds (get_kfunc_ptr_arg_type):
 *   scalar         an int / u32 / u64 ... (KF_ARG scalar: any SCALAR_VALUE)
 *   iter           `struct bpf_iter_<type> *`: the iterator's state on the program's stack
 *                  (KF_ARG_PTR_TO_ITER), uninitialised for a KF_ITER_NEW function, initialised else
 *   ctx            the program's context (KF_ARG_PTR_TO_CTX: `struct xdp_md *`, `struct __sk_buff *`)
 *   dynptr         `const struct bpf_dynptr *`: an initialised dynptr (KF_ARG_PTR_TO_DYNPTR)
 *   dynptr_uninit  `struct bpf_dynptr *ptr__uninit`: stack the kfunc makes a dynptr of the
 *                  proto's `dynptr` type in (bpf_dynptr_clone's `clone__uninit`: of the type of
 *                  the dynptr before it, sharing its reference)
 *   buffer_opt     `void *buffer__opt`: memory of the next parameter's size, or NULL
 *                  (KF_ARG_PTR_TO_MEM_SIZE with an optional pointer)
 *   buffer_size    `u32 buffer__szk`: the size of the buffer before it, a known constant
 */
export type KfuncParam = "scalar" | "iter" | "ctx" | "dynptr" | "dynptr_uninit" | "buffer_opt" | "buffer_size";

/** KF_ITER_NEW / KF_ITER_NEXT / KF_ITER_DESTROY: the three functions of an open-coded iterator. */
export type IterRole = "new" | "next" | "destroy";

export interface KfuncProto {
  readonly params: readonly KfuncParam[];
  /**
   * int: an unknown scalar; void: nothing (r0 not readable); int_ptr_or_null: `int *` that may be
   * NULL (KF_RET_NULL), read-only memory of 4 bytes (the kernel's PTR_TO_MEM | MEM_RDONLY for a
   * pointer to a scalar); dynptr_slice(_rdwr): `buffer__szk` bytes of the dynptr argument's
   * data, or NULL (bpf_dynptr_slice: read-only; _rdwr: writable).
   */
  readonly ret: "int" | "void" | "int_ptr_or_null" | "dynptr_slice" | "dynptr_slice_rdwr";
  /** An iterator function: the iterator type (`num` for struct bpf_iter_num), its size and role. */
  readonly iter?: { readonly type: string; readonly size: number; readonly role: IterRole };
  /** The type of the dynptr a `dynptr_uninit` parameter makes (bpf_dynptr_from_xdp / _from_skb). */
  readonly dynptr?: "xdp" | "skb";
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
