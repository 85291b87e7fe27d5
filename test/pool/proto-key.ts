// What corpus/programs/proto_counter.c counts, computed here from the packet bytes, independently
// of any engine: its PERCPU_ARRAY key for a frame (the IPv4 protocol or the IPv6 next header,
// slot 256 = not IP). Used by the Node pool's test and the web pool's (test/browser/pool.test.ts).

export const NOT_IP = 256;
export const SLOTS = 257;

/** proto_counter.c's key for one frame, from the bytes (Ethernet, one optional 802.1Q tag). */
export function protoKey(f: Uint8Array): number {
  if (f.length < 14) return NOT_IP;
  let type = (f[12]! << 8) | f[13]!;
  let off = 14;
  if (type === 0x8100) {
    if (f.length < 18) return NOT_IP;
    type = (f[16]! << 8) | f[17]!;
    off = 18;
  }
  if (type === 0x0800) return f.length >= off + 20 ? f[off + 9]! : NOT_IP;
  if (type === 0x86dd) return f.length >= off + 40 ? f[off + 6]! : NOT_IP;
  return NOT_IP;
}

/** Expected count per slot for packet indices [first, first + n) of the corpus (wrapping). */
export function expectedCounts(packets: ReadonlyArray<{ readonly data: Uint8Array }>, first: number, n: number): number[] {
  const counts = new Array<number>(SLOTS).fill(0);
  for (let i = first; i < first + n; i++) counts[protoKey(packets[i % packets.length]!.data)]!++;
  return counts;
}
