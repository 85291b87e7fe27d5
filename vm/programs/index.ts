export * from "./context.js";
export * from "./types.js";
export { XDP_MD, XDP_VERDICTS, xdpVerdict } from "./xdp.js";
export { SK_BUFF_CGROUP, SK_BUFF_LWT, SK_BUFF_SOCKET, SK_BUFF_TC, SKB_DATA_OFFSET, SKB_DATA_END_OFFSET, SKB_LEN_OFFSET } from "./skb.js";
