// The wire format between the kernel engine and build/bpf-runner (see bpf_runner.c, which
// documents each op's payload next to its handler). Little-endian integers, length-prefixed:
//
//   request:  u32 len | u32 op  | payload        response: u32 len | i32 err | payload
//
// Binary rather than JSON because the fuzzer and the benchmarks push packets and programs
// through it thousands of times per second.

export const Op = {
  PROBE: 1,
  MAP_CREATE: 2,
  PROG_LOAD: 3,
  TEST_RUN: 4,
  MAP_LOOKUP: 5,
  MAP_UPDATE: 6,
  MAP_DELETE: 7,
  MAP_NEXT_KEY: 8,
  CLOSE: 9,
  TEST_RUN_MANY: 10,
  PROG_INFO: 11,
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: a QUEUE / STACK pop (no key). */
  MAP_LOOKUP_AND_DELETE: 12,
  /** Read a RINGBUF's committed records through its mmap()ed pages and consume them. */
  RINGBUF_DRAIN: 13,
  /** BPF_MAP_FREEZE: no more writes from user space (libbpf freezes .rodata after writing it). */
  MAP_FREEZE: 14,
  /** Open a cgroup v2 directory read-only: its fd, for a CGROUP_ARRAY slot. */
  OPEN_CGROUP: 15,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

/** Builds one request frame field by field. */
export class FrameWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  private len = 8; // room for the length and the op

  constructor(op: OpCode) {
    this.view.setUint32(4, op, true);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < this.len + n) cap *= 2;
    const grown = new Uint8Array(cap);
    grown.set(this.bytes.subarray(0, this.len));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u32(v: number): this {
    this.reserve(4);
    this.view.setUint32(this.len, v >>> 0, true);
    this.len += 4;
    return this;
  }

  u64(v: bigint): this {
    this.reserve(8);
    this.view.setBigUint64(this.len, BigInt.asUintN(64, v), true);
    this.len += 8;
    return this;
  }

  raw(data: Uint8Array): this {
    this.reserve(data.length);
    this.bytes.set(data, this.len);
    this.len += data.length;
    return this;
  }

  /** The finished frame, its length field filled in. */
  finish(): Uint8Array {
    this.view.setUint32(0, this.len - 4, true);
    return this.bytes.subarray(0, this.len);
  }
}

/** Reads a response payload field by field; running past the end is a protocol error. */
export class FrameReader {
  private at = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.at + n > this.bytes.length) {
      throw new Error(`bpf-runner response truncated: wanted ${n} bytes at ${this.at}, have ${this.bytes.length}`);
    }
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }

  bytesOf(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return out;
  }

  rest(): Uint8Array {
    const out = this.bytes.slice(this.at);
    this.at = this.bytes.length;
    return out;
  }

  text(): string {
    return new TextDecoder().decode(this.rest());
  }
}
