// The cgroup helpers of skb programs (net/core/filter.c, kernel/bpf/helpers.c), over the cgroup
// of the task that runs the machine's programs (CgroupModel):
//
//   skb_cgroup_id (79)            sched_cls, cgroup_skb: the cgroup v2 id of skb->sk's cgroup (0
//                                 without a full socket). A test run's skb->sk is the socket the
//                                 run allocates (vm/runtime/test-run-socket.ts), and sk_alloc's
//                                 cgroup_sk_alloc puts it in the calling task's default-hierarchy
//                                 cgroup: the model's cgroup.
//   skb_ancestor_cgroup_id (83)   sched_cls, cgroup_skb: the id of that cgroup's ancestor at
//                                 `level` (an int: 0 is the root, the cgroup's own level its
//                                 id); 0 for a negative level or one below the cgroup
//                                 (cgroup_ancestor returns NULL).
//   sk_cgroup_id (128),
//   sk_ancestor_cgroup_id (129)   cgroup_skb: the same for a socket argument
//                                 (ARG_PTR_TO_BTF_ID_SOCK_COMMON): the test run's socket or one of
//                                 the network model's, all created by the machine's task, so all
//                                 in its cgroup; all full sockets.
//   get_cgroup_classid (17)       tc and lwt (bpf_get_cgroup_classid_proto, the skb as
//                                 argument) and every other type (bpf_base_func_proto's
//                                 bpf_get_cgroup_classid_curr_proto, no argument): the net_cls
//                                 classid of the current task (task_get_classid; a test run is
//                                 not in a softirq, so the skb's socket is not asked).
//   skb_cgroup_classid (151)      tc only (tc_cls_act_func_proto, CONFIG_CGROUP_NET_CLASSID): the
//                                 net_cls classid skb->sk's cgroup data holds (0 without a full
//                                 socket). sk_alloc's sock_update_classid stored the allocating
//                                 task's classid in the test run's socket: the model's classid.
//
// The kernel refuses 79 / 83 to socket_filter and lwt, 128 / 129 to all but cgroup_skb, 151 to
// all but tc (checked on 6.18 by loading each). The current task's cgroup ids (80, 123) are base
// helpers over the same model: ../current-cgroup.ts.

import { BpfError } from "../../errors.js";
import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { memOf } from "./memory.js";
import { skCastHelpers } from "./sk-cast.js";
import type { SocketTable } from "./sk-lookup.js";

/**
 * The task that test-runs the machine's programs, as its cgroups see it. Inherently the
 * machine's: a kernel comparison reads the real values (/proc/self/cgroup, the cgroup
 * directories' inode numbers: vm/node/host-cgroup.ts).
 */
export interface CgroupModel {
  /**
   * The cgroup v2 ids (cgroup_id, the inode number of the cgroup's directory on cgroup2fs) from
   * the root down to the task's cgroup: element i is the ancestor at level i. The root's id is
   * always 1. Default [1]: a task in the root cgroup.
   */
  readonly path?: readonly number[];
  /** The task's net_cls classid (cgroup v1 net_cls.classid; 0 when net_cls is not mounted). Default 0. */
  readonly classid?: number;
}

/** A checked CgroupModel. */
export interface Cgroup {
  readonly path: readonly bigint[];
  readonly classid: number;
}

export const ROOT_CGROUP: Cgroup = { path: [1n], classid: 0 };

/** Check a CgroupModel (a BpfError naming the bad field). */
export function checkCgroup(model: CgroupModel | undefined): Cgroup {
  if (!model) return ROOT_CGROUP;
  const path = model.path ?? [1];
  if (!Array.isArray(path) || path.length === 0) throw new BpfError("cgroup.path: expected the cgroup ids from the root down, e.g. [1] or [1, 4321]");
  path.forEach((id, level) => {
    if (!Number.isSafeInteger(id) || id < 1) throw new BpfError(`cgroup.path[${level}]: ${id} is not a cgroup id (a positive integer)`);
  });
  if (path[0] !== 1) throw new BpfError(`cgroup.path[0]: ${path[0]} is not the root cgroup's id (always 1)`);
  if (new Set(path).size !== path.length) throw new BpfError(`cgroup.path: [${path.join(", ")}] names a cgroup twice`);
  const classid = model.classid ?? 0;
  if (!Number.isInteger(classid) || classid < 0 || classid > 0xffffffff) throw new BpfError(`cgroup.classid: ${classid} is not a u32`);
  return { path: path.map(BigInt), classid };
}

/** cgroup_ancestor(cgrp, level) then cgroup_id: 0 where there is none. */
export function ancestorId(cgroup: Cgroup, levelReg: bigint): bigint {
  const level = Number(BigInt.asIntN(32, levelReg));
  return level >= 0 && level < cgroup.path.length ? cgroup.path[level]! : 0n;
}

const ctxChecked = (name: string, hctx: { memory: WebAssembly.Memory }, ctxReg: bigint): void => {
  memOf(hctx.memory).span(name, "ctx", ctxReg, 4);
};

/** skb_cgroup_id and skb_ancestor_cgroup_id (sched_cls, cgroup_skb). */
export function skbCgroupHelpers(cgroup: Cgroup): HelperDef[] {
  const own = cgroup.path[cgroup.path.length - 1]!;
  return [
    {
      id: 79,
      name: "skb_cgroup_id",
      args: ["ptr_to_ctx"],
      ret: "integer",
      impl: (hctx, ctxReg) => {
        ctxChecked("skb_cgroup_id", hctx, ctxReg);
        return own;
      },
    },
    {
      id: 83,
      name: "skb_ancestor_cgroup_id",
      args: ["ptr_to_ctx", "anything"],
      ret: "integer",
      impl: (hctx, ctxReg, level) => {
        ctxChecked("skb_ancestor_cgroup_id", hctx, ctxReg);
        return ancestorId(cgroup, level);
      },
    },
  ];
}

/** sk_cgroup_id and sk_ancestor_cgroup_id (cgroup_skb): `table`'s sockets and the test run's. */
export function skCgroupHelpers(cgroup: Cgroup, table: SocketTable, layout: Layout): HelperDef[] {
  // sk_fullsock's check that the pointer is one of the machine's sockets (every one is full).
  const fullsock = skCastHelpers(table, layout).find((h) => h.id === 95)!.impl;
  const own = cgroup.path[cgroup.path.length - 1]!;
  return [
    {
      id: 128,
      name: "sk_cgroup_id",
      args: ["ptr_to_btf_id_sock_common"],
      ret: "integer",
      impl: (hctx, sk) => {
        fullsock(hctx, sk, 0n, 0n, 0n, 0n);
        return own;
      },
    },
    {
      id: 129,
      name: "sk_ancestor_cgroup_id",
      args: ["ptr_to_btf_id_sock_common", "anything"],
      ret: "integer",
      impl: (hctx, sk, level) => {
        fullsock(hctx, sk, 0n, 0n, 0n, 0n);
        return ancestorId(cgroup, level);
      },
    },
  ];
}

/** get_cgroup_classid (17): tc's and lwt's take the skb (`skb` true), every other type's nothing. */
export function getCgroupClassid(cgroup: Cgroup, skb: boolean): HelperDef {
  const classid = BigInt(cgroup.classid);
  return skb
    ? {
        id: 17,
        name: "get_cgroup_classid",
        args: ["ptr_to_ctx"],
        ret: "integer",
        impl: (hctx, ctxReg) => {
          ctxChecked("get_cgroup_classid", hctx, ctxReg);
          return classid;
        },
      }
    : { id: 17, name: "get_cgroup_classid", args: [], ret: "integer", impl: () => classid };
}

/** skb_cgroup_classid (151, tc): the classid stored in the test run's socket, the model's. */
export function skbCgroupClassid(cgroup: Cgroup): HelperDef {
  const classid = BigInt(cgroup.classid);
  return {
    id: 151,
    name: "skb_cgroup_classid",
    args: ["ptr_to_ctx"],
    ret: "integer",
    impl: (hctx, ctxReg) => {
      ctxChecked("skb_cgroup_classid", hctx, ctxReg);
      return classid;
    },
  };
}
