// The consumer side of a BPF_MAP_TYPE_RINGBUF, as libbpf's ring_buffer__consume reads it:
// walk from the consumer position to the producer position, stop at a record still BUSY
// (reserved, not yet submitted), skip DISCARDed ones, hand each sample to the callback, and
// publish the new consumer position so producers can reuse the space.

import * as abi from "./abi.js";
import type { MemoryView } from "./codec.js";
import type { MapDescriptor } from "./descriptor.js";
import { MapHandle } from "./map.js";
import type { MapsExports } from "./runtime.js";

const BUSY = abi.BPF_RINGBUF_BUSY_BIT >>> 0;
const DISCARD = abi.BPF_RINGBUF_DISCARD_BIT >>> 0;

/** Called per sample; a negative return stops consuming (as libbpf's sample callbacks). */
export type SampleCallback = (sample: Uint8Array) => number | void;

export class RingBuf extends MapHandle {
  private readonly positions: BigUint64Array;
  private readonly lengths: Uint32Array;
  private readonly data: number;
  private readonly mask: number;

  constructor(descriptor: MapDescriptor, fd: number, rt: MapsExports, view: MemoryView) {
    super(descriptor, fd, rt, view);
    this.positions = new BigUint64Array(view.u8.buffer);
    this.lengths = new Uint32Array(view.u8.buffer);
    this.data = descriptor.values;
    this.mask = descriptor.maxEntries - 1;
  }

  private pos(offset: number): number {
    return Number(Atomics.load(this.positions, (this.address + offset) / 8));
  }

  get consumerPosition(): number {
    return this.pos(abi.H_CONSUMER_POS);
  }

  get producerPosition(): number {
    return this.pos(abi.H_PRODUCER_POS);
  }

  /** Bytes of records (headers included) not consumed yet: BPF_RB_AVAIL_DATA. */
  get availableBytes(): number {
    return this.producerPosition - this.consumerPosition;
  }

  /** A copy of the `len` sample bytes at ring offset `offset`, unwrapping around the end. */
  private sample(offset: number, len: number): Uint8Array {
    const size = this.mask + 1;
    const out = new Uint8Array(len);
    const first = Math.min(len, size - offset);
    out.set(this.view.u8.subarray(this.data + offset, this.data + offset + first));
    if (first < len) out.set(this.view.u8.subarray(this.data, this.data + len - first), first);
    return out;
  }

  /**
   * Hand every submitted record to `callback`, up to `limit` of them, and return how many were
   * handed over (discarded records are skipped and not counted).
   */
  consume(callback: SampleCallback, limit = Infinity): number {
    let cons = this.consumerPosition;
    let count = 0;
    const consIndex = (this.address + abi.H_CONSUMER_POS) / 8;
    for (;;) {
      const prod = this.producerPosition;
      let progressed = false;
      while (cons < prod && count < limit) {
        const offset = cons % (this.mask + 1);
        const len = Atomics.load(this.lengths, (this.data + offset) / 4) >>> 0;
        if (len & BUSY) return count;
        progressed = true;
        const size = len & ~DISCARD & ~BUSY;
        cons += Math.ceil((size + abi.BPF_RINGBUF_HDR_SZ) / 8) * 8;
        let stop = false;
        if (!(len & DISCARD)) {
          const ret = callback(this.sample((offset + abi.BPF_RINGBUF_HDR_SZ) % (this.mask + 1), size));
          count++;
          stop = typeof ret === "number" && ret < 0;
        }
        Atomics.store(this.positions, consIndex, BigInt(cons));
        if (stop) return count;
      }
      if (!progressed || count >= limit) return count;
    }
  }

  /** Every submitted record available now, as copies. */
  drain(limit = Infinity): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.consume((s) => void out.push(s), limit);
    return out;
  }
}
