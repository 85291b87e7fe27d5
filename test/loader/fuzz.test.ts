// Mutation fuzz of the object loader (ELF → BTF → maps → programs → verifier) over the corpus
// objects and the loader's fixtures: byte flips, truncations, and boundary values written into
// the fields the loader reads — ELF headers, symbols and relocations, the .BTF header and type
// words, .BTF.ext records, map definitions, and the instructions relocations patch. The only
// acceptable outcomes are a loaded object (whose programs then verify or are rejected) or a
// BpfError with a byte offset inside the input; anything else fails with the seed and the
// mutations to replay it.
//
// Normal suite: 3,000 inputs. Long mode (EBPF_WASM_LONG=1): 100,000. EBPF_WASM_FUZZ_SEED picks
// another seed.

import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { formatInsn } from "../../vm/asm/disassembler.js";
import { loadObject, verifyObjectProgram } from "../../vm/elf/load/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { CORPUS_NAMES, FIXTURE_NAMES, corpus, fixture } from "./objects.js";

const LONG = process.env.EBPF_WASM_LONG === "1";
const INPUTS = LONG ? 100_000 : 3_000;
const SEED = Number(process.env.EBPF_WASM_FUZZ_SEED ?? 0x10ad_e1f);
/** Verify loaded programs in at most this many inputs (the verifier has its own fuzzing). */
const VERIFY_EVERY = LONG ? 50 : 10;

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

interface Field { readonly at: number; readonly width: 1 | 2 | 4 | 8 }
interface Seed { readonly name: string; readonly bytes: Uint8Array; readonly fields: readonly Field[] }

function fieldsOf(bytes: Uint8Array): Field[] {
  const obj = loadObject(bytes);
  const elf = obj.elf;
  const f: Field[] = [{ at: 40, width: 8 }, { at: 60, width: 2 }, { at: 62, width: 2 }];
  for (const s of elf.sections) {
    const h = s.headerOffset;
    f.push({ at: h + 4, width: 4 }, { at: h + 8, width: 8 }, { at: h + 24, width: 8 }, { at: h + 32, width: 8 }, { at: h + 40, width: 4 }, { at: h + 44, width: 4 });
  }
  for (const sym of elf.symbols) f.push({ at: sym.entryOffset + 4, width: 1 }, { at: sym.entryOffset + 6, width: 2 }, { at: sym.entryOffset + 8, width: 8 }, { at: sym.entryOffset + 16, width: 8 });
  for (const r of elf.relocations.flatMap((x) => x.entries)) f.push({ at: r.entryOffset, width: 8 }, { at: r.entryOffset + 8, width: 4 }, { at: r.entryOffset + 12, width: 4 });
  // Every word of .BTF's header and types and of .BTF.ext; every word of the map sections.
  for (const name of [".BTF", ".BTF.ext", "maps", ".maps", "license"]) {
    const s = elf.sectionsByName.get(name);
    if (!s) continue;
    const end = name === ".BTF" && obj.btf ? Math.min(s.size, obj.btf.header.hdrLen + obj.btf.header.typeOff + obj.btf.header.typeLen) : s.size;
    for (let at = 0; at + 4 <= end; at += 4) f.push({ at: s.offset + at, width: 4 });
  }
  // Instructions that relocations patch, and every call and lddw.
  for (const s of elf.sections.filter((x) => (x.flags & 4) !== 0 && x.type === 1)) {
    for (let at = 0; at + 8 <= s.size; at += 8) {
      const op = s.data[at]!;
      if (op === 0x85 || op === 0x18 || op === 0x05 || (op & 7) === 5) f.push({ at: s.offset + at, width: 1 }, { at: s.offset + at + 1, width: 1 }, { at: s.offset + at + 4, width: 4 }, { at: s.offset + at + 2, width: 2 });
    }
  }
  return f.filter((x) => x.at + x.width <= bytes.length);
}

const BOUNDARY = [0n, 1n, 2n, 3n, 4n, 7n, 8n, 12n, 16n, 24n, 0x7fn, 0x80n, 0xffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xffffffffffffffffn];

function mutate(seed: Seed, rand: () => number): { bytes: Uint8Array; what: string[] } {
  let bytes = seed.bytes.slice();
  const what: string[] = [];
  const n = 1 + Math.floor(rand() * 3);
  for (let k = 0; k < n; k++) {
    const r = rand();
    if (r < 0.55 && seed.fields.length > 0) {
      const field = seed.fields[Math.floor(rand() * seed.fields.length)]!;
      if (field.at + field.width > bytes.length) continue; // truncated by an earlier mutation
      const pick = rand();
      let v: bigint;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const cur = field.width === 8 ? view.getBigUint64(field.at, true) : BigInt(field.width === 4 ? view.getUint32(field.at, true) : field.width === 2 ? view.getUint16(field.at, true) : bytes[field.at]!);
      if (pick < 0.5) v = BOUNDARY[Math.floor(rand() * BOUNDARY.length)]!;
      else if (pick < 0.8) v = cur + BigInt(Math.floor(rand() * 33) - 16);
      else v = BigInt(Math.floor(rand() * 2 ** 32));
      const mask = (1n << BigInt(8 * field.width)) - 1n;
      v &= mask;
      if (field.width === 8) view.setBigUint64(field.at, v, true);
      else if (field.width === 4) view.setUint32(field.at, Number(v), true);
      else if (field.width === 2) view.setUint16(field.at, Number(v), true);
      else bytes[field.at] = Number(v);
      what.push(`@${field.at}/${field.width}=${v}`);
    } else if (r < 0.9) {
      const at = Math.floor(rand() * bytes.length);
      const bit = Math.floor(rand() * 8);
      bytes[at] ^= 1 << bit;
      what.push(`flip ${at}.${bit}`);
    } else {
      const len = Math.floor(rand() * bytes.length);
      bytes = bytes.slice(0, len);
      what.push(`truncate ${len}`);
    }
  }
  return { bytes, what };
}

describe(`loader mutation fuzz (${INPUTS} inputs, seed ${SEED})`, () => {
  it("loads or refuses with a BpfError, never anything else", () => {
    const seeds: Seed[] = [
      ...CORPUS_NAMES.map((n) => ({ name: n, bytes: corpus(n) })),
      ...FIXTURE_NAMES.map((n) => ({ name: n, bytes: fixture(n) })),
    ].map((s) => ({ ...s, fields: fieldsOf(s.bytes) }));
    const helpers = nodeHelperTables();
    const rand = rng(SEED);
    const outcomes = { loaded: 0, refused: 0, programErrors: 0, verified: 0, rejected: 0 };
    const t0 = performance.now();
    for (let i = 0; i < INPUTS; i++) {
      const seed = seeds[i % seeds.length]!;
      const { bytes, what } = mutate(seed, rand);
      const replay = `input ${i} (seed ${SEED}) from ${seed.name}: ${what.join(", ")}`;
      try {
        const obj = loadObject(bytes);
        outcomes.loaded++;
        for (const p of obj.programs) {
          if (p.error) {
            outcomes.programErrors++;
            expect(p.error.where.offset === undefined || (p.error.where.offset >= 0 && p.error.where.offset <= bytes.length), replay).toBe(true);
            continue;
          }
          for (let k = 0; k < p.insns.length; k++) formatInsn(p.insns, k);
          if (i % VERIFY_EVERY === 0 && p.type) {
            const v = verifyObjectProgram(obj, p, { helpers: helpers, maxInsns: 20_000 });
            if (v.status === "accepted") outcomes.verified++;
            else outcomes.rejected++;
          }
        }
      } catch (err) {
        if (!(err instanceof BpfError)) throw new Error(`${replay}: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
        const off = err.where.offset;
        if (off !== undefined && !(off >= 0 && off <= bytes.length)) throw new Error(`${replay}: offset ${off} outside the ${bytes.length}-byte input: ${err.message}`);
        outcomes.refused++;
      }
    }
    const ms = performance.now() - t0;
    console.log(`loader fuzz: ${INPUTS} inputs in ${ms.toFixed(0)} ms: ${JSON.stringify(outcomes)}`);
    expect(outcomes.loaded + outcomes.refused).toBe(INPUTS);
    expect(outcomes.refused).toBeGreaterThan(INPUTS / 10);
    expect(outcomes.loaded).toBeGreaterThan(INPUTS / 10);
  }, LONG ? 3_600_000 : 120_000);
});
