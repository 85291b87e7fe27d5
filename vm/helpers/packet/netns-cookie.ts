// bpf_get_netns_cookie (122) of an skb (net/core/filter.c; tc, socket filters and cgroup_skb on
// 6.18, checked by loading each type): __bpf_get_netns_cookie(skb && skb->sk ? skb->sk : NULL),
// the net_cookie of the socket's network namespace, or of init_net without one. Its argument is
// ARG_PTR_TO_CTX_OR_NULL: the program's context or a known NULL (vm/verifier/helpers.ts).
//
// Every skb here is a BPF_PROG_TEST_RUN skb, whose skb->sk is the socket the test run allocates
// (vm/runtime/test-run-socket.ts) in the namespace of the task running it: the context gives
// that namespace's cookie, NULL init_net's (the machine's network model, vm/net/model.ts:
// `cookie` and `initCookie`). The two differ when the programs run in a namespace of their own,
// as the kernel engine's runner does for a network model (checked on 6.18: a fresh namespace's
// number for the context, init_net's for NULL).
//
// The helper reads nothing through its argument (the socket always exists), so a context
// pointer is only told apart from NULL.

import type { Network } from "../../net/model.js";
import type { HelperDef } from "../registry.js";

export const getNetnsCookie = (network: Network): HelperDef => ({
  id: 122,
  name: "get_netns_cookie",
  args: ["ptr_to_ctx_or_null"],
  ret: "integer",
  impl: (_hctx, ctx) => (ctx === 0n ? network.initCookie : network.cookie),
});
