// The user-space side of a BPF_MAP_TYPE_XSKMAP (net/xdp/xskmap.c). In the kernel user space
// stores an AF_XDP socket's fd in slot i (libxdp: at key = the socket's queue id) and
// bpf_redirect_map hands the frame to that socket. There are no sockets here: a slot takes a
// socket id, any nonzero u32 (./as/xskmap.ts), and the socket in slot i counts as bound to
// queue i, which is what a program's lookup reads (struct bpf_xdp_sock's queue_id). As in the
// kernel, user space cannot look a slot up (xsk_map_lookup_elem_sys_only: -EOPNOTSUPP);
// `socketOf` is this runtime's own view, for reports and tests.

import * as abi from "./abi.js";
import { MapError } from "./errors.js";
import { BpfMap } from "./map.js";
import type { MapBytes } from "./codec.js";

/** Offset of the socket id in a slot, after struct bpf_xdp_sock's u32 queue_id. */
const SOCKET_OFF = 4;

export class XskMap extends BpfMap {
  /** BPF_MAP_LOOKUP_ELEM: always -EOPNOTSUPP for an XSKMAP. */
  override lookup(_key: MapBytes): Uint8Array | undefined {
    throw new MapError(this.name, "lookup", -abi.EOPNOTSUPP);
  }

  override has(_key: MapBytes): boolean {
    throw new MapError(this.name, "lookup", -abi.EOPNOTSUPP);
  }

  /** Put socket `socket` (a nonzero id) in slot `index`, as xsk_socket__update_xskmap does. */
  bind(index: number, socket: number): void {
    this.update(index, socket);
  }

  /** The socket id in slot `index`, or undefined when the slot is empty or out of range. */
  socketOf(index: number): number | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) return undefined;
    const at = this.descriptor.values + index * this.descriptor.valueStride + SOCKET_OFF;
    const id = this.view.dv.getUint32(at, true);
    return id === 0 ? undefined : id;
  }
}
