// bpf_get_route_realm (24), tc and lwt (tc_cls_act_func_proto, lwt_out_func_proto; net/core/
// filter.c): dst_tclassid(skb), the realm of the route the skb was routed by (the route's
// `realm` attribute, CONFIG_IP_ROUTE_CLASSID), 0 when the skb has no dst. A BPF_PROG_TEST_RUN skb
// is never routed — it has no dst, and the machine runs nothing else — so the answer is 0 (6.18
// gives 0 for tc and every lwt type). The network model's routes (vm/net/model.ts) carry no realm.

import type { HelperDef } from "../registry.js";
import { memOf } from "./memory.js";

export const getRouteRealm: HelperDef = {
  id: 24,
  name: "get_route_realm",
  args: ["ptr_to_ctx"],
  ret: "integer",
  impl: (hctx, ctxReg) => {
    memOf(hctx.memory).span("get_route_realm", "ctx", ctxReg, 4);
    return 0n;
  },
};
