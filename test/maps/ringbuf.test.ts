// RINGBUF against kernel/bpf/ringbuf.c: record headers (len with BUSY/DISCARD bits, pg_off),
// 8-byte rounding, space accounting, reserve/submit/discard/output/query, records that wrap
// around the end, and the consumer stopping at a record still being written.

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { makeMaps } from "./fixture.js";

const ring = (size = 4096) => {
  const f = makeMaps();
  f.maps.create({ name: "rb", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: size });
  const rb = f.maps.ringbuf("rb");
  const rt = f.maps.runtime.exports;
  const u8 = new Uint8Array(f.memory.buffer);
  const dv = new DataView(f.memory.buffer);
  const src = f.layout.cpu(0).scratch;
  const reserve = (n: number, fill = n & 0xff): number => {
    const p = rt.ringbuf_reserve(rb.address, BigInt(n), 0n);
    if (p) u8.fill(fill, p, p + n);
    return p;
  };
  const output = (bytes: Uint8Array, flags = 0n): bigint => {
    u8.set(bytes, src);
    return rt.ringbuf_output(rb.address, src, BigInt(bytes.length), flags);
  };
  return { ...f, rb, rt, u8, dv, reserve, output };
};

describe("BPF_MAP_TYPE_RINGBUF", () => {
  test("reserve writes the kernel's record header; submit clears BUSY", () => {
    const { rb, rt, dv, reserve } = ring();
    const p = reserve(5);
    expect(p).toBeGreaterThan(0);
    expect(p % 8).toBe(0);
    const hdr = p - 8;
    expect(dv.getUint32(hdr, true) >>> 0).toBe((5 | abi.BPF_RINGBUF_BUSY_BIT) >>> 0);
    expect(dv.getUint32(hdr + 4, true)).toBe((hdr - rb.address) >>> 12); // pg_off from the map's page
    expect(rb.producerPosition).toBe(16); // round_up(5 + 8, 8)
    expect(rb.drain()).toEqual([]); // still BUSY
    rt.ringbuf_submit(p, 0n);
    expect(dv.getUint32(hdr, true)).toBe(5);
    expect(rb.drain()).toEqual([new Uint8Array([5, 5, 5, 5, 5])]);
    expect(rb.consumerPosition).toBe(16);
  });

  test("discarded records take space but are not delivered", () => {
    const { rb, rt, reserve } = ring();
    const a = reserve(3);
    const b = reserve(4);
    rt.ringbuf_discard(a, 0n);
    rt.ringbuf_submit(b, 0n);
    expect(rb.drain()).toEqual([new Uint8Array([4, 4, 4, 4])]);
    expect(rb.consumerPosition).toBe(32);
  });

  test("the consumer stops at a record still being written, in order", () => {
    const { rb, rt, reserve } = ring();
    const a = reserve(1);
    const b = reserve(2);
    rt.ringbuf_submit(b, 0n);
    expect(rb.drain()).toEqual([]);
    rt.ringbuf_submit(a, 0n);
    expect(rb.drain()).toEqual([new Uint8Array([1]), new Uint8Array([2, 2])]);
  });

  test("space: the producer may run at most size - 1 bytes ahead of the consumer", () => {
    const { rb, rt, reserve } = ring(4096);
    expect(reserve(4088)).toBe(0); // 4096-byte record: would fill the ring exactly
    const p = reserve(4080); // 4088 bytes
    expect(p).not.toBe(0);
    expect(reserve(1)).toBe(0); // 16 more do not fit
    rt.ringbuf_submit(p, 0n);
    expect(reserve(1)).toBe(0); // still not consumed
    expect(rb.drain().length).toBe(1);
    expect(reserve(1)).not.toBe(0);
  });

  test("ringbuf_output copies and submits; -EAGAIN when full; -EINVAL for bad flags", () => {
    const { rb, output } = ring();
    expect(output(new Uint8Array([1, 2, 3]))).toBe(0n);
    expect(output(new Uint8Array([4]), BigInt(abi.BPF_RB_FORCE_WAKEUP))).toBe(0n);
    expect(output(new Uint8Array([4]), 4n)).toBe(BigInt(-abi.EINVAL));
    expect(output(new Uint8Array(4090))).toBe(BigInt(-abi.EAGAIN));
    expect(rb.drain()).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([4])]);
  });

  test("reserve with flags or on another map type gives NULL", () => {
    const { rb, rt, maps } = ring();
    expect(rt.ringbuf_reserve(rb.address, 8n, 1n)).toBe(0);
    const a = maps.create({ name: "a", type: "array", keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(rt.ringbuf_reserve(a.address, 8n, 0n)).toBe(0);
    expect(rt.ringbuf_reserve(rb.address, 1n << 40n, 0n)).toBe(0);
  });

  test("ringbuf_query reports available data, size and positions", () => {
    const { rb, rt, output } = ring(8192);
    output(new Uint8Array(10));
    const q = (f: number) => rt.ringbuf_query(rb.address, BigInt(f));
    expect(q(abi.BPF_RB_AVAIL_DATA)).toBe(24n);
    expect(q(abi.BPF_RB_RING_SIZE)).toBe(8192n);
    expect(q(abi.BPF_RB_PROD_POS)).toBe(24n);
    expect(q(abi.BPF_RB_CONS_POS)).toBe(0n);
    rb.drain();
    expect(q(abi.BPF_RB_CONS_POS)).toBe(24n);
    expect(q(abi.BPF_RB_AVAIL_DATA)).toBe(0n);
    expect(q(99)).toBe(0n);
    expect(rb.availableBytes).toBe(0);
  });

  test("records that wrap around the end arrive intact, many times over", () => {
    const { rb, rt, u8, output } = ring(4096);
    let seq = 0;
    for (let round = 0; round < 120; round++) {
      const sent: Uint8Array[] = [];
      for (let i = 0; i < 1 + (round % 4); i++) {
        const len = 1 + ((round * 37 + i * 101) % 900); // 4 records of <= 912 bytes always fit
        const data = Uint8Array.from({ length: len }, (_, j) => (seq * 7 + j) & 0xff);
        seq++;
        if (i % 2) {
          expect(output(data)).toBe(0n);
        } else {
          const p = rt.ringbuf_reserve(rb.address, BigInt(len), 0n);
          expect(p).not.toBe(0);
          u8.set(data, p); // may run into the shadow past the end
          rt.ringbuf_submit(p, 0n);
        }
        sent.push(data);
      }
      expect(rb.drain()).toEqual(sent);
    }
    expect(rb.producerPosition).toBeGreaterThan(10 * 4096); // wrapped at least ten times
  });

  test("consume: a negative callback result stops, and the limit is honoured", () => {
    const { rb, output } = ring();
    for (let i = 0; i < 5; i++) output(new Uint8Array([i]));
    const got: number[] = [];
    expect(rb.consume((s) => (got.push(s[0]!), s[0] === 1 ? -1 : 0))).toBe(2);
    expect(rb.consume((s) => void got.push(s[0]!), 2)).toBe(2);
    expect(rb.drain().map((s) => s[0])).toEqual([4]);
    expect(got).toEqual([0, 1, 2, 3]);
  });
});
