// Helpers: functions a program calls with `call N` (RFC 9669 §4.3.1, "helper functions").
// Numbering is Linux's UAPI (include/uapi/linux/bpf.h, enum bpf_func_id), so bytecode compiled
// for the kernel calls the same helper here. One definition serves the verifier (signature),
// the interpreter and the JIT (implementation: the JIT imports it into its wasm module).

import { isKfunc, type KfuncDef } from "./kfunc/defs.js";

/** Argument kinds, named after the kernel's enum bpf_arg_type (used by the verifier). */
export type HelperArg =
  | "anything"
  | "const_map_ptr"
  | "ptr_to_map_key"
  | "ptr_to_map_value"
  | "ptr_to_mem"
  | "ptr_to_uninit_mem"
  | "const_size"
  | "const_size_or_zero"
  | "ptr_to_ctx"
  // ARG_PTR_TO_CTX_OR_NULL: the context or a known NULL (get_netns_cookie).
  | "ptr_to_ctx_or_null"
  // ringbuf_reserve's size (ARG_CONST_ALLOC_SIZE_OR_ZERO) and ringbuf_submit/discard's record
  // (ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE): added for the verifier (H7).
  | "const_alloc_size_or_zero"
  | "ptr_to_alloc_mem"
  // map_pop_elem / map_peek_elem's output buffer (ARG_PTR_TO_MAP_VALUE | MEM_UNINIT): written,
  // so it need not be initialised (H7).
  | "ptr_to_uninit_map_value"
  // ARG_PTR_TO_MEM | PTR_MAYBE_NULL (| MEM_RDONLY): memory the helper reads, or NULL when the
  // size argument after it is 0 (csum_diff's from/to, trace_vprintk's data) (H14).
  | "ptr_to_mem_or_null"
  // ARG_PTR_TO_FUNC: a subprogram's address (lddw func), which the helper calls back; and
  // ARG_PTR_TO_STACK_OR_NULL: the context handed to that callback (bpf_loop).
  | "ptr_to_func"
  | "ptr_to_stack_or_null"
  // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED with arg_size 4: a u32 the helper reads
  // and writes back, at a 4-aligned address (check_mtu's mtu_len).
  | "ptr_to_aligned_u32"
  // ARG_PTR_TO_SPIN_LOCK: the struct bpf_spin_lock in a map value (bpf_spin_lock / unlock).
  | "ptr_to_spin_lock"
  // ARG_PTR_TO_TIMER: the struct bpf_timer in a map value (the bpf_timer_* helpers).
  | "ptr_to_timer"
  // ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE: a socket a lookup returned, released
  // (bpf_sk_release).
  | "ptr_to_sock_common_release"
  // ARG_PTR_TO_BTF_ID_SOCK_COMMON: a socket the helper reads (tcp_check_syncookie, sk_assign).
  | "ptr_to_btf_id_sock_common"
  // ARG_PTR_TO_SOCK_COMMON: a socket pointer of the verifier's own types (sk_fullsock, tcp_sock).
  | "ptr_to_sock_common"
  // ARG_PTR_TO_CONST_STR: a NUL-terminated string at a constant offset in a frozen read-only map
  // value (.rodata): snprintf's format, strncmp's s2 (vm/verifier/const-str.ts).
  | "ptr_to_const_str"
  // ARG_PTR_TO_MEM | PTR_MAYBE_NULL without MEM_RDONLY: memory the helper writes, or NULL when
  // the size after it is 0 (snprintf's str).
  | "ptr_to_writable_mem_or_null"
  // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED with arg_size 8: an 8-aligned
  // u64 the helper writes (strtol / strtoul's res).
  | "ptr_to_aligned_u64_out"
  // ARG_PTR_TO_FIXED_SIZE_MEM (| MEM_RDONLY): memory the helper reads, of the size its
  // HelperDef.argSizes gives (the proto's arg_size): the raw syncookie helpers' headers.
  | "ptr_to_fixed_size_mem"
  // ARG_PTR_TO_DYNPTR (vm/verifier/dynptr.ts): a struct bpf_dynptr on the stack. With
  // DYNPTR_TYPE_LOCAL / DYNPTR_TYPE_RINGBUF | MEM_UNINIT: stack the helper makes one of that
  // type in (dynptr_from_mem, ringbuf_reserve_dynptr); | MEM_RDONLY: an initialised one of any
  // type (dynptr_read, _write, _data); DYNPTR_TYPE_RINGBUF | OBJ_RELEASE: a ring buffer one,
  // released (ringbuf_submit_dynptr, _discard_dynptr).
  | "ptr_to_uninit_dynptr_local"
  | "ptr_to_uninit_dynptr_ringbuf"
  | "ptr_to_dynptr"
  | "ptr_to_dynptr_ringbuf_release";

/** Return kinds, after the kernel's enum bpf_return_type. */
export type HelperRet =
  | "integer" | "void" | "ptr_to_map_value_or_null" | "ptr_to_mem_or_null"
  // RET_PTR_TO_MAP_VALUE: a value that is always there (bpf_get_local_storage's storage).
  | "ptr_to_map_value"
  // RET_PTR_TO_SOCKET_OR_NULL / RET_PTR_TO_SOCK_COMMON_OR_NULL: the socket lookups.
  | "ptr_to_socket_or_null" | "ptr_to_sock_common_or_null"
  // RET_PTR_TO_TCP_SOCK_OR_NULL: bpf_tcp_sock.
  | "ptr_to_tcp_sock_or_null"
  // RET_PTR_TO_DYNPTR_MEM_OR_NULL: bpf_dynptr_data's slice of its dynptr argument.
  | "ptr_to_dynptr_mem_or_null";

/** What a helper may touch while it runs: the one memory and the CPU it runs on. */
export interface HelperContext {
  readonly memory: WebAssembly.Memory;
  readonly cpu: number;
}

export type HelperImpl = (
  ctx: HelperContext,
  r1: bigint,
  r2: bigint,
  r3: bigint,
  r4: bigint,
  r5: bigint,
) => bigint;

export interface HelperDef {
  readonly id: number;
  readonly name: string;
  /**
   * r1, r2, ... in order: what the verifier checks of each. The JIT passes `impl` only these
   * registers, or as many as `impl` names after the context if that is more (each i64 argument
   * of a wasm-to-JS call costs a BigInt); the others are given as 0. An impl reading its
   * registers through a rest parameter must declare them here.
   */
  readonly args: readonly HelperArg[];
  /** Bytes of each "ptr_to_fixed_size_mem" argument, by argument (the proto's arg_size). */
  readonly argSizes?: readonly number[];
  readonly ret: HelperRet;
  readonly impl: HelperImpl;
}

/**
 * A set of helpers by id, and the kfuncs (kernel functions: KfuncDef, vm/helpers/kfunc) the
 * machine offers, by kfunc id (a range of its own: vm/helpers/kfunc/ids.ts). Programs may only
 * call helpers and kfuncs of the table they are loaded with. `get`, `has` and `list` are about
 * helpers only (`call N`); `kfunc` and `kfuncList` about kfuncs (`call kfunc N`).
 */
export class HelperTable {
  private readonly byId = new Map<number, HelperDef>();
  private readonly kfuncs = new Map<number, KfuncDef>();

  constructor(defs: Iterable<HelperDef> = []) {
    for (const def of defs) this.add(def);
  }

  /** Add a helper, or a kfunc (a def with a `proto`). */
  add(def: HelperDef): this {
    const into: Map<number, HelperDef> = isKfunc(def) ? this.kfuncs : this.byId;
    if (into.has(def.id)) throw new Error(`${isKfunc(def) ? "kfunc" : "helper"} ${def.id} (${def.name}) is registered twice`);
    into.set(def.id, def);
    return this;
  }

  /** The kfunc with this id (a `call kfunc` immediate), if the table has it. */
  kfunc(id: number): KfuncDef | undefined {
    return this.kfuncs.get(id);
  }

  /** All kfuncs, ordered by id. */
  kfuncList(): KfuncDef[] {
    return [...this.kfuncs.values()].sort((a, b) => a.id - b.id);
  }

  get(id: number): HelperDef | undefined {
    return this.byId.get(id);
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  /** All helpers, ordered by id. */
  list(): HelperDef[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }
}
