// The BTF string section: NUL-terminated names addressed by byte offset. The kernel
// (btf_parse_str_sec) requires it to start and end with a NUL, so every offset inside it has a
// terminator; offset 0 is the empty name (anonymous types).

import type { BlobReader } from "./reader.js";

const decoder = new TextDecoder("utf-8", { fatal: false });

export class BtfStrings {
  private readonly cache = new Map<number, string>();

  constructor(
    private readonly reader: BlobReader,
    /** Offset of the string section in the blob. */
    private readonly start: number,
    readonly size: number,
  ) {
    if (size === 0) reader.fail("the string section is empty (it must hold at least the empty name)", start);
    if (reader.bytes[start] !== 0) reader.fail("the string section does not start with a NUL (offset 0 must be the empty name)", start);
    if (reader.bytes[start + size - 1] !== 0) reader.fail("the string section does not end with a NUL", start + size - 1);
  }

  /** The string at `offset`; `what` names the referring field, `at` its offset in the blob. */
  get(offset: number, what: string, at: number): string {
    if (offset >= this.size) {
      this.reader.fail(`${what}: string offset ${offset} is outside the string section (${this.size} bytes)`, at);
    }
    let name = this.cache.get(offset);
    if (name === undefined) {
      const from = this.start + offset;
      const end = this.reader.bytes.indexOf(0, from); // found: the section ends with a NUL
      name = decoder.decode(this.reader.bytes.subarray(from, end));
      this.cache.set(offset, name);
    }
    return name;
  }
}
