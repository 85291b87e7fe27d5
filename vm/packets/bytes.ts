// Bounds-checked reads of a capture's bytes in the file's byte order. Every read that could
// run past the end goes through `need`, which names the structure and its byte offset, so a
// truncated or lying file ends in a BpfError with `where.offset` instead of a RangeError.

import { BpfError } from "../errors.js";

export class ByteReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    /** Format name for messages ("pcap", "pcapng"). */
    readonly format: string,
    public little = true,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  /** Throw unless [at, at + n) lies inside the input. */
  need(at: number, n: number, what: string): void {
    if (at + n > this.bytes.length) {
      const left = Math.max(0, this.bytes.length - at);
      throw this.error(`truncated ${what} at byte ${at}: needs ${n} bytes, ${left} left`, at);
    }
  }

  error(message: string, offset: number): BpfError {
    return new BpfError(`${this.format}: ${message}`, { offset });
  }

  u8(at: number): number {
    return this.bytes[at]!;
  }

  u16(at: number): number {
    return this.view.getUint16(at, this.little);
  }

  u32(at: number): number {
    return this.view.getUint32(at, this.little);
  }

  i64(at: number): bigint {
    return this.view.getBigInt64(at, this.little);
  }

  u32be(at: number): number {
    return this.view.getUint32(at, false);
  }

  slice(at: number, n: number): Uint8Array {
    return this.bytes.subarray(at, at + n);
  }
}

/** Growable little/big-endian byte writer for the capture writers. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;

  constructor(
    readonly little = true,
    initial = 4096,
  ) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): number {
    const at = this.len;
    if (at + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.len += n;
    return at;
  }

  u16(v: number): void {
    const at = this.reserve(2); // before reading this.view: reserve may replace it
    this.view.setUint16(at, v, this.little);
  }

  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v >>> 0, this.little);
  }

  /** Overwrite a u32 written earlier (block lengths known only at the end). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, this.little);
  }

  bytes(data: Uint8Array): void {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
  }

  /** Zero bytes up to a multiple of `align`. */
  pad(align: number): void {
    const extra = (align - (this.len % align)) % align;
    this.reserve(extra); // fresh bytes are already zero
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
