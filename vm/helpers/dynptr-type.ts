// What the runtime's dynptr helpers and kfuncs (dynptr.ts, kfunc/dynptr.ts, packet/dynptr-packet.ts)
// and the verifier (vm/verifier/dynptr.ts) agree on: enum bpf_dynptr_type (include/linux/bpf.h,
// the types built here) and the size of struct bpf_dynptr (BPF_DYNPTR_SIZE: two stack slots).

export const DynptrType = { LOCAL: 1, RINGBUF: 2, SKB: 3, XDP: 4 } as const;
export type DynptrTypeValue = (typeof DynptrType)[keyof typeof DynptrType];

/** BPF_DYNPTR_SIZE. */
export const DYNPTR_SIZE = 16;
