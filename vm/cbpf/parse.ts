// Text forms of classic programs, as tcpdump prints them:
//
//   tcpdump -dd   a C array:        { 0x28, 0, 0, 0x0000000c },
//   tcpdump -ddd  decimal:          a count line, then "code jt jf k" per line
//                 (also as one line with commas, the form iptables' xt_bpf and nfbpf_compile
//                  use: "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0")
//
// Errors name the line (1-based) and say what was expected.

import { BpfError } from "../errors.js";
import { sockFilter, type SockFilter } from "./filter.js";

const NUMBER = String.raw`(0[xX][0-9a-fA-F]+|\d+)`;
const DD_ENTRY = new RegExp(String.raw`\{\s*${NUMBER}\s*,\s*${NUMBER}\s*,\s*${NUMBER}\s*,\s*${NUMBER}\s*\}`, "g");

function toField(text: string, name: string, max: number, line: number): number {
  const v = Number(text); // decimal or 0x…
  if (!Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new BpfError(`classic BPF text line ${line}: ${name} ${text} is out of range (0..${max})`, { line });
  }
  return v;
}

function entry(parts: string[], line: number): SockFilter {
  const [code, jt, jf, k] = parts as [string, string, string, string];
  return sockFilter(toField(code, "code", 0xffff, line), toField(jt, "jt", 0xff, line), toField(jf, "jf", 0xff, line), toField(k, "k", 0xffffffff, line));
}

/** A program read from text, with the 1-based source line of each instruction (for errors). */
export interface ClassicText {
  filter: SockFilter[];
  lines: number[];
}

function readDd(text: string): ClassicText {
  const filter: SockFilter[] = [];
  const lines: number[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\/\*.*?\*\/|\/\/.*$/g, "");
    for (const m of line.matchAll(DD_ENTRY)) {
      filter.push(entry([m[1]!, m[2]!, m[3]!, m[4]!], i + 1));
      lines.push(i + 1);
    }
    // A brace followed by a number that no whole group matched is a malformed entry.
    if (/\{\s*\d/.test(line.replace(DD_ENTRY, ""))) {
      throw new BpfError(`classic BPF text line ${i + 1}: expected '{ code, jt, jf, k }', got '${raw.trim()}'`, { line: i + 1 });
    }
  });
  if (filter.length === 0) throw new BpfError("classic BPF text: no '{ code, jt, jf, k }' entries found (expected tcpdump -dd output)");
  return { filter, lines };
}

/** Parse `tcpdump -dd` output: every `{ code, jt, jf, k }` group, in order. Other text is ignored
 * only outside groups (a surrounding `struct sock_filter f[] = { … };` is fine). */
export function parseTcpdumpDd(text: string): SockFilter[] {
  return readDd(text).filter;
}

function readDdd(text: string): ClassicText {
  // Items are lines, or comma-separated items of a line (the one-line form); each keeps its line.
  const items = text.split("\n").flatMap((l, i) =>
    l
      .split(",")
      .map((t) => ({ text: t.trim(), line: i + 1 }))
      .filter((t) => t.text.length > 0 && !t.text.startsWith("#")),
  );
  if (items.length === 0) throw new BpfError("classic BPF text: empty (expected tcpdump -ddd output: a count, then 'code jt jf k' lines)");
  const head = items[0]!;
  if (!/^\d+$/.test(head.text)) {
    throw new BpfError(`classic BPF text line ${head.line}: expected the instruction count, got '${head.text}'`, { line: head.line });
  }
  const count = Number(head.text);
  const body = items.slice(1);
  if (body.length !== count) {
    const at = body.length > count ? ` (the first extra one is on line ${body[count]!.line})` : "";
    throw new BpfError(`classic BPF text line ${head.line}: the count line says ${count} instructions, ${body.length} follow${at}`, { line: head.line });
  }
  const filter = body.map(({ text: t, line }) => {
    const parts = t.split(/\s+/);
    if (parts.length !== 4 || parts.some((p) => !/^(0[xX][0-9a-fA-F]+|\d+)$/.test(p))) {
      throw new BpfError(`classic BPF text line ${line}: expected 'code jt jf k' (four numbers), got '${t}'`, { line });
    }
    return entry(parts, line);
  });
  return { filter, lines: body.map((b) => b.line) };
}

/** Parse `tcpdump -ddd` output (or its comma-separated one-line form). */
export function parseTcpdumpDdd(text: string): SockFilter[] {
  return readDdd(text).filter;
}

/** Either text form (told apart by the braces of -dd), with each instruction's source line. */
export function readClassicText(text: string): ClassicText {
  return text.includes("{") ? readDd(text) : readDdd(text);
}

/** Either text form, told apart by the braces of -dd. */
export function parseClassicText(text: string): SockFilter[] {
  return readClassicText(text).filter;
}

/**
 * Run `use` on a program read from text; a BpfError that names an instruction (the checker's,
 * the translator's) is re-thrown naming the text line that instruction came from.
 */
export function atTextLines<T>(text: ClassicText, use: (filter: SockFilter[]) => T): T {
  try {
    return use(text.filter);
  } catch (e) {
    const insn = e instanceof BpfError ? e.where.insn : undefined;
    const line = insn === undefined ? undefined : text.lines[insn];
    if (line === undefined) throw e;
    throw new BpfError(`classic BPF text line ${line}: ${(e as BpfError).message}`, { ...(e as BpfError).where, line });
  }
}

/** The `tcpdump -ddd` text of a program (what parseTcpdumpDdd reads back). */
export function formatTcpdumpDdd(filter: readonly SockFilter[]): string {
  return [String(filter.length), ...filter.map((f) => `${f.code} ${f.jt} ${f.jf} ${f.k >>> 0}`)].join("\n") + "\n";
}
