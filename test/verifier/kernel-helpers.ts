// The signatures of the kernel helpers the verifier corpus calls (include/uapi/linux/bpf.h ids,
// argument kinds after the kernel's bpf_func_proto definitions). Only the verifier reads these:
// the implementations are not needed to verify, so they refuse to run.
//
// vm/helpers holds the runtime's helpers; when it defines one of these ids, its definition is
// used instead, so the corpus checks the runtime's real signatures where they exist.

import { baseHelpers, HelperTable, type HelperArg, type HelperDef, type HelperRet } from "../../vm/helpers/index.js";
import { dynptrKfuncs } from "../../vm/helpers/kfunc/dynptr.js";
import { skRelease } from "../../vm/helpers/packet/sk-lookup.js";

const sig = (id: number, name: string, args: HelperArg[], ret: HelperRet): HelperDef => ({
  id,
  name,
  args,
  ret,
  impl: () => {
    throw new Error(`${name}: signature only (verifier tests)`);
  },
});

const SIGNATURES: readonly HelperDef[] = [
  sig(1, "map_lookup_elem", ["const_map_ptr", "ptr_to_map_key"], "ptr_to_map_value_or_null"),
  sig(2, "map_update_elem", ["const_map_ptr", "ptr_to_map_key", "ptr_to_map_value", "anything"], "integer"),
  sig(3, "map_delete_elem", ["const_map_ptr", "ptr_to_map_key"], "integer"),
  sig(195, "map_lookup_percpu_elem", ["const_map_ptr", "ptr_to_map_key", "anything"], "ptr_to_map_value_or_null"),
  sig(87, "map_push_elem", ["const_map_ptr", "ptr_to_map_value", "anything"], "integer"),
  sig(88, "map_pop_elem", ["const_map_ptr", "ptr_to_uninit_map_value"], "integer"),
  sig(89, "map_peek_elem", ["const_map_ptr", "ptr_to_uninit_map_value"], "integer"),
  sig(6, "trace_printk", ["ptr_to_mem", "const_size"], "integer"),
  sig(12, "tail_call", ["ptr_to_ctx", "const_map_ptr", "anything"], "void"), // RET_VOID: r0 is not set
  sig(23, "redirect", ["anything", "anything"], "integer"),
  sig(152, "redirect_neigh", ["anything", "ptr_to_mem_or_null", "const_size_or_zero", "anything"], "integer"),
  sig(155, "redirect_peer", ["anything", "anything"], "integer"),
  sig(51, "redirect_map", ["const_map_ptr", "anything", "anything"], "integer"),
  sig(28, "csum_diff", ["ptr_to_mem_or_null", "const_size_or_zero", "ptr_to_mem_or_null", "const_size_or_zero", "anything"], "integer"),
  sig(177, "trace_vprintk", ["ptr_to_mem", "const_size", "ptr_to_mem_or_null", "const_size_or_zero"], "integer"),
  sig(26, "skb_load_bytes", ["ptr_to_ctx", "anything", "ptr_to_uninit_mem", "const_size"], "integer"),
  sig(9, "skb_store_bytes", ["ptr_to_ctx", "anything", "ptr_to_mem", "const_size", "anything"], "integer"),
  sig(10, "l3_csum_replace", ["ptr_to_ctx", "anything", "anything", "anything", "anything"], "integer"),
  sig(11, "l4_csum_replace", ["ptr_to_ctx", "anything", "anything", "anything", "anything"], "integer"),
  sig(39, "skb_pull_data", ["ptr_to_ctx", "anything"], "integer"),
  sig(40, "csum_update", ["ptr_to_ctx", "anything"], "integer"),
  sig(68, "skb_load_bytes_relative", ["ptr_to_ctx", "anything", "ptr_to_uninit_mem", "const_size", "anything"], "integer"),
  sig(44, "xdp_adjust_head", ["ptr_to_ctx", "anything"], "integer"),
  sig(130, "ringbuf_output", ["const_map_ptr", "ptr_to_mem", "const_size_or_zero", "anything"], "integer"),
  sig(131, "ringbuf_reserve", ["const_map_ptr", "const_alloc_size_or_zero", "anything"], "ptr_to_mem_or_null"),
  sig(132, "ringbuf_submit", ["ptr_to_alloc_mem", "anything"], "void"),
  sig(133, "ringbuf_discard", ["ptr_to_alloc_mem", "anything"], "void"),
  sig(198, "ringbuf_reserve_dynptr", ["const_map_ptr", "anything", "anything", "ptr_to_uninit_dynptr_ringbuf"], "integer"),
  sig(199, "ringbuf_submit_dynptr", ["ptr_to_dynptr_ringbuf_release", "anything"], "void"),
  sig(200, "ringbuf_discard_dynptr", ["ptr_to_dynptr_ringbuf_release", "anything"], "void"),
  // The runtime builds bpf_for_each_map_elem with the machine's maps (vm/helpers/maps.ts).
  sig(164, "for_each_map_elem", ["const_map_ptr", "ptr_to_func", "ptr_to_stack_or_null", "anything"], "integer"),
  // ... and bpf_get_local_storage with the machine's maps and layout (vm/helpers/cgroup-storage.ts).
  sig(81, "get_local_storage", ["const_map_ptr", "anything"], "ptr_to_map_value"),
  // ... and the CGROUP_ARRAY helpers with the machine's maps and cgroup (vm/helpers/cgroup-array.ts),
  sig(33, "skb_under_cgroup", ["ptr_to_ctx", "const_map_ptr", "anything"], "integer"),
  sig(37, "current_task_under_cgroup", ["const_map_ptr", "anything"], "integer"),
  // ... and bpf_get_netns_cookie with the machine's network model (vm/helpers/packet/netns-cookie.ts).
  sig(122, "get_netns_cookie", ["ptr_to_ctx_or_null"], "integer"),
];

/**
 * baseHelpers() plus the signatures above for ids the runtime does not define yet, and the dynptr
 * kfuncs and bpf_sk_release (a machine's table has them; here they only need their prototypes).
 */
export function kernelHelperTable(): HelperTable {
  const table = baseHelpers();
  for (const def of dynptrKfuncs(undefined, false)) table.add(def);
  if (!table.has(skRelease.id)) table.add(skRelease); // a machine's table has it with its socket lookups
  for (const def of SIGNATURES) if (!table.has(def.id)) table.add(def);
  return table;
}
