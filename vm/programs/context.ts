// Context structs as the kernel's UAPI defines them (include/uapi/linux/bpf.h). A context holds
// real addresses in our one memory (docs/memory-model.md), so `(void *)(long)ctx->data` as
// clang compiles it works without the kernel's context rewriting.

/** What a ctx field holds, as the verifier types a load of it (kernel: PTR_TO_PACKET etc.). */
// sock_common: `__sk_buff.sk`, the skb's socket (PTR_TO_SOCK_COMMON_OR_NULL).
export type CtxFieldKind = "scalar" | "packet" | "packet_end" | "packet_meta" | "sock_common";

export interface CtxField {
  readonly name: string;
  readonly offset: number;
  readonly size: 1 | 4 | 8;
  readonly kind: CtxFieldKind;
  /** Programs may store to it (kernel: the program type's is_valid_access for BPF_WRITE). */
  readonly writable: boolean;
  /**
   * The kernel keeps the field narrower than its UAPI slot, so a store changes less than it
   * says and a load of the slot's upper half reads the field itself (vm/program/ctx-narrow.ts).
   * Absent: loads and stores mean the whole slot.
   */
  readonly store?: NarrowStore;
}

/**
 * How convert_ctx_access (net/core/filter.c) turns a 4-byte store to a field whose sk_buff
 * member is a __u16 into a 2-byte one (tc_index, tc_classid, queue_mapping): a later load reads
 * the 16 bits back, zero-extended. `dropsFrom`: queue_mapping's rule, a value at or above it
 * (NO_QUEUE_MAPPING, 0xffff) is not stored at all.
 */
export interface NarrowStore {
  readonly bytes: 2;
  readonly dropsFrom?: number;
}

export interface CtxLayout {
  readonly name: string; // the C struct: "xdp_md", "__sk_buff"
  readonly size: number;
  readonly fields: readonly CtxField[];
}

export type FieldSpec = readonly [name: string, size: 1 | 4 | 8, kind?: CtxFieldKind, store?: NarrowStore];

/** Lay fields out in order with natural alignment, as the C compiler does for these structs. */
export function ctxLayout(name: string, specs: readonly FieldSpec[], writable: readonly string[] = []): CtxLayout {
  let offset = 0;
  const fields = specs.map(([fieldName, size, kind = "scalar", store]) => {
    offset = Math.ceil(offset / size) * size;
    const field: CtxField = { name: fieldName, offset, size, kind, writable: writable.includes(fieldName), ...(store ? { store } : {}) };
    offset += size;
    return field;
  });
  return { name, size: Math.ceil(offset / 8) * 8, fields };
}

/** The field covering [offset, offset + size), if the access is exactly within one field. */
export function ctxFieldAt(layout: CtxLayout, offset: number, size: number): CtxField | undefined {
  return layout.fields.find((f) => offset >= f.offset && offset + size <= f.offset + f.size);
}

export function ctxField(layout: CtxLayout, name: string): CtxField {
  const field = layout.fields.find((f) => f.name === name);
  if (!field) throw new Error(`${layout.name} has no field ${name}`);
  return field;
}
