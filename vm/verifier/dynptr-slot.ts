// Half of a struct bpf_dynptr in a stack slot (the kernel's STACK_DYNPTR slots, whose
// spilled_ptr carries dynptr.{type, first_slot}, the id and the reference): the slot's bytes are
// Slot.DYNPTR and its `spills` entry is a Reg of type "dynptr" with
//   map    the dynptr's type (DynptrType)
//   range  1 in the first slot (the lower address, where the pointer points), 0 in the second
//   id     the dynptr's id: the slices bpf_dynptr_data gave of it carry it (their Reg.map)
//   ref    RINGBUF: the reference bpf_ringbuf_reserve_dynptr acquired, in both slots
// Only this module and dynptr.ts build or read these fields.

import { DynptrType } from "../helpers/dynptr-type.js";
import type { Reg } from "./regs.js";

export { DynptrType, type DynptrTypeValue } from "../helpers/dynptr-type.js";

/** dynptr_type_str. */
export const DYNPTR_TYPE_NAMES: readonly string[] = ["invalid", "local", "ringbuf", "skb", "xdp"];

/** As the kernel's log prints a dynptr's first slot: `dynptr_ringbuf(id=1,ref_id=2,dynptr_id=1)`. */
export function dynptrString(r: Reg): string {
  const parts = [`id=${r.id}`];
  if (r.ref) parts.push(`ref_id=${r.ref}`);
  parts.push(`dynptr_id=${r.id}`);
  return `dynptr_${DYNPTR_TYPE_NAMES[r.map] ?? "?"}(${parts.join(",")})`;
}

/**
 * A kfunc's slice of an skb or xdp dynptr (its type in Reg.frame, vm/verifier/dynptr.ts
 * kfuncSlice): what changes the packet's data makes it unusable, as it does packet pointers
 * (clear_all_pkt_pointers, reg_is_dynptr_slice_pkt).
 */
export const isPacketSlice = (r: Reg): boolean =>
  (r.type === "mem" || r.type === "mem_or_null" || r.type === "rdonly_mem" || r.type === "rdonly_mem_or_null") &&
  (r.frame === DynptrType.SKB || r.frame === DynptrType.XDP);
