// Code templates: wasm code in stack-machine order (core spec §5.4) with placeholders for the
// fields of the eBPF instruction being lowered. lower/templates.ts has the table of them; the
// direct builder's writer fills them in wasm (direct/as/writer.ts), any other builder replays them
// through its API (lower/replay.ts).
//
// Every template is registered here when it is made and named by its id: a program's lowering
// only records (id, fields) per instruction, and the writer, which holds the registry in its
// memory, fills them in — a program's first compile runs before V8 has optimised the JIT's own
// JavaScript, and the fill is a loop per byte.

/** Bytes 0..255 are themselves; these placeholders sit above them. */
export const Hole = {
  /** The local of the dst register (unsigned LEB). */
  DST: 0x100,
  /** The local of the src register (unsigned LEB). */
  SRC: 0x101,
  /** imm as a signed LEB (an i32.const, or an i64.const of imm sign-extended). */
  IMM: 0x102,
  /** off as an unsigned LEB: a memarg offset (templates for off >= 0). */
  OFF: 0x103,
  /** off as a signed LEB: an i32.const added to a pointer (templates for off < 0). */
  NEG_OFF: 0x104,
  /** A branch's label, written as its relative depth (unsigned LEB); given instead of off. */
  LABEL: 0x105,
} as const;

/** A template's code: bytes and placeholders. */
export type Code = Int16Array;

/** A registered template. */
export type TemplateId = number;

/** What the placeholders stand for in one instruction. */
export interface Fields {
  readonly dst: number;
  readonly src: number;
  readonly imm: number;
  readonly off: number;
}

type Part = number | readonly number[];

/** Every template, by id. */
const registry: Code[] = [];

/** A template from bytes, placeholders and lists of them, registered. */
export function code(...parts: Part[]): TemplateId {
  return registry.push(Int16Array.from(parts.flat())) - 1;
}

export const templateCode = (id: TemplateId): Code => registry[id]!;

/** The longest filling of a template: its bytes, and a 5-byte LEB for each placeholder. */
const bound = (c: Code): number => c.reduce((n, x) => n + (x > 0xff ? 5 : 1), 0);

/** The registry packed for the writer: per id [start, length, bound], then all codes. */
export interface PackedTemplates {
  readonly index: Int32Array;
  readonly codes: Int16Array;
  /** Per id, the longest filling (bytes). */
  readonly bounds: Int32Array;
  /** The longest filling of any template. */
  readonly longest: number;
}

let packed: PackedTemplates | undefined;

/** The registry packed (again, if templates were registered since). */
export function packedTemplates(): PackedTemplates {
  if (packed && packed.bounds.length === registry.length) return packed;
  const index = new Int32Array(registry.length * 2);
  const bounds = new Int32Array(registry.length);
  const codes = new Int16Array(registry.reduce((n, c) => n + c.length, 0));
  let at = 0;
  registry.forEach((c, id) => {
    index[id * 2] = at;
    index[id * 2 + 1] = c.length;
    bounds[id] = bound(c);
    codes.set(c, at);
    at += c.length;
  });
  return (packed = { index, codes, bounds, longest: Math.max(0, ...bounds) });
}
