// A small BTF writer for tests: types as kinds and fields, strings interned, laid out as the
// kernel's btf.h says (header, types, strings). Tests break one field and know its offset.

export interface BuiltBtf {
  bytes: Uint8Array;
  /** Offset of each type's struct btf_type (index = type id; [0] unused). */
  typeAt: number[];
  /** Offset of the type section and the string section. */
  typesStart: number;
  stringsStart: number;
}

export class BtfBuilder {
  private readonly strings: number[] = [0];
  private readonly names = new Map<string, number>([["", 0]]);
  private readonly types: number[][] = [];

  str(name: string): number {
    let off = this.names.get(name);
    if (off === undefined) {
      off = this.strings.length;
      this.strings.push(...new TextEncoder().encode(name), 0);
      this.names.set(name, off);
    }
    return off;
  }

  /** Append a raw type: btf_type words then trailer words. Returns its id. */
  raw(name: string, kind: number, vlen: number, third: number, trailer: number[] = [], kindFlag = false): number {
    const info = ((kindFlag ? 1 : 0) << 31) | (kind << 24) | vlen;
    this.types.push([this.str(name), info >>> 0, third >>> 0, ...trailer.map((w) => w >>> 0)]);
    return this.types.length;
  }

  int(name: string, size: number, signed = false): number {
    return this.raw(name, 1, 0, size, [((signed ? 1 : 0) << 24) | (size * 8)]);
  }

  ptr(to: number): number {
    return this.raw("", 2, 0, to);
  }

  array(elem: number, nelems: number, index = elem): number {
    return this.raw("", 3, 0, 0, [elem, index, nelems]);
  }

  struct(name: string, size: number, members: Array<[string, number, number]>): number {
    return this.raw(name, 4, members.length, size, members.flatMap(([n, t, bitOff]) => [this.str(n), t, bitOff]));
  }

  typedef(name: string, to: number): number {
    return this.raw(name, 8, 0, to);
  }

  variable(name: string, type: number, linkage = 1): number {
    return this.raw(name, 14, 0, type, [linkage]);
  }

  datasec(name: string, entries: Array<[number, number, number]>): number {
    return this.raw(name, 15, entries.length, 0, entries.flat());
  }

  funcProto(ret: number, params: Array<[string, number]>): number {
    return this.raw("", 13, params.length, ret, params.flatMap(([n, t]) => [this.str(n), t]));
  }

  func(name: string, proto: number, linkage = 1): number {
    return this.raw(name, 12, linkage, proto);
  }

  /** `__uint(name, n)`: a member of type PTR → ARRAY[n] of int. */
  uintMember(int: number, n: number): number {
    return this.ptr(this.array(int, n));
  }

  build(): BuiltBtf {
    const typeWords = this.types.flat();
    const typeLen = typeWords.length * 4;
    const strLen = this.strings.length;
    const bytes = new Uint8Array(24 + typeLen + strLen);
    const dv = new DataView(bytes.buffer);
    dv.setUint16(0, 0xeb9f, true);
    bytes[2] = 1;
    dv.setUint32(4, 24, true);
    dv.setUint32(8, 0, true);
    dv.setUint32(12, typeLen, true);
    dv.setUint32(16, typeLen, true);
    dv.setUint32(20, strLen, true);
    typeWords.forEach((w, i) => dv.setUint32(24 + 4 * i, w, true));
    bytes.set(this.strings, 24 + typeLen);
    const typeAt = [0];
    let at = 24;
    for (const t of this.types) {
      typeAt.push(at);
      at += t.length * 4;
    }
    return { bytes, typeAt, typesStart: 24, stringsStart: 24 + typeLen };
  }
}

/** A .BTF.ext blob: func_info, line_info and core_relo blocks from records of u32 words. */
export function buildBtfExt(blocks: {
  func?: Array<[number, number[][]]>;
  line?: Array<[number, number[][]]>;
  core?: Array<[number, number[][]]>;
}, recordSizes = { func: 8, line: 16, core: 16 }): Uint8Array {
  const words: number[] = [];
  const block = (entries: Array<[number, number[][]]> | undefined, size: number): [number, number] => {
    if (!entries) return [words.length * 4, 0];
    const start = words.length * 4;
    words.push(size);
    for (const [sec, records] of entries) {
      words.push(sec, records.length);
      for (const r of records) words.push(...r);
    }
    return [start, words.length * 4 - start];
  };
  const f = block(blocks.func, recordSizes.func);
  const l = block(blocks.line, recordSizes.line);
  const c = block(blocks.core, recordSizes.core);
  const bytes = new Uint8Array(32 + words.length * 4);
  const dv = new DataView(bytes.buffer);
  dv.setUint16(0, 0xeb9f, true);
  bytes[2] = 1;
  dv.setUint32(4, 32, true);
  [f[0], f[1], l[0], l[1], c[0], c[1]].forEach((w, i) => dv.setUint32(8 + 4 * i, w, true));
  words.forEach((w, i) => dv.setUint32(32 + 4 * i, w >>> 0, true));
  return bytes;
}
