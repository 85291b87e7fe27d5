// BPF_MAP_TYPE_XSKMAP (net/xdp/xskmap.c): slot i holds an AF_XDP socket, which user space stores
// by its fd and bpf_redirect_map delivers frames to. There are no sockets here, so a slot holds a
// socket id: any nonzero u32 user space chooses (0 names no socket, -EBADF as an fd naming
// nothing). An AF_XDP socket is bound to one queue of one device, and libxdp and xdpsock store
// it at key = that queue id (programs look up ctx->rx_queue_index); so the socket in slot i is
// taken to be bound to queue i. A slot is 8 bytes: the struct bpf_xdp_sock a program's lookup
// points at (u32 queue_id), then the socket id (0 = empty).

import { BPF_EXIST, BPF_NOEXIST, E2BIG, EBADF, EEXIST, EINVAL, ENOENT } from "../abi";
import { maxEntries, values, valueStride } from "./header";

/** Where the socket id sits in a slot, after the u32 queue_id of struct bpf_xdp_sock. */
const SOCKET: usize = 4;

@inline function slot(m: usize, index: u32): usize {
  return values(m) + index * valueStride(m);
}

/** __xsk_map_lookup_elem: the socket's struct bpf_xdp_sock, or 0 when empty or out of range. */
export function xskmapLookup(m: usize, key: usize): usize {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return 0;
  const at = slot(m, index);
  return atomic.load<u32>(at + SOCKET) ? at : 0;
}

// xsk_map_update_elem, in the kernel's order: flags, the index, the socket (sockfd_lookup),
// then the same socket again (0), NOEXIST on a full slot (-EEXIST), EXIST on an empty one
// (-ENOENT).
export function xskmapUpdate(m: usize, key: usize, value: usize, flags: u64): i32 {
  if (flags > <u64>BPF_EXIST) return -EINVAL;
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -E2BIG;
  const socket = load<u32>(value);
  if (socket == 0) return -EBADF;
  const at = slot(m, index);
  const old = atomic.load<u32>(at + SOCKET);
  if (old == socket) return 0;
  if (old != 0 && flags == <u64>BPF_NOEXIST) return -EEXIST;
  if (old == 0 && flags == <u64>BPF_EXIST) return -ENOENT;
  store<u32>(at, index); // bound to queue `index` (see above); written before the socket shows
  atomic.store<u32>(at + SOCKET, socket);
  return 0;
}

// xsk_map_delete_elem: an index past the end is -EINVAL; an empty slot deletes fine.
export function xskmapDelete(m: usize, key: usize): i32 {
  const index = load<u32>(key);
  if (index >= maxEntries(m)) return -EINVAL;
  atomic.store<u32>(slot(m, index) + SOCKET, 0);
  return 0;
}
