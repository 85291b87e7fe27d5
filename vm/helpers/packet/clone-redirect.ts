// bpf_clone_redirect (13), tc and lwt_xmit (net/core/filter.c): a clone of the skb goes out of device
// `ifindex` (into it with BPF_F_INGRESS); the program's own skb goes on unchanged. Flags other
// than BPF_F_INGRESS and an ifindex that names no device are -EINVAL; a clone without a
// link-layer header (mac header at or past the network header, after skb_adjust_room or
// change_head games) is -ERANGE (__bpf_redirect_common). Otherwise r0 is what sending gave:
// dev_queue_xmit's NET_XMIT_SUCCESS (0) on egress; netif_rx's NET_RX_SUCCESS (0) on ingress,
// where __bpf_rx_skb forwards without an MTU check. The machine's devices are up, so both are 0.
//
// Nothing is sent here. The run record counts the clones (REC_CLONES), which the runner reports
// with the packet's result.

import type { Layout } from "../../memory/layout.js";
import { REC_CLONES } from "../../runtime/record.js";
import type { HelperDef } from "../registry.js";
import type { DeviceTable } from "./devices.js";
import { u32 } from "./memory.js";
import { skbOf } from "./skb-state.js";
import { BPF_F_INGRESS, EINVAL, ERANGE, errno } from "./uapi.js";

export function cloneRedirect(layout: Layout, devices: DeviceTable): HelperDef {
  return {
    id: 13,
    name: "clone_redirect",
    args: ["ptr_to_ctx", "anything", "anything"],
    ret: "integer",
    impl: (hctx, ctxReg, ifindex, flags) => {
      const skb = skbOf("clone_redirect", hctx, layout, ctxReg);
      if (flags & ~BPF_F_INGRESS) return errno(EINVAL);
      if (!devices.get(u32(ifindex))) return errno(EINVAL);
      if (skb.mac >= skb.network || skb.len === 0) return errno(ERANGE);
      const record = layout.cpu(hctx.cpu).scratch + REC_CLONES;
      skb.mem.setU32(record, skb.mem.u32(record) + 1);
      return 0n;
    },
  };
}
