// Where the network model's sockets live in the machine's one memory (docs/memory-model.md):
// a block of the maps arena reserved when the machine is created, one 256-byte slot per socket
// (index order) holding the struct bpf_sock a program reads through a socket pointer
// (vm/net/sockets.ts bpfSockImage) and, at TCP_SOCK_AT, the struct bpf_tcp_sock of a TCP socket
// (bpfTcpSockImage, what bpf_tcp_sock points at). A socket lookup returns the slot's address; the verifier
// lets programs only load from it, so the block never changes, and workers (attachMachine) use
// the creator's block through MachineDescription.socketsBase.

import { BpfError } from "../errors.js";
import type { MapSet } from "../maps/mapset.js";
import { bpfSockImage, bpfTcpSockImage, IPPROTO_TCP } from "../net/sockets.js";
import type { Network } from "../net/model.js";
import type { SocketTable } from "../helpers/packet/sk-lookup.js";

/** Bytes per socket: struct bpf_sock (80) and struct bpf_tcp_sock (112), each from a cache line. */
export const SOCKET_SLOT = 256;
/** Where a socket's struct bpf_tcp_sock is in its slot. */
export const TCP_SOCK_AT = 128;

/** Bytes the sockets of `network` take in the maps arena. */
export const socketsBytes = (network: Network | undefined): number => (network ? network.sockets.length * SOCKET_SLOT : 0);

/** Reserve and fill the sockets' block; its address (undefined when the model has no socket). */
export function placeSockets(maps: MapSet, memory: WebAssembly.Memory, network: Network | undefined): number | undefined {
  if (!network || network.sockets.length === 0) return undefined;
  const base = maps.reserve(socketsBytes(network), 64, `the network model's ${network.sockets.length} sockets`);
  const u8 = new Uint8Array(memory.buffer);
  u8.fill(0, base, base + socketsBytes(network));
  for (const s of network.sockets) {
    u8.set(bpfSockImage(s), base + s.index * SOCKET_SLOT);
    if (s.protocol === IPPROTO_TCP) u8.set(bpfTcpSockImage(s), base + s.index * SOCKET_SLOT + TCP_SOCK_AT);
  }
  return base;
}

/** The lookups' view of the sockets: the checked list and where slot 0 is (0: no sockets). */
export function socketTable(network: Network | undefined, base: number | undefined): SocketTable {
  const sockets = network?.sockets ?? [];
  if (sockets.length > 0 && base === undefined) throw new BpfError(`the network model has ${sockets.length} sockets but the machine reserved no memory for them (a worker's network must be its creator's)`);
  return { sockets, base: base ?? 0, slot: SOCKET_SLOT, tcpAt: TCP_SOCK_AT };
}
