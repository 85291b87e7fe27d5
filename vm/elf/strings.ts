// String tables (SHT_STRTAB, gABI "String Table"): NUL-terminated names addressed by byte index.
// Both section names (.shstrtab / .strtab) and symbol names are looked up here; an index past
// the table or a name running off its end is refused with the byte offset of the culprit.

import { BpfError } from "../errors.js";
import { hex } from "./bytes.js";

const decoder = new TextDecoder("utf-8", { fatal: false });

export class StringTable {
  /** Index of the string table's section, for messages. */
  readonly sectionIndex: number;
  private readonly data: Uint8Array;
  private readonly fileOffset: number;

  constructor(data: Uint8Array, fileOffset: number, sectionIndex: number) {
    this.data = data;
    this.fileOffset = fileOffset;
    this.sectionIndex = sectionIndex;
  }

  /**
   * The string at `index`. `what` names the referring field and `at` is its byte offset in the
   * file, reported when the index is out of range.
   */
  get(index: number, what: string, at: number): string {
    if (index >= this.data.length) {
      throw new BpfError(
        `${what}: string index ${index} (${hex(index)}) is outside string table section ${this.sectionIndex} (${this.data.length} bytes)`,
        { offset: at },
      );
    }
    const end = this.data.indexOf(0, index);
    if (end < 0) {
      throw new BpfError(
        `${what}: the name at string table section ${this.sectionIndex}+${hex(index)} runs off the end of the table (no NUL terminator)`,
        { offset: this.fileOffset + index },
      );
    }
    return decoder.decode(this.data.subarray(index, end));
  }
}
