// Bounds-checked little-endian reads over one BTF blob (the .BTF or .BTF.ext section). Offsets
// are relative to the blob; errors report the absolute byte offset in the file (`base` is where
// the blob starts), so "BTF: ... at byte 0x1f3c" points into the object a user has.

import { BpfError } from "../errors.js";

export const hex = (n: number): string => `0x${n.toString(16)}`;

export class BlobReader {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    /** File offset of bytes[0]. */
    readonly base: number,
    /** Names the blob in messages: "BTF", "BTF.ext". */
    readonly label: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  fail(message: string, at: number): never {
    throw new BpfError(`${this.label}: ${message} (at byte ${hex(this.base + at)})`, { offset: this.base + at });
  }

  /** Throw unless [at, at + size) lies inside the blob. */
  need(at: number, size: number, what: string): void {
    if (!Number.isSafeInteger(at) || !Number.isSafeInteger(size) || at < 0 || size < 0 || at + size > this.bytes.length) {
      this.fail(`${what}: bytes ${hex(at)}..${hex(at + size)} are past the end of the section (${this.bytes.length} bytes)`,
        Math.min(Math.max(at, 0), this.bytes.length));
    }
  }

  u8(at: number, what: string): number {
    this.need(at, 1, what);
    return this.view.getUint8(at);
  }

  u16(at: number, what: string): number {
    this.need(at, 2, what);
    return this.view.getUint16(at, true);
  }

  u32(at: number, what: string): number {
    this.need(at, 4, what);
    return this.view.getUint32(at, true);
  }

  i32(at: number, what: string): number {
    this.need(at, 4, what);
    return this.view.getInt32(at, true);
  }
}
