// Writing a small BTF blob (include/uapi/linux/btf.h: header, type section, string section) for
// BPF_BTF_LOAD: what the kernel needs to be told about a program's functions (func_info,
// vm/program/func-info.ts) or a map's value (a bpf_spin_lock, vm/node/kernel/map-btf.ts). Types
// are given as the u32 words of their struct btf_type and kind-specific records.

import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_VERSION } from "./kinds.js";

/** BTF's string section: offset 0 is the empty string. */
export class BtfStrings {
  private readonly parts: string[] = [""];
  private size = 1;

  /** The offset of `s` (added at the end). */
  add(s: string): number {
    const at = this.size;
    this.parts.push(s);
    this.size += new TextEncoder().encode(s).length + 1;
    return at;
  }

  bytes(): Uint8Array {
    return new TextEncoder().encode(this.parts.join("\0") + "\0");
  }
}

/** struct btf_type's info word: kind << 24 | vlen (kind_flag 0). */
export const btfInfo = (kind: number, vlen = 0): number => (kind << 24) | vlen;

/** The blob: header, then the type words, then the strings. */
export function btfBlob(types: readonly number[], strings: BtfStrings): Uint8Array {
  const str = strings.bytes();
  const typeBytes = types.length * 4;
  const btf = new Uint8Array(BTF_HEADER_SIZE + typeBytes + str.length);
  const view = new DataView(btf.buffer);
  view.setUint16(0, BTF_MAGIC, true);
  view.setUint8(2, BTF_VERSION);
  view.setUint8(3, 0); // flags
  view.setUint32(4, BTF_HEADER_SIZE, true);
  view.setUint32(8, 0, true); // type_off
  view.setUint32(12, typeBytes, true);
  view.setUint32(16, typeBytes, true); // str_off
  view.setUint32(20, str.length, true);
  types.forEach((v, i) => view.setUint32(BTF_HEADER_SIZE + i * 4, v >>> 0, true));
  btf.set(str, BTF_HEADER_SIZE + typeBytes);
  return btf;
}
