// elfFunction: one function of a relocatable object as a runnable instruction stream, with the
// bpf-to-bpf calls it makes resolved. This is what the bpf_conformance plugin's --elf mode
// needs (program in `.text`, symbol `main`) and the first half of program loading: the full
// loader (issue 5) adds program sections, maps and global data on top.
//
// Layout follows libbpf (bpf_object__relocate_calls): the entry function comes first and every
// function it reaches through `call` (src = BPF_PSEUDO_CALL) is appended after it, once; call
// immediates are then rewritten pc-relative to the new positions. A call's target, in
// section-relative instruction slots, is
//   - with an R_BPF_64_32 relocation: st_value / 8 + imm + 1 (the symbol is the callee, or the
//     section symbol with the offset folded into imm), as libbpf computes it;
//   - without one (clang resolves calls to static functions in the same section): i + imm + 1.
// `lddw` with src = BPF_PSEUDO_FUNC (a callback's address) is treated the same way.

import { BpfError } from "../errors.js";
import { CallSrc, Cls, JmpOp, Pseudo, Size, Mode } from "../isa/opcodes.js";
import { decode, INSN_SIZE, type Insn } from "../isa/instruction.js";
import { describe, jumpTarget } from "../isa/table.js";
import { hex } from "./bytes.js";
import { R_BPF, SHF, SHT, STT } from "./constants.js";
import { HEADER_FIELDS } from "./header.js";
import { relocationsFor, type ElfObject } from "./object.js";
import type { ElfRelocation } from "./relocations.js";
import { SHDR, type ElfSection } from "./sections.js";
import { SYMBOL_FIELDS, type ElfSymbol } from "./symbols.js";

const CALL = Cls.JMP | JmpOp.CALL;
const LDDW = Cls.LD | Mode.IMM | Size.DW;

/** A function's extent in its section, in instruction slots: [start, end). */
interface FunctionExtent {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The instructions of function `symbol` in `section`, followed by every function of that
 * section it calls (directly or not), with call offsets rewritten for that layout.
 *
 * `section` null means: the executable section that defines `symbol`, preferring `.text`
 * (the bpf_conformance runner writes `main` to `xdp` instead when run with --xdp_prolog).
 */
export function elfFunction(obj: ElfObject, section: string | null = ".text", symbol = "main"): Insn[] {
  const entry = findEntry(obj, section, symbol);
  const code = codeSection(obj, entry.shndx);
  const insns = decode(code.data);
  const functions = functionExtents(obj, code, insns.length);
  const relocs = relocationIndex(code, relocationsFor(obj, code.index));

  const entryFn = containing(functions, entry.value / INSN_SIZE);
  if (!entryFn || entryFn.start !== entry.value / INSN_SIZE) {
    throw new BpfError(`symbol '${symbol}' does not start a function in '${code.name}'`, {
      offset: entry.entryOffset + SYMBOL_FIELDS.VALUE,
    });
  }
  return new Layout(code, insns, functions, relocs).place(entryFn);
}

function findEntry(obj: ElfObject, section: string | null, symbol: string): ElfSymbol {
  const wanted = section === null ? undefined : obj.sectionsByName.get(section);
  if (section !== null && !wanted) {
    throw new BpfError(`the object has no section '${section}' (it has: ${sectionList(obj)})`, {
      offset: HEADER_FIELDS.E_SHOFF,
    });
  }
  const inCode = (s: ElfSymbol) =>
    s.name === symbol && (s.type === STT.FUNC || s.type === STT.NOTYPE) && s.shndx > 0 && s.shndx < obj.sections.length
    && (wanted ? s.shndx === wanted.index : (obj.sections[s.shndx]!.flags & SHF.EXECINSTR) !== 0);
  const candidates = obj.symbols.filter(inCode);
  const text = obj.sectionsByName.get(".text");
  const found = candidates.find((s) => text && s.shndx === text.index) ?? candidates[0];
  if (!found) {
    const where = wanted ? `section '${wanted.name}'` : "any executable section";
    throw new BpfError(`no function symbol '${symbol}' in ${where}`, {
      offset: wanted ? wanted.headerOffset : obj.header.shoff,
    });
  }
  return found;
}

function sectionList(obj: ElfObject): string {
  return obj.sections.slice(1).map((s) => s.name || `#${s.index}`).join(", ") || "none";
}

function codeSection(obj: ElfObject, index: number): ElfSection {
  const code = obj.sections[index]!;
  if (code.type !== SHT.PROGBITS) {
    throw new BpfError(`section ${code.index} '${code.name}' holds no code (it is not SHT_PROGBITS)`, {
      offset: code.headerOffset + SHDR.TYPE,
    });
  }
  if (code.size % INSN_SIZE !== 0) {
    throw new BpfError(
      `section '${code.name}' is ${code.size} bytes, not a whole number of ${INSN_SIZE}-byte instructions`,
      { offset: code.headerOffset + SHDR.SIZE },
    );
  }
  return code;
}

/** Every function symbol of the section; a size of 0 extends to the next function. */
function functionExtents(obj: ElfObject, code: ElfSection, slots: number): FunctionExtent[] {
  const symbols = obj.symbols.filter((s) => s.shndx === code.index && s.type === STT.FUNC);
  for (const s of symbols) {
    if (s.value % INSN_SIZE !== 0 || s.size % INSN_SIZE !== 0) {
      throw new BpfError(
        `function '${s.name}' at '${code.name}'+${hex(s.value)} (${s.size} bytes) is not aligned to ${INSN_SIZE}-byte instructions`,
        { offset: s.entryOffset + SYMBOL_FIELDS.VALUE },
      );
    }
  }
  const starts = [...new Set(symbols.map((s) => s.value / INSN_SIZE))].sort((a, b) => a - b);
  const nextStart = (start: number) => starts.find((x) => x > start) ?? slots;
  const extents = symbols.map((s) => {
    const start = s.value / INSN_SIZE;
    return { name: s.name, start, end: s.size > 0 ? start + s.size / INSN_SIZE : nextStart(start) };
  });
  // A section whose code no symbol covers (hand-written objects) still has one function: all of it.
  if (extents.length === 0) extents.push({ name: code.name, start: 0, end: slots });
  return extents.sort((a, b) => a.start - b.start || b.end - a.end);
}

function containing(functions: readonly FunctionExtent[], slot: number): FunctionExtent | undefined {
  return functions.find((f) => f.start <= slot && slot < f.end);
}

function relocationIndex(code: ElfSection, relocs: readonly ElfRelocation[]): Map<number, ElfRelocation> {
  const bySlot = new Map<number, ElfRelocation>();
  for (const r of relocs) {
    if (r.type === R_BPF.NONE) continue;
    if (r.offset % INSN_SIZE !== 0) {
      throw new BpfError(
        `${r.typeName} at '${code.name}'+${hex(r.offset)} does not point at an instruction (offset not a multiple of ${INSN_SIZE})`,
        { offset: r.entryOffset },
      );
    }
    bySlot.set(r.offset / INSN_SIZE, r);
  }
  return bySlot;
}

/** Places functions one after another and rewrites the calls between them. */
class Layout {
  private readonly out: Insn[] = [];
  private readonly placedAt = new Map<FunctionExtent, number>();
  private readonly pending: Array<{ fn: FunctionExtent; at: number }> = [];

  constructor(
    private readonly code: ElfSection,
    private readonly insns: readonly Insn[],
    private readonly functions: readonly FunctionExtent[],
    private readonly relocs: ReadonlyMap<number, ElfRelocation>,
  ) {}

  place(entry: FunctionExtent): Insn[] {
    this.append(entry);
    // Each function is appended once, so this ends after at most functions.length rounds.
    for (let next = this.pending.shift(); next; next = this.pending.shift()) this.link(next.fn, next.at);
    return this.out;
  }

  private append(fn: FunctionExtent): number {
    const at = this.out.length;
    this.placedAt.set(fn, at);
    for (let i = fn.start; i < fn.end; i++) this.out.push({ ...this.insns[i]! });
    this.pending.push({ fn, at });
    return at;
  }

  /** Resolve the calls and callback references of a placed function; check its jumps stay inside. */
  private link(fn: FunctionExtent, at: number): void {
    for (let i = fn.start; i < fn.end; i++) {
      const ins = this.insns[i]!;
      const reloc = this.relocs.get(i);
      const isCall = ins.opcode === CALL && ins.src === CallSrc.LOCAL;
      const isFuncRef = ins.opcode === LDDW && ins.src === Pseudo.FUNC;
      if (reloc) this.checkRelocation(reloc, i, isCall);
      if (isCall || isFuncRef) {
        const target = reloc ? reloc.symbol.value / INSN_SIZE + ins.imm + 1 : i + ins.imm + 1;
        this.out[at + (i - fn.start)]!.imm = this.resolve(target, i) - (at + (i - fn.start)) - 1;
      } else {
        this.checkJump(fn, ins, i);
      }
      if (ins.opcode === LDDW) i++; // the second slot of lddw is data, not an instruction
    }
  }

  private checkRelocation(reloc: ElfRelocation, slot: number, isCall: boolean): void {
    const where = `${reloc.typeName} against '${reloc.symbol.name || `symbol ${reloc.symbol.index}`}' at '${this.code.name}'+${hex(slot * INSN_SIZE)} (insn ${slot})`;
    if (reloc.type !== R_BPF.R64_32 || !isCall) {
      throw new BpfError(
        `${where} is not supported here: only bpf-to-bpf calls (R_BPF_64_32 on call) are resolved; map and global-data references need the full ELF loader`,
        { offset: reloc.entryOffset },
      );
    }
    if (reloc.symbol.shndx !== this.code.index) {
      const target = reloc.symbol.shndx === 0 ? "an undefined (extern) function" : "a function in another section";
      throw new BpfError(`${where}: the callee is ${target}; only calls within '${this.code.name}' are resolved`, {
        offset: reloc.entryOffset,
      });
    }
  }

  /** New index of section slot `target`, placing the function that holds it if needed. */
  private resolve(target: number, from: number): number {
    const fn = containing(this.functions, target);
    if (!fn) {
      throw new BpfError(
        `insn ${from} in '${this.code.name}' calls slot ${target}, which is outside every function of the section`,
        { offset: this.code.offset + from * INSN_SIZE },
      );
    }
    const base = this.placedAt.get(fn) ?? this.append(fn);
    return base + (target - fn.start);
  }

  private checkJump(fn: FunctionExtent, ins: Insn, slot: number): void {
    const def = describe(ins);
    const target = def && jumpTarget(ins, def, slot);
    if (target === undefined) return;
    if (target < fn.start || target >= fn.end) {
      throw new BpfError(
        `insn ${slot} in '${this.code.name}' jumps to slot ${target}, outside its function '${fn.name}' (slots ${fn.start}..${fn.end - 1})`,
        { offset: this.code.offset + slot * INSN_SIZE },
      );
    }
  }
}
