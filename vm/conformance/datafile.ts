// The bpf_conformance `.data` test format (corpus/conformance/README.md):
//
//   # comment
//   -- asm            program text (vm/asm syntax)
//   -- raw            program as u64 instruction words, one per line (little-endian slots)
//   -- mem            input memory: hex bytes separated by white space
//   -- result         expected r0, `0x..` or decimal
//   -- error          expected error text (instead of a result)
//   -- no register offset   a marker; its text is ignored
//   -- c              the C source the program came from
//
// The official runner (src/bpf_test_parser.cc) runs `-- raw` when a file has it; here a file
// with both must agree, so a typo in either is caught rather than silently ignored.

import { BpfError } from "../errors.js";
import { assemble } from "../asm/assembler.js";
import { disassemble } from "../asm/disassembler.js";
import { decode, encode, type Insn } from "../isa/instruction.js";

export interface ConformanceTest {
  /** The name the caller gave (usually the file name). */
  name: string;
  /** The `-- asm` text, or the disassembly of `-- raw` when the file has no `-- asm`. */
  asm: string;
  /** The program: assembled from `-- asm`, or decoded from `-- raw` when only that is present. */
  insns: Insn[];
  /** The `-- mem` bytes (empty when absent): r1 points at a copy, r2 = its length. */
  mem: Uint8Array;
  /** Expected r0 as u64, if the file has `-- result`. */
  result: bigint | undefined;
  /** Expected error text, if the file has `-- error`. */
  errorExpected?: string;
  /** The `-- raw` program bytes, if present. */
  raw?: Uint8Array;
  /** The file has a `-- no register offset` section. */
  noRegisterOffset: boolean;
  /** The `-- c` source, if present. */
  c?: string;
}

type SectionName = "asm" | "raw" | "mem" | "result" | "error" | "no register offset" | "c";
const SECTIONS: readonly SectionName[] = ["asm", "raw", "mem", "result", "error", "no register offset", "c"];

interface Section {
  /** 1-based line of the `-- name` header. */
  header: number;
  /** Lines after the header, with their 1-based file line numbers. */
  lines: { line: number; text: string }[];
}

/** Parse one `.data` file. Throws BpfError `NAME: line N: ...` on anything malformed. */
export function parseDataFile(text: string, name: string): ConformanceTest {
  const fail = (line: number | undefined, msg: string): never => {
    throw new BpfError(line === undefined ? `${name}: ${msg}` : `${name}: line ${line}: ${msg}`, { line });
  };
  const sections = splitSections(text, fail);
  const body = (s: SectionName) => sections.get(s)?.lines ?? [];
  const values = (s: SectionName) => body(s).filter((l) => !isComment(l.text));

  const asmSection = sections.get("asm");
  const asmLines = asmSection ? trimBlank(body("asm")) : [];
  const asm = asmLines.map((l) => l.text).join("\n");
  const raw = sections.has("raw") ? parseRaw(values("raw"), fail) : undefined;

  let insns: Insn[];
  if (asmSection) {
    insns = assembleSection(asm, asmLines[0]?.line ?? asmSection.header + 1, name);
    if (raw) checkRawAgrees(insns, raw, sections.get("raw")!.header, fail);
  } else if (raw) {
    insns = decode(raw);
  } else {
    return fail(undefined, "no '-- asm' or '-- raw' section");
  }
  if (insns.length === 0) fail(asmSection?.header ?? sections.get("raw")!.header, "the program is empty");

  const result = sections.has("result") ? parseResult(values("result"), sections.get("result")!.header, fail) : undefined;
  // An empty `-- error` section expects no error (bpf_test_parser.cc only checks non-empty text).
  const error = trimBlank(body("error")).map((l) => l.text.trim()).join("\n") || undefined;
  if (result === undefined && error === undefined) fail(undefined, "no '-- result' or '-- error' section");

  const test: ConformanceTest = {
    name,
    asm: asmSection ? asm : disassemble(insns),
    insns,
    mem: parseMem(values("mem"), fail),
    result,
    noRegisterOffset: sections.has("no register offset"),
  };
  if (error !== undefined) test.errorExpected = error;
  if (raw) test.raw = raw;
  if (sections.has("c")) test.c = trimBlank(body("c")).map((l) => l.text).join("\n");
  return test;
}

const isComment = (text: string): boolean => text.trim() === "" || text.trimStart().startsWith("#");

function trimBlank<T extends { text: string }>(lines: T[]): T[] {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a]!.text.trim() === "") a++;
  while (b > a && lines[b - 1]!.text.trim() === "") b--;
  return lines.slice(a, b);
}

function splitSections(text: string, fail: (line: number | undefined, msg: string) => never): Map<SectionName, Section> {
  const sections = new Map<SectionName, Section>();
  let current: Section | undefined;
  text.split(/\r?\n/).forEach((t, i) => {
    const line = i + 1;
    const header = /^--\s+(\S.*?)\s*$/.exec(t);
    if (header) {
      const s = header[1]!.toLowerCase() as SectionName;
      if (!SECTIONS.includes(s)) fail(line, `unknown section '${t.trim()}' (known: ${SECTIONS.map((n) => `-- ${n}`).join(", ")})`);
      if (sections.has(s)) fail(line, `section '-- ${s}' appears twice (first at line ${sections.get(s)!.header})`);
      current = { header: line, lines: [] };
      sections.set(s, current);
    } else if (current) {
      current.lines.push({ line, text: t });
    } else if (!isComment(t)) {
      fail(line, `text before the first section: '${t.trim()}'`);
    }
  });
  return sections;
}

function assembleSection(asm: string, firstLine: number, name: string): Insn[] {
  try {
    return assemble(asm, { firstLine });
  } catch (e) {
    if (e instanceof BpfError) throw new BpfError(`${name}: ${e.message}`, e.where);
    throw e;
  }
}

type Fail = (line: number | undefined, msg: string) => never;
type Line = { line: number; text: string };

/** Each line: one u64 slot (`0x5566778800000018` = opcode 0x18 in the low byte, LE). */
function parseRaw(lines: Line[], fail: Fail): Uint8Array {
  const words = lines.flatMap((l) => stripTrailingComment(l.text).split(/\s+/).filter(Boolean).map((w) => ({ ...l, w })));
  const bytes = new Uint8Array(words.length * 8);
  const view = new DataView(bytes.buffer);
  words.forEach(({ line, w }, i) => {
    const v = parseUnsigned(w);
    if (v === undefined || v >= 1n << 64n) fail(line, `bad raw instruction word '${w}' (expected a u64, e.g. 0x0000000000000095)`);
    view.setBigUint64(i * 8, v, true);
  });
  return bytes;
}

function checkRawAgrees(insns: Insn[], raw: Uint8Array, header: number, fail: Fail): void {
  const asm = encode(insns);
  if (asm.length !== raw.length) {
    fail(header, `'-- raw' has ${raw.length / 8} slots but '-- asm' assembles to ${asm.length / 8}`);
  }
  for (let i = 0; i < asm.length; i++) {
    if (asm[i] !== raw[i]) fail(header, `'-- raw' differs from the assembled '-- asm' at slot ${Math.floor(i / 8)}`);
  }
}

/** Hex bytes (`00 01 ff`), any number per line. */
function parseMem(lines: Line[], fail: Fail): Uint8Array {
  const out: number[] = [];
  for (const { line, text } of lines) {
    for (const tok of stripTrailingComment(text).split(/\s+/).filter(Boolean)) {
      if (!/^(0x)?[0-9a-f]{1,2}$/i.test(tok)) fail(line, `bad memory byte '${tok}' (expected two hex digits, e.g. 'ff')`);
      out.push(parseInt(tok.replace(/^0x/i, ""), 16));
    }
  }
  return Uint8Array.from(out);
}

/** One value, `0x..` hex or decimal (negative decimals wrap to u64, as the runner compares u64). */
function parseResult(lines: Line[], header: number, fail: Fail): bigint {
  const toks = lines.flatMap((l) => stripTrailingComment(l.text).split(/\s+/).filter(Boolean).map((w) => ({ ...l, w })));
  if (toks.length !== 1) {
    fail(toks[1]?.line ?? header, toks.length === 0 ? "'-- result' is empty" : `'-- result' has more than one value ('${toks[1]!.w}')`);
  }
  const { line, w } = toks[0]!;
  const neg = w.startsWith("-");
  const v = parseUnsigned(neg ? w.slice(1) : w);
  if (v === undefined || v >= 1n << 64n || (neg && v > 1n << 63n)) fail(line, `bad result '${w}' (expected 0x.. hex or a decimal u64)`);
  return BigInt.asUintN(64, neg ? -v : v);
}

function parseUnsigned(w: string): bigint | undefined {
  return /^(0x[0-9a-f]+|[0-9]+)$/i.test(w) ? BigInt(w.toLowerCase()) : undefined;
}

function stripTrailingComment(text: string): string {
  const at = text.indexOf("#");
  return at < 0 ? text : text.slice(0, at);
}
