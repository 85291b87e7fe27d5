// Bad BTF and .BTF.ext: each refusal is a BpfError whose offset is the byte (in the file: the
// blob's base is added) of the field that is wrong. Also the BTF map-definition rules
// (libbpf's parse_btf_map_def) on hand-built definitions.

import { describe, expect, it } from "vitest";
import { btfMapDefinitions, parseBtf, parseBtfExt } from "../../vm/btf/index.js";
import { BtfBuilder, buildBtfExt } from "./btf-builder.js";
import { refusal } from "../refusal.js";

const BASE = 0x1000;

const u32 = (bytes: Uint8Array, at: number, v: number) => new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, v >>> 0, true);

function small() {
  const b = new BtfBuilder();
  const int = b.int("int", 4, true);
  const ptr = b.ptr(int);
  const st = b.struct("pair", 8, [["a", int, 0], ["b", int, 32]]);
  return { b, int, ptr, st, built: b.build() };
}

describe("bad BTF", () => {
  it("a good blob parses (the baseline the cases below break)", () => {
    const { built, st } = small();
    const btf = parseBtf(built.bytes, BASE);
    expect(btf.count).toBe(3);
    expect(btf.sizeOf(st)).toBe(8);
    expect(btf.typeName(2)).toBe("int *");
  });

  const cases: Array<[string, (bytes: Uint8Array, at: number[]) => void, RegExp, (at: number[]) => number]> = [
    ["bad magic", (b) => (b[0] = 0), /bad magic/, () => 0],
    ["big-endian magic", (b) => { b[0] = 0xeb; b[1] = 0x9f; }, /big-endian/, () => 0],
    ["version 2", (b) => (b[2] = 2), /unsupported version 2/, () => 2],
    ["nonzero flags", (b) => (b[3] = 1), /flags/, () => 3],
    ["hdr_len past the end", (b) => u32(b, 4, 0x10000), /hdr_len/, () => 4],
    ["type section past the end", (b) => u32(b, 12, 0x10000), /type section/, () => 8],
    ["unaligned type_off", (b) => u32(b, 8, 2), /aligned/, () => 8],
    ["string section past the end", (b) => u32(b, 20, 0x10000), /string section/, () => 16],
    ["unknown kind", (b, at) => u32(b, at[1]! + 4, 25 << 24), /unknown kind 25/, (at) => at[1]! + 4],
    ["vlen on a PTR", (b, at) => u32(b, at[2]! + 4, (2 << 24) | 3), /vlen must be 0/, (at) => at[2]! + 4],
    ["name offset past the strings", (b, at) => u32(b, at[1]!, 0xffff), /string offset 65535 is outside/, (at) => at[1]!],
    ["INT of 3 bytes", (b, at) => u32(b, at[1]! + 8, 3), /size 3/, (at) => at[1]! + 8],
    ["reference to a missing type", (b, at) => u32(b, at[2]! + 8, 99), /type id 99, but there are 3 types/, (at) => at[2]!],
    ["member type missing", (b, at) => u32(b, at[3]! + 12 + 4, 77), /member 0 'a' refers to type id 77/, (at) => at[3]!],
  ];
  for (const [what, breakIt, message, offset] of cases) {
    it(what, () => {
      const { built } = small();
      const bytes = built.bytes.slice();
      breakIt(bytes, built.typeAt);
      const err = refusal(() => parseBtf(bytes, BASE));
      expect(err.message).toMatch(message);
      expect(err.where.offset).toBe(BASE + offset(built.typeAt));
    });
  }

  it("a truncated type (section cut in the middle of a struct)", () => {
    const { built } = small();
    const bytes = built.bytes.slice();
    u32(bytes, 12, built.stringsStart - 24 - 4); // type_len one word short
    const err = refusal(() => parseBtf(bytes, BASE));
    expect(err.message).toMatch(/type 3 \(STRUCT, vlen 2\): its 24 bytes of data run past the type section/);
    expect(err.where.offset).toBe(BASE + built.typeAt[3]!);
  });

  it("a string section without its final NUL", () => {
    const { built } = small();
    const bytes = built.bytes.slice();
    bytes[bytes.length - 1] = 0x41;
    const err = refusal(() => parseBtf(bytes, BASE));
    expect(err.message).toMatch(/does not end with a NUL/);
    expect(err.where.offset).toBe(BASE + bytes.length - 1);
  });

  it("a header too short", () => {
    const err = refusal(() => parseBtf(new Uint8Array(10), BASE));
    expect(err.message).toMatch(/btf_header/);
    expect(err.where.offset).toBe(BASE + 0);
  });

  it("a typedef loop is refused when followed, not looped on", () => {
    const b = new BtfBuilder();
    b.typedef("a", 2);
    b.typedef("b", 1);
    const btf = parseBtf(b.build().bytes, BASE);
    const err = refusal(() => btf.sizeOf(1));
    expect(err.message).toMatch(/chain longer than 32/);
    expect(err.where.offset).toBe(BASE + 24);
  });

  it("an array of 2^31 structs of 8 bytes is too large", () => {
    const b = new BtfBuilder();
    const int = b.int("long", 8);
    const arr = b.array(int, 0x80000000);
    const btf = parseBtf(b.build().bytes, BASE);
    expect(refusal(() => btf.sizeOf(arr)).message).toMatch(/larger than 4 GiB/);
  });
});

describe("bad .BTF.ext", () => {
  const btf = () => {
    const b = new BtfBuilder();
    b.int("int", 4);
    b.str("xdp");
    b.str("file.c");
    return { btf: parseBtf(b.build().bytes), xdp: b.str("xdp"), file: b.str("file.c") };
  };

  it("good records parse", () => {
    const { btf: t, xdp, file } = btf();
    const ext = parseBtfExt(buildBtfExt({ func: [[xdp, [[0, 1]]]], line: [[xdp, [[0, file, file, (7 << 10) | 3]]]] }), t, BASE);
    expect(ext.funcInfo.get("xdp")).toEqual([{ insnOff: 0, typeId: 1 }]);
    expect(ext.lineInfo.get("xdp")).toEqual([{ insnOff: 0, file: "file.c", source: "file.c", line: 7, column: 3 }]);
  });

  it("bad magic", () => {
    const { btf: t } = btf();
    const bytes = buildBtfExt({});
    bytes[1] = 0;
    const err = refusal(() => parseBtfExt(bytes, t, BASE));
    expect(err.message).toMatch(/BTF.ext: bad magic/);
    expect(err.where.offset).toBe(BASE);
  });

  it("a record size below the minimum", () => {
    const { btf: t, xdp } = btf();
    const err = refusal(() => parseBtfExt(buildBtfExt({ func: [[xdp, [[0, 1]]]] }, { func: 4, line: 16, core: 16 }), t, BASE));
    expect(err.message).toMatch(/func info record_size 4 is invalid/);
    expect(err.where.offset).toBe(BASE + 32);
  });

  it("a section with no records", () => {
    const { btf: t, xdp } = btf();
    const err = refusal(() => parseBtfExt(buildBtfExt({ func: [[xdp, []]] }), t, BASE));
    expect(err.message).toMatch(/for section 'xdp' has no records/);
    expect(err.where.offset).toBe(BASE + 32 + 8);
  });

  it("more records than the block holds", () => {
    const { btf: t, xdp } = btf();
    const bytes = buildBtfExt({ func: [[xdp, [[0, 1]]]] });
    u32(bytes, 32 + 8, 1000); // num_info
    const err = refusal(() => parseBtfExt(bytes, t, BASE));
    expect(err.message).toMatch(/1000 records of 8 bytes run past the end of the block/);
    expect(err.where.offset).toBe(BASE + 32 + 8);
  });

  it("a section name outside the strings", () => {
    const { btf: t } = btf();
    const err = refusal(() => parseBtfExt(buildBtfExt({ func: [[5000, [[0, 1]]]] }), t, BASE));
    expect(err.message).toMatch(/sec_name_off: string offset 5000 is outside the string section/);
    expect(err.where.offset).toBe(BASE + 36);
  });

  it("an info block past the end", () => {
    const { btf: t } = btf();
    const bytes = buildBtfExt({});
    u32(bytes, 12, 64); // func_info_len
    const err = refusal(() => parseBtfExt(bytes, t, BASE));
    expect(err.message).toMatch(/func info \(off 0, len 64\) runs past the end/);
    expect(err.where.offset).toBe(BASE + 8);
  });
});

describe("BTF map definitions (libbpf's rules)", () => {
  /** A `.maps` DATASEC with one map whose struct has `members` (built by `make`). */
  function mapBtf(make: (b: BtfBuilder, int: number) => Array<[string, number, number]>) {
    const b = new BtfBuilder();
    const int = b.int("int", 4, true);
    const def = b.struct("", 64, make(b, int));
    const v = b.variable("m", def);
    b.datasec(".maps", [[v, 0, 64]]);
    return parseBtf(b.build().bytes, BASE);
  }
  const u = (b: BtfBuilder, int: number, name: string, n: number, bit: number): [string, number, number] => [name, b.uintMember(int, n), bit];

  it("__uint and __type members give the spec", () => {
    const btf = mapBtf((b, int) => [u(b, int, "type", 1, 0), u(b, int, "max_entries", 10, 64), ["key", b.ptr(int), 128], ["value", b.ptr(b.array(int, 3)), 192], u(b, int, "map_flags", 1, 256), u(b, int, "pinning", 1, 320)]);
    expect(btfMapDefinitions(btf)).toMatchObject([{ name: "m", type: 1, maxEntries: 10, keySize: 4, valueSize: 12, flags: 1, pinning: 1 }]);
  });

  const bad: Array<[string, (b: BtfBuilder, int: number) => Array<[string, number, number]>, RegExp]> = [
    ["unknown member", (b, int) => [u(b, int, "type", 1, 0), u(b, int, "colour", 3, 64)], /unknown field 'colour'/],
    ["no type", (b, int) => [u(b, int, "max_entries", 1, 0)], /no 'type' member/],
    ["conflicting key size", (b, int) => [u(b, int, "type", 1, 0), u(b, int, "key_size", 8, 64), ["key", b.ptr(int), 128]], /conflicting key size 8 \(key_size\) != 4/],
    ["__uint that is not a pointer", (_b, int) => [["type", int, 0]], /member 'type' is INT, not a PTR to an array/],
    ["__uint pointing at an int", (b, int) => [["type", b.ptr(int), 0]], /points at INT, not an array/],
    ["values not last", (b, int) => [u(b, int, "type", 3, 0), ["values", b.array(b.ptr(b.funcProto(int, [])), 0), 64], u(b, int, "max_entries", 1, 128)], /'values' must be the last member/],
    ["values on a hash map", (b, int) => [u(b, int, "type", 1, 0), ["values", b.array(b.ptr(b.funcProto(int, [])), 0), 64]], /only supported for PROG_ARRAY/],
    ["map in map, values pointing at an int", (b, int) => [u(b, int, "type", 12, 0), ["values", b.array(b.ptr(int), 0), 64]], /map-in-map inner definition is INT, not a struct/],
    ["map in map, values with elements", (b, int) => [u(b, int, "type", 13, 0), ["values", b.array(b.ptr(b.struct("inner", 0, [])), 2), 64]], /must be an array with 0 elements, it has 2/],
    ["pinning neither NONE nor BY_NAME", (b, int) => [u(b, int, "type", 1, 0), u(b, int, "pinning", 2, 64)], /invalid pinning value 2/],
  ];
  it("map in map: the inner template is read as a definition of its own, one level only", () => {
    const inner = (b: BtfBuilder, int: number, extra: Array<[string, number, number]> = []) =>
      b.struct("inner", 32 + 64 * extra.length, [u(b, int, "type", 1, 0), u(b, int, "key_size", 4, 64), u(b, int, "value_size", 8, 128), u(b, int, "max_entries", 9, 192), ...extra]);
    const ok = mapBtf((b, int) => [u(b, int, "type", 13, 0), u(b, int, "key_size", 4, 64), ["values", b.array(b.ptr(inner(b, int)), 0), 128]]);
    expect(btfMapDefinitions(ok)).toMatchObject([{ name: "m", type: 13, keySize: 4, valueSize: 4, inner: { name: "m.inner", type: 1, keySize: 4, valueSize: 8, maxEntries: 9 } }]);
    const twoLevels = mapBtf((b, int) => [u(b, int, "type", 12, 0), ["values", b.array(b.ptr(inner(b, int, [["values", b.array(b.ptr(b.struct("x", 0, [])), 0), 256]])), 0), 64]]);
    expect(refusal(() => btfMapDefinitions(twoLevels)).message).toMatch(/^BTF map 'm.inner': multi-level inner maps are not supported/);
    const wide = mapBtf((b, int) => [u(b, int, "type", 12, 0), u(b, int, "value_size", 8, 64), ["values", b.array(b.ptr(inner(b, int)), 0), 128]]);
    expect(refusal(() => btfMapDefinitions(wide)).message).toMatch(/conflicting value size 8 != 4/);
    // libbpf: "inner def can't be pinned" (the object was accepted here, the pinning recorded).
    const pinned = mapBtf((b, int) => [u(b, int, "type", 12, 0), ["values", b.array(b.ptr(inner(b, int, [u(b, int, "pinning", 1, 256)])), 0), 64]]);
    expect(refusal(() => btfMapDefinitions(pinned)).message).toMatch(/^BTF map 'm.inner': an inner map definition cannot be pinned/);
  });

  for (const [what, make, message] of bad) {
    it(what, () => {
      const btf = mapBtf(make);
      const err = refusal(() => btfMapDefinitions(btf));
      expect(err.message).toMatch(/^BTF map 'm': /);
      expect(err.message).toMatch(message);
      expect(err.where.offset).toBeGreaterThanOrEqual(BASE);
    });
  }

  it("a DATASEC entry that is not a VAR", () => {
    const b = new BtfBuilder();
    const int = b.int("int", 4);
    b.datasec(".maps", [[int, 0, 4]]);
    const err = refusal(() => btfMapDefinitions(parseBtf(b.build().bytes, BASE)));
    expect(err.message).toMatch(/entry 0 is INT 'int', not a VAR/);
  });
});
