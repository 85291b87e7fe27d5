// Mutation fuzz of the ELF reader: random byte flips, truncations, and writes of boundary values
// into header, section-header, symbol and relocation fields of real objects (test/elf/fixtures,
// corpus/programs) and synthetic ones. The
// only acceptable outcomes are a parsed object or a BpfError naming a byte offset inside the
// input; anything else (a TypeError, RangeError, hang) fails with the seed and the mutations to
// replay it.
//
// Normal suite: 3,000 inputs. Long mode (EBPF_WASM_LONG=1): 100,000. EBPF_WASM_FUZZ_SEED picks
// another seed.
import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { elfFunction, parseElf, SHF, SHT, R_BPF, type ElfObject } from "../../vm/elf/index.js";
import { encode, insn } from "../../vm/isa/instruction.js";
import { buildElf, conformanceStyleObject, relEntries, symbolTable } from "./elf-builder.js";
import { corpusObjects, FIXTURES, fixture } from "./fixtures.js";

const LONG = process.env.EBPF_WASM_LONG === "1";
const INPUTS = LONG ? 100_000 : 3_000;
const SEED = Number(process.env.EBPF_WASM_FUZZ_SEED ?? 0x5eed_e1f);

/** mulberry32: small, fast, seedable; failures replay exactly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Byte offsets of structured fields worth hitting: header, section headers, entries. */
  readonly fields: ReadonlyArray<{ at: number; width: 1 | 2 | 4 | 8 }>;
}

function seeds(): Seed[] {
  const code = encode([insn(0xb7, 0, 0, 0, 1), insn(0x85, 0, 1, 0, -1), insn(0x85, 0, 1, 0, 0), insn(0x95)]);
  const { symtab, strtab } = symbolTable([
    { name: "main", shndx: 1, value: 0, size: 24 },
    { name: "g", shndx: 1, value: 24, size: 8 },
  ]);
  const synthetic = buildElf([
    { name: ".text", type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, data: code },
    { name: ".rel.text", type: SHT.REL, link: 3, info: 1, entsize: 16,
      data: relEntries([{ offset: 8, symbol: 2, type: R_BPF.R64_32 }]) },
    { name: ".symtab", type: SHT.SYMTAB, link: 4, info: 1, entsize: 24, data: symtab },
    { name: ".strtab", type: SHT.STRTAB, data: strtab },
  ]).bytes;
  const conformance = conformanceStyleObject(encode([insn(0x85, 0, 1, 0, 1), insn(0x95), insn(0xb7, 0, 0, 0, 9), insn(0x95)]));
  const all: Array<[string, Uint8Array]> = [
    ...FIXTURES.map((f) => [f, fixture(f)] as [string, Uint8Array]),
    ["synthetic", synthetic],
    ["conformance-style", conformance],
    ...corpusObjects(),
  ];
  return all.map(([name, bytes]) => ({ name, bytes, fields: fieldsOf(parseElf(bytes)) }));
}

function fieldsOf(obj: ElfObject): Seed["fields"] {
  const fields: Array<{ at: number; width: 1 | 2 | 4 | 8 }> = [
    { at: 4, width: 1 }, { at: 5, width: 1 }, { at: 16, width: 2 }, { at: 18, width: 2 },
    { at: 40, width: 8 }, { at: 58, width: 2 }, { at: 60, width: 2 }, { at: 62, width: 2 },
  ];
  for (const s of obj.sections) {
    const h = s.headerOffset;
    fields.push({ at: h, width: 4 }, { at: h + 4, width: 4 }, { at: h + 24, width: 8 }, { at: h + 32, width: 8 },
      { at: h + 40, width: 4 }, { at: h + 44, width: 4 }, { at: h + 56, width: 8 });
  }
  for (const sym of obj.symbols) {
    const e = sym.entryOffset;
    fields.push({ at: e, width: 4 }, { at: e + 4, width: 1 }, { at: e + 6, width: 2 }, { at: e + 8, width: 8 },
      { at: e + 16, width: 8 });
  }
  for (const r of obj.relocations.flatMap((s) => s.entries)) {
    fields.push({ at: r.entryOffset, width: 8 }, { at: r.entryOffset + 8, width: 4 }, { at: r.entryOffset + 12, width: 4 });
  }
  return fields;
}

type Mutation = string;

function mutate(seed: Seed, random: () => number): { bytes: Uint8Array; log: Mutation[] } {
  let bytes = seed.bytes.slice();
  const log: Mutation[] = [];
  const int = (n: number) => Math.floor(random() * n);
  const interesting = (len: number): bigint => {
    const pick = [0n, 1n, 2n, 7n, 8n, 16n, 24n, 63n, 64n, 0x7fn, 0xffn, 0xffffn, 0xff00n, 0xfff1n, 0xffffffffn,
      1n << 63n, (1n << 64n) - 1n, BigInt(len), BigInt(len) - 1n, BigInt(len) + 1n, BigInt(int(len + 64))];
    return pick[int(pick.length)]!;
  };
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    const len = bytes.length;
    const kind = int(6);
    if (kind === 0 && len > 0) {
      const at = int(len);
      const v = int(256);
      bytes[at] = v;
      log.push(`byte[${at}]=${v}`);
    } else if (kind === 1 && len > 0) {
      const at = int(len);
      const bit = int(8);
      bytes[at]! ^= 1 << bit;
      log.push(`bit[${at}]^=${bit}`);
    } else if (kind === 2) {
      const to = int(len + 1);
      bytes = bytes.slice(0, to);
      log.push(`truncate(${to})`);
    } else if (kind === 3) {
      const extra = Uint8Array.from({ length: 1 + int(64) }, () => int(256));
      const grown = new Uint8Array(len + extra.length);
      grown.set(bytes);
      grown.set(extra, len);
      bytes = grown;
      log.push(`append(${extra.length})`);
    } else {
      const field = seed.fields[int(seed.fields.length)]!;
      if (field.at + field.width > len) continue;
      const value = interesting(len) & ((1n << BigInt(field.width * 8)) - 1n);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (field.width === 1) view.setUint8(field.at, Number(value));
      else if (field.width === 2) view.setUint16(field.at, Number(value), true);
      else if (field.width === 4) view.setUint32(field.at, Number(value), true);
      else view.setBigUint64(field.at, value, true);
      log.push(`field[${field.at}:${field.width}]=${value}`);
    }
  }
  return { bytes, log };
}

/** Parse and extract as the plugin and the loader would; report anything but success or a BpfError. */
function exercise(bytes: Uint8Array): { ok: boolean; problem?: string } {
  try {
    const obj = parseElf(bytes);
    for (const [section, symbol] of [[".text", "main"], [null, "main"], ["xdp", "count_packets"]] as const) {
      try {
        elfFunction(obj, section, symbol);
      } catch (e) {
        const problem = judge(e, bytes.length);
        if (problem) return { ok: false, problem: `elfFunction(${section}, ${symbol}): ${problem}` };
      }
    }
    return { ok: true };
  } catch (e) {
    const problem = judge(e, bytes.length);
    return problem ? { ok: false, problem: `parseElf: ${problem}` } : { ok: false };
  }
}

function judge(e: unknown, length: number): string | undefined {
  if (!(e instanceof BpfError)) return `threw ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`;
  const offset = e.where.offset;
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || offset > length) {
    return `BpfError without a byte offset inside the input (offset ${offset}): ${e.message}`;
  }
  return undefined;
}

describe(`ELF reader mutation fuzz (${INPUTS} inputs, seed ${SEED}${LONG ? ", long mode" : ""})`, () => {
  it("only ever parses or throws a BpfError with a byte offset", () => {
    const random = rng(SEED);
    const bases = seeds();
    const failures: string[] = [];
    let parsed = 0;
    for (let i = 0; i < INPUTS && failures.length < 5; i++) {
      const seed = bases[i % bases.length]!;
      const { bytes, log } = mutate(seed, random);
      const result = exercise(bytes);
      if (result.ok) parsed++;
      if (result.problem) failures.push(`input ${i} (${seed.name}; ${log.join(", ")}): ${result.problem}`);
    }
    expect(failures, failures.join("\n")).toEqual([]);
    // The fuzz must reach past the header checks: some mutants still parse.
    expect(parsed).toBeGreaterThan(INPUTS / 20);
  }, LONG ? 900_000 : 60_000);
});
