// Bounds-checked little-endian reads over an ELF image. Every read names the field it is for,
// so a truncated or lying file yields "section header 3: sh_offset at byte 0x1c8 is past the
// end of the file (…)" instead of a RangeError from DataView.

import { BpfError } from "../errors.js";

const hex = (n: number): string => `0x${n.toString(16)}`;

export class ElfBytes {
  readonly bytes: Uint8Array;
  readonly length: number;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.length = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * Throw unless [offset, offset + size) lies inside the file. `at` is the byte offset to report:
   * the field that claimed the range (e.g. an sh_offset), or by default the range's start.
   */
  need(offset: number, size: number, what: string, at?: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(size) || size < 0
      || offset + size > this.length) {
      throw new BpfError(
        `${what}: bytes ${describe(offset)}..${describe(offset + size)} are past the end of the file (${this.length} bytes)`,
        { offset: at ?? clampOffset(offset, this.length) },
      );
    }
  }

  u8(offset: number, what: string): number {
    this.need(offset, 1, what);
    return this.view.getUint8(offset);
  }

  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, true);
  }

  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, true);
  }

  /**
   * A 64-bit field as a JS number. Values above 2^53 lose precision but stay above any file
   * length, so the bounds checks that follow still refuse them.
   */
  u64(offset: number, what: string): number {
    this.need(offset, 8, what);
    return Number(this.view.getBigUint64(offset, true));
  }

  /** A view of [offset, offset + size), checked. Shares the file's buffer. */
  slice(offset: number, size: number, what: string, at?: number): Uint8Array {
    this.need(offset, size, what, at);
    return this.bytes.subarray(offset, offset + size);
  }
}

function describe(n: number): string {
  return Number.isSafeInteger(n) ? hex(n) : `~${n.toExponential(3)}`;
}

/** The byte offset to report for an access that starts at `offset` (within the file when possible). */
function clampOffset(offset: number, length: number): number {
  if (!Number.isFinite(offset) || offset < 0) return 0;
  return Math.min(offset, length);
}

export { hex };
