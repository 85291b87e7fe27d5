// bpf_get_socket_cookie (46) and bpf_get_socket_uid (47) for an skb (sk_filter_func_proto, so
// socket_filter, sched_cls and cgroup_skb; net/core/filter.c): the cookie and the owner of
// skb->sk. Every skb here is a BPF_PROG_TEST_RUN skb, whose skb->sk is the socket the test run
// allocates for it (net/bpf/test_run.c bpf_prog_test_run_skb: sk_alloc + sock_init_data(NULL, sk);
// vm/runtime/test-run-socket.ts), so:
//
//   get_socket_cookie  __sock_gen_cookie(skb->sk): a socket has no cookie until one is asked for;
//                      the first call gives it the next number of the kernel's cookie generator
//                      and later calls return the same. Each test run allocates a new socket,
//                      so each run's cookie is new, larger than the last on the machine (6.18
//                      gives consecutive numbers to consecutive runs of one process), never 0.
//                      Model: each CPU keeps a count of the cookies it made (a u64 in its scratch
//                      area after the test run's socket, docs/memory-model.md), and its n-th
//                      cookie (n from 0) is n * cpus + cpu + 1 — unique across the machine's CPUs
//                      without a shared counter, increasing run after run on each CPU. The run's
//                      cookie is kept in the skb's hidden state (skb-state.ts), 0 until asked, so
//                      a new packet is a new socket. The numbers themselves are the kernel's
//                      global count of cookies so far, which no model can know.
//   get_socket_uid     sk_to_full_sk(skb->sk)'s sk_uid (overflowuid 65534 without a full
//                      socket, never here): sock_init_data(NULL, sk) gives the test run's socket
//                      uid 0 of the namespace's user namespace, whoever runs the test — 0.

import { SCRATCH_SIZE } from "../../memory/layout.js";
import { PRANDOM_STATE } from "../random.js";
import { BPF_SOCK_SIZE } from "../../net/sockets.js";
import { TEST_RUN_SOCKET } from "../../runtime/test-run-socket.js";
import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { memOf } from "./memory.js";
import { skbSocketCookieAt } from "./skb-state.js";

/** Where each CPU's cookie count is in its scratch area: right after the test run's struct bpf_sock. */
export const COOKIE_COUNT = TEST_RUN_SOCKET + BPF_SOCK_SIZE;
/** for_each's call-frame words take the scratch area's last 32 bytes (vm/helpers/for-each.ts). */
if (COOKIE_COUNT + 8 > PRANDOM_STATE || PRANDOM_STATE + 8 > SCRATCH_SIZE - 32) throw new Error(`the cookie count (${COOKIE_COUNT}) and the prandom state (${PRANDOM_STATE}) do not fit the scratch area`);

/** The uid sock_init_data(NULL, sk) gives the test run's socket. */
const TEST_RUN_SOCKET_UID = 0n;

/** bpf_get_socket_cookie (46) of an skb: its test-run socket's cookie, made on the first call. */
export const getSocketCookie = (layout: Layout): HelperDef => ({
  id: 46,
  name: "get_socket_cookie",
  args: ["ptr_to_ctx"],
  ret: "integer",
  impl: (hctx, ctxReg) => {
    const mem = memOf(hctx.memory);
    const at = skbSocketCookieAt(mem.span("get_socket_cookie", "ctx", ctxReg, skbSocketCookieAt(0) + 8));
    const cookie = mem.view.getBigUint64(at, true);
    if (cookie !== 0n) return cookie;
    const countAt = layout.cpu(hctx.cpu).scratch + COOKIE_COUNT;
    const n = mem.view.getBigUint64(countAt, true);
    mem.view.setBigUint64(countAt, n + 1n, true);
    const made = BigInt.asUintN(64, n * BigInt(layout.cpus) + BigInt(hctx.cpu) + 1n);
    mem.view.setBigUint64(at, made, true);
    return made;
  },
});

/** bpf_get_socket_uid (47) of an skb: its test-run socket's owner. */
export const getSocketUid: HelperDef = {
  id: 47,
  name: "get_socket_uid",
  args: ["ptr_to_ctx"],
  ret: "integer",
  impl: (hctx, ctxReg) => {
    memOf(hctx.memory).span("get_socket_uid", "ctx", ctxReg, 4);
    return TEST_RUN_SOCKET_UID;
  },
};
