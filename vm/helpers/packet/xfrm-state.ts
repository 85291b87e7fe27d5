// skb_get_xfrm_state (66): the IPsec state an skb was received through (its sec_path), for tc
// (net/core/filter.c bpf_skb_get_xfrm_state, under CONFIG_XFRM). An skb has a sec_path only when
// the xfrm layer decrypted it; a BPF_PROG_TEST_RUN skb never has one, and neither has any skb
// here (there is no IPsec), so every call ends as the kernel's does without one: the `size`
// bytes of the buffer zeroed and -EINVAL, whatever the index and flags.

import type { HelperDef } from "../registry.js";
import { memOf, u32 } from "./memory.js";
import { EINVAL, errno } from "./uapi.js";

export const skbGetXfrmState: HelperDef = {
  id: 66,
  name: "skb_get_xfrm_state",
  args: ["ptr_to_ctx", "anything", "ptr_to_uninit_mem", "const_size", "anything"],
  ret: "integer",
  impl: (ctx, _skb, _index, to, sizeReg) => {
    const mem = memOf(ctx.memory);
    const size = u32(sizeReg);
    const at = mem.span("skb_get_xfrm_state", "buffer", to, size);
    mem.bytes.fill(0, at, at + size);
    return errno(EINVAL);
  },
};
