// A frame as a socket filter's BPF_PROG_TEST_RUN must be given it. The test run builds an skb and
// pulls an Ethernet header with eth_type_trans() — only tc programs get it pushed back — so a
// socket filter would see the frame from byte 14, where a packet socket's filter (and our
// runtime) sees it from byte 0. The kernel therefore gets each frame behind a 14-byte header of
// its own:
//   - its destination MAC is the frame's, so eth_type_trans() gives skb->pkt_type from the same
//     address our runtime does (vm/runtime/context.ts packetType, against lo's 00:..:00);
//   - its EtherType is 0x88b5 (IEEE local experimental): nothing in the stack claims it, so the
//     test run makes no IP header checks on it. skb->protocol is therefore 0x88b5 in the kernel,
//     the frame's own EtherType on our engines.
// Frames shorter than 14 bytes are refused by the kernel's test run (EINVAL) either way.

export const SOCKET_HEADER_LEN = 14;

export function behindSocketHeader(frame: Uint8Array): Uint8Array {
  const d = new Uint8Array(SOCKET_HEADER_LEN + frame.length);
  d.set(frame.subarray(0, 6), 0);
  d.set([0x88, 0xb5], 12);
  d.set(frame, SOCKET_HEADER_LEN);
  return d;
}
