// Code templates: wasm code in stack-machine order (core spec §5.4) with placeholders for the
// fields of the eBPF instruction being lowered. lower/templates.ts has the table of them; the
// direct builder fills one in a single pass (direct/arena.ts), any other builder replays it
// through its API (lower/replay.ts).

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
} as const;

/** A template: bytes and placeholders. */
export type Code = Int16Array;

/** What the placeholders stand for in one instruction. */
export interface Fields {
  readonly dst: number;
  readonly src: number;
  readonly imm: number;
  readonly off: number;
}

type Part = number | readonly number[];

/** A template from bytes, placeholders and lists of them. */
export const code = (...parts: Part[]): Code => Int16Array.from(parts.flat());
