// Kernel functions (kfuncs) by name and id. A kfunc call is `call` with src_reg =
// BPF_PSEUDO_KFUNC_CALL and imm = the function's id. In the kernel that id is the BTF id of the
// function in the running kernel's vmlinux BTF, which differs from one build to the next; a BPF
// object names the kfunc (an `extern ... __ksym` function) and the loader (libbpf) resolves it.
//
// This runtime has no vmlinux, so it numbers its kfuncs itself, from KFUNC_ID_BASE up: just
// above BTF_MAX_TYPE (0xfffff), so no kernel BTF id can be mistaken for one of ours and no
// helper id (UAPI enum bpf_func_id, a few hundred) collides with them. The ELF loader resolves
// an extern by name to these ids (vm/elf/load/relocate.ts), the assembler takes the names
// (`call kfunc bpf_iter_num_new`), and the kernel engine rewrites each id to the vmlinux BTF id
// of the same name before BPF_PROG_LOAD (vm/node/kernel/kfunc-btf.ts).

/** The first id of this runtime's kfuncs: one past the kernel's BTF_MAX_TYPE. */
export const KFUNC_ID_BASE = 0x100000;

/** Every kfunc this runtime knows, in id order (id = KFUNC_ID_BASE + index). Append only. */
const NAMES: readonly string[] = [
  "bpf_iter_num_new",
  "bpf_iter_num_next",
  "bpf_iter_num_destroy",
  "bpf_dynptr_from_xdp",
  "bpf_dynptr_from_skb",
  "bpf_dynptr_slice",
  "bpf_dynptr_slice_rdwr",
  "bpf_dynptr_adjust",
  "bpf_dynptr_is_null",
  "bpf_dynptr_is_rdonly",
  "bpf_dynptr_size",
  "bpf_dynptr_clone",
];

export const KFUNC_IDS: Readonly<Record<string, number>> = Object.fromEntries(NAMES.map((n, i) => [n, KFUNC_ID_BASE + i]));

/** The id of kfunc `name`, if this runtime has one of that name. */
export function kfuncId(name: string): number | undefined {
  const i = NAMES.indexOf(name);
  return i < 0 ? undefined : KFUNC_ID_BASE + i;
}

/** The name of kfunc `id`, if the id is one of this runtime's. */
export function kfuncName(id: number): string | undefined {
  return NAMES[id - KFUNC_ID_BASE];
}
