// BPF_MAP_TYPE_RINGBUF, producer side (kernel/bpf/ringbuf.c). The consumer is TypeScript
// (../ringbuf.ts). Layout from the map's page-aligned start: the header page (consumer,
// producer and pending positions on their own cache lines), then `size` data bytes, then a
// `size`-byte shadow. Records are the kernel's: an 8-byte header { u32 len (BUSY and DISCARD
// bits on top); u32 pg_off } then the sample, each record rounded up to 8 bytes.
//
// The kernel maps the data pages twice in a row so a record that wraps around the end is still
// contiguous for the producer. Wasm cannot alias memory, so a sample that runs past the end is
// written into the shadow that follows the data, and submit/discard copy that overflow to the
// start of the ring before clearing the BUSY bit. Positions, space accounting and record
// headers are exactly the kernel's.

import {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, EAGAIN, EINVAL,
  H_CONSUMER_POS, H_LOCK, H_PENDING_POS, H_PRODUCER_POS, RB_DATA, RINGBUF_PAGE,
} from "../abi";
import { maxEntries } from "./header";
import { spinLock, spinUnlock } from "./sync";

const BUSY = <u32>BPF_RINGBUF_BUSY_BIT;
const DISCARD = <u32>BPF_RINGBUF_DISCARD_BIT;
const HDR = <u32>BPF_RINGBUF_HDR_SZ;
/** RINGBUF_MAX_RECORD_SZ = UINT_MAX / 4 */
const MAX_RECORD: u64 = 0xffffffff / 4;

@inline function roundRecord(len: u32): u64 {
  return (<u64>len + HDR + 7) & ~(<u64>7);
}

/** __bpf_ringbuf_reserve: the sample's address, or 0 when it does not fit. */
export function ringbufReserve(m: usize, size: u64): usize {
  if (size > MAX_RECORD) return 0;
  const len = roundRecord(<u32>size);
  const mask = <u64>maxEntries(m) - 1;
  const data = m + RB_DATA;
  const cons = atomic.load<u64>(m, H_CONSUMER_POS);
  spinLock(m + H_LOCK);
  let pend = load<u64>(m, H_PENDING_POS);
  const prod = load<u64>(m, H_PRODUCER_POS);
  const newProd = prod + len;
  // Move the pending position past records already committed (kernel >= 6.10): a record still
  // BUSY pins the space after it, so the producer cannot lap a record a program is writing.
  while (pend < prod) {
    const hdrLen = atomic.load<u32>(data + <usize>(pend & mask));
    if (hdrLen & BUSY) break;
    pend += roundRecord(hdrLen & ~DISCARD);
  }
  store<u64>(m + H_PENDING_POS, pend);
  if (newProd - cons > mask || newProd - pend > mask) {
    spinUnlock(m + H_LOCK);
    return 0;
  }
  const hdr = data + <usize>(prod & mask);
  store<u32>(hdr + 4, <u32>((hdr - m) / RINGBUF_PAGE));
  atomic.store<u32>(hdr, <u32>size | BUSY);
  atomic.store<u64>(m + H_PRODUCER_POS, newProd);
  spinUnlock(m + H_LOCK);
  return hdr + HDR;
}

/** The ring buffer a sample belongs to, from its header's pg_off (bpf_ringbuf_restore_from_rec). */
@inline function ringOf(hdr: usize): usize {
  return (hdr & ~(<usize>RINGBUF_PAGE - 1)) - <usize>load<u32>(hdr + 4) * RINGBUF_PAGE;
}

/** bpf_ringbuf_commit: clear BUSY (set DISCARD when discarding), after the wrap copy. */
export function ringbufCommit(sample: usize, discard: bool): void {
  const hdr = sample - HDR;
  const m = ringOf(hdr);
  const size = maxEntries(m);
  const end = m + RB_DATA + size;
  const len = atomic.load<u32>(hdr) & ~(BUSY | DISCARD);
  const sampleEnd = sample + len;
  if (sampleEnd > end) {
    // The part written into the shadow belongs at the start of the ring.
    const from = sample > end ? sample : end;
    memory.copy(m + RB_DATA + (from - end), from, sampleEnd - from);
  }
  atomic.xchg<u32>(hdr, discard ? len | DISCARD : len);
}

// bpf_ringbuf_output
export function ringbufOutput(m: usize, src: usize, size: u64, flags: u64): i32 {
  if (flags & ~(<u64>(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))) return -EINVAL;
  const sample = ringbufReserve(m, size);
  if (!sample) return -EAGAIN;
  memory.copy(sample, src, <usize>size);
  ringbufCommit(sample, false);
  return 0;
}

// bpf_ringbuf_query
export function ringbufQuery(m: usize, flags: u64): u64 {
  const cons = atomic.load<u64>(m, H_CONSUMER_POS);
  const prod = atomic.load<u64>(m, H_PRODUCER_POS);
  if (flags == <u64>BPF_RB_AVAIL_DATA) return prod - cons;
  if (flags == <u64>BPF_RB_RING_SIZE) return <u64>maxEntries(m);
  if (flags == <u64>BPF_RB_CONS_POS) return cons;
  if (flags == <u64>BPF_RB_PROD_POS) return prod;
  return 0;
}
