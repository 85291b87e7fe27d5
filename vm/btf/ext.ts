// Reading .BTF.ext (tools/lib/bpf/libbpf_internal.h struct btf_ext_header; the kernel takes the
// same records in BPF_PROG_LOAD's func_info / line_info):
//
//   header { u16 magic 0xeb9f; u8 version 1; u8 flags; u32 hdr_len;
//            u32 func_info_off, func_info_len, line_info_off, line_info_len;
//            [u32 core_relo_off, core_relo_len] }          offsets from the header's end
//   each info block: u32 record_size, then per code section
//            { u32 sec_name_off; u32 num_info; record[num_info] }
//   func_info  { u32 insn_off; u32 type_id }                       (a FUNC)
//   line_info  { u32 insn_off; u32 file_name_off; u32 line_off; u32 line_col }  line_col = line << 10 | col
//   core_relo  { u32 insn_off; u32 type_id; u32 access_str_off; u32 kind }
//
// In a relocatable object insn_off is a byte offset inside the named section (libbpf divides by
// 8 when it loads). Names and source text are offsets into the .BTF string section.

import { BpfError } from "../errors.js";
import type { Btf } from "./btf.js";
import { BTF_MAGIC } from "./kinds.js";
import { BlobReader, hex } from "./reader.js";

export interface FuncInfo {
  /** Byte offset in the section. */
  readonly insnOff: number;
  /** The FUNC's type id. */
  readonly typeId: number;
}

export interface LineInfo {
  readonly insnOff: number;
  readonly file: string;
  /** The source line's text, as clang recorded it. */
  readonly source: string;
  readonly line: number;
  readonly column: number;
}

/** enum bpf_core_relo_kind (linux/bpf.h). */
export const CORE_RELO_KINDS: readonly string[] = [
  "field_byte_offset", "field_byte_size", "field_exists", "field_signed", "field_lshift_u64", "field_rshift_u64",
  "type_id_local", "type_id_target", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
];

export interface CoreRelo {
  readonly insnOff: number;
  /** The local (this object's) root type. */
  readonly typeId: number;
  /** "0:1:2": member / array indices from the root type. */
  readonly access: string;
  readonly kind: number;
  readonly kindName: string;
  /** File offset of the record, for messages. */
  readonly at: number;
}

export interface BtfExt {
  readonly funcInfo: ReadonlyMap<string, readonly FuncInfo[]>;
  readonly lineInfo: ReadonlyMap<string, readonly LineInfo[]>;
  readonly coreRelos: ReadonlyMap<string, readonly CoreRelo[]>;
}

const MIN_HEADER = 24;
const CORE_HEADER = 32;
const MIN_RECORD = { func: 8, line: 16, core: 16 } as const;

/** Parse .BTF.ext; `btf` holds the strings it refers to, `base` is its offset in the file. */
export function parseBtfExt(bytes: Uint8Array, btf: Btf, base = 0): BtfExt {
  const r = new BlobReader(bytes, base, "BTF.ext");
  r.need(0, 8, "btf_ext_header");
  const magic = r.u16(0, "magic");
  if (magic !== BTF_MAGIC) r.fail(`bad magic ${hex(magic)} (expected 0xeb9f)`, 0);
  const version = r.u8(2, "version");
  if (version !== 1) r.fail(`unsupported version ${version} (expected 1)`, 2);
  const flags = r.u8(3, "flags");
  if (flags !== 0) r.fail(`unsupported flags ${hex(flags)}`, 3);
  const hdrLen = r.u32(4, "hdr_len");
  if (hdrLen < MIN_HEADER || hdrLen > r.length) r.fail(`hdr_len ${hdrLen} is not between ${MIN_HEADER} and the section size ${r.length}`, 4);
  const block = (offField: number, kind: keyof typeof MIN_RECORD) =>
    infoBlock(r, btf, hdrLen, r.u32(offField, `${kind}_info_off`), r.u32(offField + 4, `${kind}_info_len`), kind, offField);
  const funcBlocks = block(8, "func");
  const lineBlocks = block(16, "line");
  const coreBlocks = hdrLen >= CORE_HEADER ? block(24, "core") : [];
  const funcInfo = new Map<string, FuncInfo[]>();
  for (const b of funcBlocks) {
    funcInfo.set(b.section, b.records.map((at) => ({ insnOff: r.u32(at, "insn_off"), typeId: r.u32(at + 4, "type_id") })));
  }
  const lineInfo = new Map<string, LineInfo[]>();
  for (const b of lineBlocks) {
    lineInfo.set(b.section, b.records.map((at) => {
      const lineCol = r.u32(at + 12, "line_col");
      return {
        insnOff: r.u32(at, "insn_off"),
        file: btf.string(r.u32(at + 4, "file_name_off"), "line_info file_name_off", base + at + 4),
        source: btf.string(r.u32(at + 8, "line_off"), "line_info line_off", base + at + 8),
        line: lineCol >>> 10,
        column: lineCol & 0x3ff,
      };
    }));
  }
  const coreRelos = new Map<string, CoreRelo[]>();
  for (const b of coreBlocks) {
    coreRelos.set(b.section, b.records.map((at) => {
      const kind = r.u32(at + 12, "kind");
      return {
        insnOff: r.u32(at, "insn_off"),
        typeId: r.u32(at + 4, "type_id"),
        access: btf.string(r.u32(at + 8, "access_str_off"), "core_relo access_str_off", base + at + 8),
        kind,
        kindName: CORE_RELO_KINDS[kind] ?? `kind ${kind}`,
        at: base + at,
      };
    }));
  }
  return { funcInfo, lineInfo, coreRelos };
}

interface Block {
  readonly section: string;
  /** Blob offsets of the records. */
  readonly records: number[];
}

function infoBlock(
  r: BlobReader, btf: Btf, hdrLen: number, off: number, len: number, kind: keyof typeof MIN_RECORD, field: number,
): Block[] {
  if (len === 0) return [];
  const start = hdrLen + off;
  if (off > r.length || start > r.length || len > r.length - start) {
    r.fail(`${kind} info (off ${off}, len ${len}) runs past the end of the section`, field);
  }
  const end = start + len;
  if (len < 4) r.fail(`${kind} info is ${len} bytes: too short for its record size`, start);
  const recordSize = r.u32(start, `${kind} info record_size`);
  if (recordSize < MIN_RECORD[kind] || recordSize % 4 !== 0) {
    r.fail(`${kind} info record_size ${recordSize} is invalid (at least ${MIN_RECORD[kind]}, a multiple of 4)`, start);
  }
  const blocks: Block[] = [];
  for (let at = start + 4; at < end;) {
    if (end - at < 8) r.fail(`${kind} info: truncated section header (${end - at} bytes left)`, at);
    const section = btf.string(r.u32(at, "sec_name_off"), `${kind} info sec_name_off`, r.base + at);
    const count = r.u32(at + 4, "num_info");
    if (count === 0) r.fail(`${kind} info for section '${section}' has no records`, at + 4);
    at += 8;
    if (count > (end - at) / recordSize) {
      r.fail(`${kind} info for section '${section}': ${count} records of ${recordSize} bytes run past the end of the block`, at - 4);
    }
    blocks.push({ section, records: Array.from({ length: count }, (_, i) => at + i * recordSize) });
    at += count * recordSize;
  }
  return blocks;
}

/** Throw a BpfError for a BTF.ext problem found later (by a loader), at a record's offset. */
export function extError(message: string, at: number): BpfError {
  return new BpfError(`${message} (at byte ${hex(at)})`, { offset: at });
}
