// BPF_PROG_TYPE_XDP: struct xdp_md and the XDP verdicts (include/uapi/linux/bpf.h).

import { ctxLayout } from "./context.js";

export const XDP_MD = ctxLayout("xdp_md", [
  ["data", 4, "packet"],
  ["data_end", 4, "packet_end"],
  ["data_meta", 4, "packet_meta"],
  ["ingress_ifindex", 4],
  ["rx_queue_index", 4],
  ["egress_ifindex", 4],
]);

/** enum xdp_action. Any other return value is treated as XDP_ABORTED by the kernel. */
export const XDP_VERDICTS = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"] as const;

export function xdpVerdict(retval: number): string {
  return XDP_VERDICTS[retval] ?? "XDP_ABORTED";
}
