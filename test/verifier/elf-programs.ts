// corpus/programs as the verifier sees them.
//
// loadCorpusPrograms(): loaded by vm/elf/load (issue 5's object loader: programs linked as libbpf
// links them, maps in fd order with their sizes from BTF) — what the verifier tests use.
//
// loadElfPrograms(): the verifier tests' earlier stop-gap linker (each program section function
// linked the way libbpf links it: the entry function, then all of .text when it calls into
// .text; call immediates rewritten; map references turned into `lddw rX, map_fd N`, map sizes
// from the table below). Kept only because test/loader/loader.test.ts checks vm/elf/load
// against it, instruction by instruction.

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseElf, relocationsFor, R_BPF, STT, type ElfObject } from "../../vm/elf/index.js";
import { loadObject, verifierMaps } from "../../vm/elf/load/index.js";
import { decode, type Insn } from "../../vm/isa/instruction.js";
import { Pseudo } from "../../vm/isa/opcodes.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import type { CorpusMap } from "./corpus.js";

const DIR = fileURLToPath(new URL("../../corpus/programs/", import.meta.url));

const m = (name: string, type: number, keySize: number, valueSize: number, maxEntries: number): CorpusMap =>
  ({ name, type, keySize, valueSize, maxEntries, flags: 0 });

/** Maps of each object (from the C sources: key/value types and max_entries). */
const MAPS: Record<string, CorpusMap[]> = {
  calls_loop: [m("verdicts", 2, 4, 8, 2)],
  ipv6_parser: [m("l4_count", 2, 4, 8, 256)],
  l4_lb: [m("backends", 2, 4, 12, 16), m("backend_count", 2, 4, 4, 1)],
  proto_counter: [m("proto_count", 6, 4, 8, 257)],
  ringbuf_logger: [m("events", 27, 0, 0, 256 * 1024), m("ring_full", 2, 4, 8, 1)],
  syn_limiter: [m("syn_count", 9, 4, 8, 65536)],
  tail_calls: [m("stage_hits", 2, 4, 8, 4), m("l4_proto", 6, 4, 4, 1), m("jmp_table", 3, 4, 4, 4)],
  xdp_firewall: [m("allow", 1, 12, 4, 65536)],
  socket_ldabs: [],
  tc_classifier: [],
  xdp_parser: [],
};

const SECTION_TYPES: Record<string, ProgramTypeName> = { xdp: "xdp", tc: "sched_cls", socket: "socket_filter" };

export interface ElfProgram {
  readonly name: string; // object:function
  readonly type: ProgramTypeName;
  readonly maps: readonly CorpusMap[];
  readonly insns: readonly Insn[];
}

/** Every program of corpus/programs whose type we run, loaded by vm/elf/load. */
export function loadCorpusPrograms(): ElfProgram[] {
  return readdirSync(DIR).filter((f) => f.endsWith(".o")).sort().flatMap((file) => {
    const obj = loadObject(readFileSync(`${DIR}${file}`));
    const maps = verifierMaps(obj).map((m) => ({ ...m, flags: m.flags ?? 0 }));
    return obj.programs.flatMap((p) => {
      if (p.error) throw new Error(`${file}: ${p.name}: ${p.error.message}`);
      return p.type ? [{ name: `${file.slice(0, -2)}:${p.name}`, type: p.type, maps, insns: p.insns }] : [];
    });
  });
}

export function loadElfPrograms(): ElfProgram[] {
  return Object.keys(MAPS).sort().flatMap((file) => programsOf(file, parseElf(readFileSync(`${DIR}${file}.o`))));
}

function programsOf(file: string, obj: ElfObject): ElfProgram[] {
  const maps = MAPS[file]!;
  return obj.symbols
    .filter((s) => s.type === STT.FUNC && SECTION_TYPES[obj.sections[s.shndx]?.name ?? ""] !== undefined)
    .map((s) => ({
      name: `${file}:${s.name}`,
      type: SECTION_TYPES[obj.sections[s.shndx]!.name]!,
      maps,
      insns: link(obj, s.shndx, s.value / 8, (s.value + s.size) / 8, maps),
    }));
}

/** Entry function [start, end) of section `shndx`, plus .text when it is called. */
function link(obj: ElfObject, shndx: number, start: number, end: number, maps: readonly CorpusMap[]): Insn[] {
  const code = obj.sections[shndx]!;
  const insns = decode(code.data).slice(start, end).map((i) => ({ ...i }));
  const text = obj.sectionsByName.get(".text");
  const textBase = insns.length;
  const fix = (secIndex: number, base: number, from: number, to: number): void => {
    for (const r of relocationsFor(obj, secIndex)) {
      const slot = r.offset / 8 - from;
      if (slot < 0 || r.offset / 8 >= to) continue;
      const ins = insns[base + slot]!;
      const symSection = obj.sections[r.symbol.shndx]?.name;
      if (r.type === R_BPF.R64_64 && symSection === ".maps") {
        const index = maps.findIndex((mp) => mp.name === r.symbol.name);
        if (index < 0) throw new Error(`no map spec for ${r.symbol.name}`);
        ins.src = Pseudo.MAP_FD;
        ins.imm = index;
      } else if (r.type === R_BPF.R64_32 && symSection === ".text") {
        // call into .text: target slot within .text, then pc-relative in the linked program
        const target = textBase + r.symbol.value / 8 + ins.imm + 1;
        ins.imm = target - (base + slot + 1);
      }
    }
  };
  const callsText = relocationsFor(obj, shndx).some((r) => r.offset / 8 >= start && r.offset / 8 < end && obj.sections[r.symbol.shndx]?.name === ".text");
  if (text && callsText) insns.push(...decode(text.data).map((i) => ({ ...i })));
  fix(shndx, 0, start, end);
  if (text && callsText) fix(text.index, textBase, 0, text.size / 8);
  return insns;
}
