// Reading the operands of one assembly line: a small lexer and a cursor with one method per kind
// of operand (register, immediate, memory reference, jump target). Every failure names the
// offending text and the line, as `line 4: expected register, found '1' in 'neg 1'`.

import { BpfError } from "../errors.js";
import { NUM_REGS } from "../isa/opcodes.js";
import { IMM32, IMM64, S16, inRange, isLiteral, literalValue, toImm32, type FieldRange } from "./numbers.js";

export type TokKind = "word" | "num" | "punct";

export interface Tok {
  readonly kind: TokKind;
  readonly text: string;
}

/** A jump or call target: a label to resolve later, or a pc-relative count of slots. */
export type Target = { label: string } | { rel: number };

// Words: mnemonics, keywords, labels, registers (`%r1` or `r1`). Numbers start with a digit and
// are validated when read, so `0xzz` is reported as a bad number rather than as two tokens.
const TOKEN = /\s*(?:([A-Za-z_.%$][\w.$]*)|([0-9]\w*)|([[\]+\-,]))/y;
const REGISTER = /^%?r(\d+)$/i;

export function lex(text: string, fail: (msg: string) => never): Tok[] {
  const toks: Tok[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) {
      const rest = text.slice(at).trimStart();
      if (rest === "") break;
      fail(`unexpected character '${rest[0]}'`);
    }
    at = TOKEN.lastIndex;
    if (m[1] !== undefined) toks.push({ kind: "word", text: m[1] });
    else if (m[2] !== undefined) toks.push({ kind: "num", text: m[2] });
    else toks.push({ kind: "punct", text: m[3]! });
  }
  return toks;
}

export const isRegisterWord = (t: Tok | undefined): boolean =>
  t !== undefined && t.kind === "word" && (t.text.startsWith("%") || REGISTER.test(t.text));

export class Operands {
  private pos = 0;

  constructor(
    private readonly toks: readonly Tok[],
    private readonly onFail: (msg: string) => never,
  ) {}

  /** Throw the line's BpfError with this message. */
  fail(msg: string): never {
    return this.onFail(msg);
  }

  peek(ahead = 0): Tok | undefined {
    return this.toks[this.pos + ahead];
  }

  atEnd(): boolean {
    return this.pos >= this.toks.length;
  }

  /** Consume the next token if it is the keyword `word` (case-insensitive). */
  accept(word: string): boolean {
    const t = this.peek();
    if (t?.kind === "word" && t.text.toLowerCase() === word) {
      this.pos++;
      return true;
    }
    return false;
  }

  /** Consume a word from `choices` if the next token is one; return it lower-cased. */
  acceptOneOf(choices: readonly string[]): string | undefined {
    const t = this.peek();
    const w = t?.kind === "word" ? t.text.toLowerCase() : undefined;
    if (w !== undefined && choices.includes(w)) {
      this.pos++;
      return w;
    }
    return undefined;
  }

  /** Consume the next token if it is a word that is not a register (a name); return it as written. */
  acceptName(): string | undefined {
    const t = this.peek();
    if (t?.kind !== "word" || isRegisterWord(t)) return undefined;
    this.pos++;
    return t.text;
  }

  isRegister(): boolean {
    return isRegisterWord(this.peek());
  }

  /** A register r0..r10, written `%r1` (or `r1`). */
  reg(role = "register"): number {
    const t = this.expect(role);
    if (!isRegisterWord(t)) this.fail(`expected ${role}, found '${t.text}'`);
    const m = REGISTER.exec(t.text);
    const n = m ? Number(m[1]) : NaN;
    if (!(n < NUM_REGS)) this.fail(`bad register '${t.text}' (registers are %r0..%r10)`);
    this.pos++;
    return n;
  }

  /** `,` between operands; `next` names what should follow, for the missing-operand message. */
  comma(next: string): void {
    const t = this.peek();
    if (t === undefined) this.fail(`missing operand: expected ${next}`);
    if (t.kind !== "punct" || t.text !== ",") this.fail(`expected ',' before ${next}, found '${t.text}'`);
    this.pos++;
  }

  /** An integer with optional sign, checked against `range`. */
  integer(range: FieldRange, role = "immediate"): bigint {
    let sign = 1n;
    let written = "";
    const s = this.peek();
    if (s?.kind === "punct" && (s.text === "-" || s.text === "+")) {
      if (s.text === "-") sign = -1n;
      written = s.text;
      this.pos++;
    }
    const t = this.expect(role);
    if (t.kind !== "num") this.fail(`expected ${role}, found '${written}${t.text}'`);
    if (!isLiteral(t.text)) this.fail(`bad number '${written}${t.text}'`);
    this.pos++;
    const v = sign * literalValue(t.text);
    if (!inRange(v, range)) this.fail(`${role} '${written}${t.text}' does not fit in ${range.what}`);
    return v;
  }

  /** A 32-bit immediate (s32 or u32 bit pattern), as the s32 stored in `imm`. */
  imm32(role = "immediate"): number {
    return toImm32(this.integer(IMM32, role));
  }

  /** A 64-bit immediate, as the u64 it stands for. */
  imm64(role = "immediate"): bigint {
    return BigInt.asUintN(64, this.integer(IMM64, role));
  }

  /** A memory reference `[%rN]`, `[%rN+off]`, `[%rN-off]`. */
  mem(): { reg: number; off: number } {
    this.punct("[", "memory operand '[%rN+off]'");
    const reg = this.reg("base register");
    let off = 0;
    const t = this.peek();
    if (t?.kind === "punct" && (t.text === "+" || t.text === "-")) off = Number(this.integer(S16, "offset"));
    this.punct("]", "']' closing the memory operand");
    return { reg, off };
  }

  /** A jump target: `+N`, `-N`, `N` (slots after the next instruction) or a label. */
  target(range: FieldRange = S16): Target {
    const t = this.expect("jump target");
    if (t.kind === "word" && !isRegisterWord(t)) {
      this.pos++;
      return { label: t.text };
    }
    if (t.kind === "num" || t.text === "+" || t.text === "-") return { rel: Number(this.integer(range, "offset")) };
    return this.fail(`expected jump target (label or +N/-N), found '${t.text}'`);
  }

  /** Nothing may follow the last operand. */
  end(): void {
    if (!this.atEnd()) {
      const rest = this.toks.slice(this.pos).map((t) => t.text).join(" ");
      this.fail(`unexpected '${rest}' after the operands`);
    }
  }

  private punct(p: string, what: string): void {
    const t = this.expect(what);
    if (t.kind !== "punct" || t.text !== p) this.fail(`expected ${what}, found '${t.text}'`);
    this.pos++;
  }

  private expect(what: string): Tok {
    const t = this.peek();
    if (t === undefined) this.fail(`missing operand: expected ${what}`);
    return t;
  }
}

/** The error every assembly problem becomes: `line N: <what> in '<text>'`. */
export function lineError(line: number, text: string, msg: string): BpfError {
  return new BpfError(`line ${line}: ${shown(msg)} in '${shown(text)}'`, { line });
}

const SHOWN_MAX = 120;

/**
 * Source text as an error message quotes it: control bytes as \xNN (a binary file given as
 * assembly must not write them to a terminal), and at most SHOWN_MAX characters of a long line.
 */
function shown(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return clean.length <= SHOWN_MAX ? clean : `${clean.slice(0, SHOWN_MAX)}… (${clean.length - SHOWN_MAX} more characters)`;
}
