// bpf_sk_fullsock (95), bpf_tcp_sock (96) and bpf_get_listener_sock (98) for tc and cgroup_skb
// programs (net/core/filter.c), and bpf_sk_assign (124) for tc. Their socket is one of the
// network model's (sk-lookup.ts; struct bpf_sock and struct bpf_tcp_sock in its memory slot) or
// the test run's own (`__sk_buff.sk`, vm/runtime/test-run-socket.ts):
//
//   sk_fullsock        the socket itself when it is a full socket (not TIME_WAIT or
//                      NEW_SYN_RECV): every socket here is
//   tcp_sock           a full TCP socket's struct bpf_tcp_sock, else NULL (the test run's
//                      socket has protocol 0)
//   get_listener_sock  the socket when it is a TCP listener (sk_to_full_sk, state LISTEN,
//                      SOCK_RCU_FREE as every listener has), else NULL
//   sk_assign          flags != 0 → -EINVAL; else -EOPNOTSUPP: skb_at_tc_ingress is false for
//                      a BPF_PROG_TEST_RUN skb, which the machine's runs are
//
// The verifier gives the results of sk_fullsock and tcp_sock the reference of their argument
// (is_ptr_cast_function), so a program releases either.

import { BpfRuntimeError } from "../../errors.js";
import type { Layout } from "../../memory/layout.js";
import { TEST_RUN_SOCKET } from "../../runtime/test-run-socket.js";
import type { HelperDef } from "../registry.js";
import { modelSocket, type SocketTable } from "./sk-lookup.js";
import { EINVAL, EOPNOTSUPP, errno } from "./uapi.js";

/** The three socket casts: `table`'s sockets and the test run's socket of each CPU of `layout`. */
export function skCastHelpers(table: SocketTable, layout: Layout): HelperDef[] {
  const isTestRunSocket = (cpu: number, addr: bigint): boolean => addr === BigInt(layout.cpu(cpu).scratch + TEST_RUN_SOCKET);
  const check = (name: string, cpu: number, addr: bigint): void => {
    if (!modelSocket(table, addr) && !isTestRunSocket(cpu, addr)) throw new BpfRuntimeError(`${name}: 0x${addr.toString(16)} is not a socket of the network model or the test run's`);
  };
  return [
    {
      id: 95,
      name: "sk_fullsock",
      args: ["ptr_to_sock_common"],
      ret: "ptr_to_socket_or_null",
      impl: (ctx, sk) => {
        check("sk_fullsock", ctx.cpu, sk);
        return sk;
      },
    },
    {
      id: 96,
      name: "tcp_sock",
      args: ["ptr_to_sock_common"],
      ret: "ptr_to_tcp_sock_or_null",
      impl: (ctx, sk) => {
        check("tcp_sock", ctx.cpu, sk);
        return modelSocket(table, sk)?.protocol === 6 ? sk + BigInt(table.tcpAt) : 0n;
      },
    },
    {
      id: 98,
      name: "get_listener_sock",
      args: ["ptr_to_sock_common"],
      ret: "ptr_to_socket_or_null",
      impl: (ctx, sk) => {
        check("get_listener_sock", ctx.cpu, sk);
        return modelSocket(table, sk)?.kind === "tcp_listen" ? sk : 0n;
      },
    },
  ];
}

/** bpf_sk_assign (124), as a BPF_PROG_TEST_RUN skb sees it. */
export const skAssign: HelperDef = {
  id: 124,
  name: "sk_assign",
  args: ["ptr_to_ctx", "ptr_to_btf_id_sock_common", "anything"],
  ret: "integer",
  impl: (_ctx, _skb, _sk, flags) => (flags !== 0n ? errno(EINVAL) : errno(EOPNOTSUPP)),
};
