// The kernel bridge's reads of the maps that have no keys to iterate: QUEUE / STACK (push = update
// with no key, pop = BPF_MAP_LOOKUP_AND_DELETE_ELEM, peek = lookup with no key) and RINGBUF (the
// runner mmap()s the ring and consumes its records as libbpf's ring_buffer does). Checked against
// what the kernel's own rules say the maps hold (kernel/bpf/queue_stack_maps.c, ringbuf.c); the
// comparisons with our engines are in test/runtime/kernel*.test.ts.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { BpfError } from "../../vm/errors.js";
import { KernelBridge, KernelError, MapType, ProgType } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { ringProgram } from "./ring-program.js";

const status = kernelAvailability();
const bridge = new KernelBridge();
afterAll(() => bridge.close());

const u64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
const num = (b: Uint8Array | undefined): number | undefined => (b ? Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true)) : undefined);
const BPF_EXIST = 2n;

describe.skipIf(!status.ok)("kernel QUEUE and STACK from user space", () => {
  for (const [type, order] of [[MapType.QUEUE, "oldest first"], [MapType.STACK, "newest first"]] as const) {
    const name = type === MapType.QUEUE ? "QUEUE" : "STACK";
    it(`${name}: empty → undefined, push until full → E2BIG, BPF_EXIST drops the oldest, pop ${order}`, () => {
      const map = bridge.createMap({ type, keySize: 0, valueSize: 8, maxEntries: 3, name: "q" });
      try {
        expect(map.pop()).toBeUndefined();
        expect(map.peek()).toBeUndefined();
        for (const v of [1, 2, 3]) map.push(u64(v));
        let full: unknown;
        try {
          map.push(u64(4));
        } catch (err) {
          full = err;
        }
        expect(full).toBeInstanceOf(KernelError);
        expect((full as KernelError).message).toMatch(/E2BIG/);
        expect(num(map.peek())).toBe(type === MapType.QUEUE ? 1 : 3);
        map.push(u64(5), BPF_EXIST); // full: the oldest value (1) makes room, for a stack too
        expect(num(map.peek())).toBe(type === MapType.QUEUE ? 2 : 5);
        expect(map.popAll().map(num)).toEqual(type === MapType.QUEUE ? [2, 3, 5] : [5, 3, 2]);
        expect(map.pop()).toBeUndefined();
      } finally {
        map.close();
      }
    });
  }

  it("key-less operations on keyed maps, and keyed ones on key-less maps, are refused", () => {
    const hash = bridge.createMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: "h" });
    const queue = bridge.createMap({ type: MapType.QUEUE, keySize: 0, valueSize: 8, maxEntries: 4, name: "q" });
    try {
      expect(() => hash.pop()).toThrow(BpfError);
      expect(() => hash.push(u64(1))).toThrow(/push is for QUEUE, STACK and BLOOM_FILTER maps/);
      expect(() => hash.drain()).toThrow(/drain is for RINGBUF maps/);
      expect(() => queue.lookup(new Uint8Array(4))).toThrow(/key is 4 bytes, the map's keys are 0/);
      expect(() => queue.push(new Uint8Array(4))).toThrow(/value is 4 bytes, the map takes 8/);
    } finally {
      hash.close();
      queue.close();
    }
  });
});

// XDP over 64-byte frames (ring-program.ts): byte 1 picks the operation, byte 0 the output length.
const RING_PROGRAM = ringProgram({ opAt: 1, lenAt: 0, fillAt: 0 });

/** Frame k: length byte, op byte, then bytes that differ from frame to frame. */
function ringFrame(k: number): Uint8Array {
  const f = new Uint8Array(64).map((_, i) => (k * 31 + i * 7) & 0xff);
  f[0] = (k * 13) % 64; // 0..63 bytes, 0 included: a header-only record
  f[1] = k % 5 === 3 ? 1 : k % 5 === 4 ? 2 : 0;
  return f;
}

/** What the kernel's rules say frame k leaves: its record (or none) and the ring bytes it takes. */
function expected(f: Uint8Array): { record?: Uint8Array; bytes: number } {
  const round = (len: number): number => Math.ceil((len + 8) / 8) * 8; // 8-byte header, 8-byte aligned
  if (f[1] === 0) return { record: f.slice(0, f[0]), bytes: round(f[0]!) };
  return f[1] === 2 ? { record: f.slice(0, 16), bytes: round(16) } : { bytes: round(16) };
}

describe.skipIf(!status.ok)("kernel RINGBUF drained by the runner (mmap, as libbpf)", () => {
  it("every submitted record in order, discarded ones skipped, round the ring's end many times", () => {
    const prog = bridge.load(assemble(RING_PROGRAM), { type: ProgType.XDP, name: "ring", maps: [{ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: "rb" }] });
    try {
      const ring = prog.maps[0]!;
      expect(ring.drainRing()).toEqual({ records: [], consumerPos: 0n, producerPos: 0n });
      let position = 0;
      let records = 0;
      for (let batch = 0; batch < 30; batch++) {
        // 20 frames take at most 20 × 72 bytes: they fit in the 4096-byte ring, so no run fails.
        const frames = Array.from({ length: 20 }, (_, i) => ringFrame(batch * 20 + i));
        const runs = prog.testRunMany(frames);
        expect(runs.map((r) => [r.errno, r.retval])).toEqual(frames.map(() => [0, 0]));
        const want = frames.map(expected);
        position += want.reduce((t, w) => t + w.bytes, 0);
        const got = ring.drainRing();
        const wanted = want.flatMap((w) => (w.record ? [w.record] : []));
        expect(got.records.map((r) => Buffer.from(r).toString("hex"))).toEqual(wanted.map((r) => Buffer.from(r).toString("hex")));
        expect(got.consumerPos).toBe(BigInt(position));
        expect(got.producerPos).toBe(BigInt(position));
        records += got.records.length;
      }
      expect(position).toBeGreaterThan(4 * 4096); // the ring wrapped round its end several times
      expect(records).toBe(480); // 600 frames less the 120 discarded
    } finally {
      prog.close();
    }
  });

  it("a full ring refuses output (-EAGAIN) and reserve (NULL) until drained; a limit drains part", () => {
    const prog = bridge.load(assemble(RING_PROGRAM), { type: ProgType.XDP, name: "ring", maps: [{ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: "rb" }] });
    try {
      const ring = prog.maps[0]!;
      const fill = new Uint8Array(64).fill(0x5a);
      fill[0] = 56; // 64-byte records
      fill[1] = 0;
      // The producer may run at most size - 1 bytes ahead of the consumer (__bpf_ringbuf_reserve:
      // new_prod_pos - cons_pos > rb->mask fails), so 63 of them fit in 4096 bytes, not 64.
      const runs = prog.testRunMany(Array.from({ length: 70 }, () => fill));
      expect(runs.filter((r) => r.retval === 0).length).toBe(63);
      expect(runs.slice(63).map((r) => r.retval | 0)).toEqual(new Array(7).fill(-11)); // -EAGAIN
      const reserve = fill.slice();
      reserve[1] = 2;
      // 63 bytes left: two 24-byte records (16 bytes + header) fit, the third finds no room.
      expect([0, 1, 2].map(() => prog.testRun({ data: reserve }).retval)).toEqual([0, 0, 1]);
      const part = ring.drainRing(10);
      expect(part.records.length).toBe(10);
      expect(part.consumerPos).toBe(640n);
      expect(part.producerPos).toBe(4080n);
      expect(prog.testRun({ data: fill }).retval).toBe(0); // room again
      expect(ring.drain().map((r) => r.length)).toEqual([...new Array(53).fill(56), 16, 16, 56]);
      expect(ring.drain()).toEqual([]);
    } finally {
      prog.close();
    }
  });
});
