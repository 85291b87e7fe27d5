// bpf_csum_level (135), tc (net/core/filter.c; include/linux/skbuff.h
// __skb_incr/decr/reset_checksum_unnecessary): a program that encapsulates or decapsulates with
// skb_adjust_room(..., BPF_F_ADJ_ROOM_NO_CSUM_RESET) says how many checksums the stack may
// still trust. The level lives in the skb state (skb-state.ts: CHECKSUM_NONE, or UNNECESSARY at
// a level 0..3):
//   INC    NONE → UNNECESSARY level 0; UNNECESSARY → level + 1, at most SKB_MAX_CSUM_LEVEL (3)
//   DEC    UNNECESSARY level 0 → NONE; level > 0 → level - 1
//   RESET  UNNECESSARY → NONE
//   QUERY  the level, or -EACCES when not UNNECESSARY
// and any other level is -EINVAL. All but QUERY return 0.

import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { skbOf } from "./skb-state.js";
import { EACCES, EINVAL, errno } from "./uapi.js";

const BPF_CSUM_LEVEL_QUERY = 0n;
const BPF_CSUM_LEVEL_INC = 1n;
const BPF_CSUM_LEVEL_DEC = 2n;
const BPF_CSUM_LEVEL_RESET = 3n;
/** include/linux/skbuff.h SKB_MAX_CSUM_LEVEL */
const SKB_MAX_CSUM_LEVEL = 3;

const CHANGES: ReadonlyMap<bigint, (level: number | undefined) => number | undefined> = new Map([
  [BPF_CSUM_LEVEL_INC, (l: number | undefined) => (l === undefined ? 0 : Math.min(l + 1, SKB_MAX_CSUM_LEVEL))],
  [BPF_CSUM_LEVEL_DEC, (l: number | undefined) => (l === undefined || l === 0 ? undefined : l - 1)],
  [BPF_CSUM_LEVEL_RESET, () => undefined],
]);

export function csumLevel(layout: Layout): HelperDef {
  return {
    id: 135,
    name: "csum_level",
    args: ["ptr_to_ctx", "anything"],
    ret: "integer",
    impl: (hctx, ctxReg, level) => {
      const skb = skbOf("csum_level", hctx, layout, ctxReg);
      if (level === BPF_CSUM_LEVEL_QUERY) return skb.csumLevel === undefined ? errno(EACCES) : BigInt(skb.csumLevel);
      const change = CHANGES.get(level);
      if (!change) return errno(EINVAL);
      skb.csumLevel = change(skb.csumLevel);
      skb.commit();
      return 0n;
    },
  };
}
