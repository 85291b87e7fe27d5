// Linking one program the way libbpf does (bpf_object__relocate / bpf_object__reloc_code):
// the entry function first; every function it reaches through a bpf-to-bpf call or a callback
// address is appended once, depth-first in the order the calls appear, and the call immediates
// are rewritten pc-relative to the new layout. Along the way each relocated instruction is
// patched:
//
//   call (src = BPF_PSEUDO_CALL), R_BPF_64_32   callee = st_value / 8 + imm + 1 in the symbol's
//                                               section (a section symbol has the offset in imm)
//   call without a relocation                   callee = i + imm + 1 in the same section
//   lddw, R_BPF_64_64 → function               BPF_PSEUDO_FUNC, imm = callee - (pc + 1);
//                                               callee = (st_value + imm) / 8 (imm in bytes)
//   lddw, R_BPF_64_64 → map definition         BPF_PSEUDO_MAP_FD, imm = map fd
//   call, R_BPF_64_32 → extern kfunc           BPF_PSEUDO_KFUNC_CALL, imm = the kfunc's id
//                                               (vm/helpers/kfunc/ids.ts), off = 0
//   lddw, R_BPF_64_64 → global data            BPF_PSEUDO_MAP_VALUE, imm = map fd,
//                                               second imm = st_value + imm (offset in the value)
//
// Anything else on an instruction (an extern, a relocation on the wrong instruction, a jump out
// of its function) is refused by name.

import { BpfError } from "../../errors.js";
import { INSN_SIZE, type Insn } from "../../isa/instruction.js";
import { CallSrc, Cls, JmpOp, Mode, Pseudo, Size } from "../../isa/opcodes.js";
import { describe, jumpTarget } from "../../isa/table.js";
import type { Btf } from "../../btf/btf.js";
import { R_BPF } from "../constants.js";
import type { ElfObject } from "../object.js";
import type { ElfRelocation } from "../relocations.js";
import { CodeIndex, type CodeFunction, type CodeSection } from "./code.js";
import type { ObjectMap } from "./maps.js";
import { kfuncTarget, relocationError, relocationTarget } from "./relocate.js";

const CALL = Cls.JMP | JmpOp.CALL;
const LDDW = Cls.LD | Mode.IMM | Size.DW;

/** Where a function of the object landed in a linked program. */
export interface PlacedFunction {
  readonly name: string;
  readonly section: string;
  readonly sectionIndex: number;
  /** Its first slot in its section. */
  readonly start: number;
  readonly length: number;
  /** Its first slot in the program. */
  readonly at: number;
}

/** One patched instruction of a linked program (program slot numbers). */
export interface ProgramRelocation {
  readonly insn: number;
  readonly kind: "call" | "func" | "map" | "map_value" | "kfunc";
  /** The callee's (a kfunc's) or the map's name. */
  readonly target: string;
  /** map_value: the offset in the value. */
  readonly offset?: number;
}

export interface LinkedProgram {
  readonly insns: Insn[];
  readonly functions: readonly PlacedFunction[];
  readonly relocations: readonly ProgramRelocation[];
}

export interface LinkContext {
  readonly elf: ElfObject;
  readonly btf: Btf | undefined;
  readonly code: CodeIndex;
  readonly maps: readonly ObjectMap[];
}

interface Frame {
  readonly fn: CodeFunction;
  readonly code: CodeSection;
  readonly at: number;
  /** Next slot of fn to process. */
  slot: number;
}

export function linkProgram(ctx: LinkContext, entry: CodeFunction): LinkedProgram {
  return new Linker(ctx).link(entry);
}

class Linker {
  private readonly out: Insn[] = [];
  private readonly placed = new Map<CodeFunction, number>();
  private readonly functions: PlacedFunction[] = [];
  private readonly relocations: ProgramRelocation[] = [];
  private readonly stack: Frame[] = [];

  constructor(private readonly ctx: LinkContext) {}

  link(entry: CodeFunction): LinkedProgram {
    this.place(entry);
    // Depth-first, like libbpf's recursive reloc_code: a callee is processed as soon as it is
    // appended, then the caller continues. Each function is placed once, so this terminates.
    while (this.stack.length > 0) {
      const frame = this.stack[this.stack.length - 1]!;
      if (frame.slot >= frame.fn.end) {
        this.stack.pop();
        continue;
      }
      frame.slot = this.step(frame, frame.slot);
    }
    return { insns: this.out, functions: this.functions, relocations: this.relocations };
  }

  private place(fn: CodeFunction): number {
    const code = this.ctx.code.get(fn.section.index);
    const at = this.out.length;
    this.placed.set(fn, at);
    for (let i = fn.start; i < fn.end; i++) this.out.push({ ...code.insns[i]! });
    this.functions.push({ name: fn.name, section: fn.section.name, sectionIndex: fn.section.index, start: fn.start, length: fn.end - fn.start, at });
    this.stack.push({ fn, code, at, slot: fn.start });
    return at;
  }

  /** Process slot `i` of the frame's function; returns the next slot. */
  private step(frame: Frame, i: number): number {
    const { fn, code, at } = frame;
    const ins = code.insns[i]!;
    const pc = at + (i - fn.start);
    const reloc = code.relocs.get(i);
    const isLddw = ins.opcode === LDDW;
    if (isLddw && i + 1 >= fn.end) {
      throw new BpfError(`insn ${i} of '${code.section.name}' is an lddw whose second slot lies outside function '${fn.name}'`, {
        offset: code.section.offset + i * INSN_SIZE,
      });
    }
    const inner = isLddw ? code.relocs.get(i + 1) : undefined;
    if (inner) throw relocationError(this.ctx.elf, inner, code.section, "it patches the second slot of an lddw, not an instruction");
    if (reloc) this.relocate(frame, i, pc, reloc);
    else if (ins.opcode === CALL && ins.src === CallSrc.LOCAL) this.linkCall(frame, i, pc, code, i + ins.imm + 1);
    else if (isLddw && ins.src === Pseudo.FUNC) this.linkCall(frame, i, pc, code, i + ins.imm + 1);
    else if (isLddw && ins.src !== Pseudo.NONE) throw unrelocatedPseudo(code, fn, ins, i);
    else this.checkJump(fn, code, ins, i);
    return isLddw ? i + 2 : i + 1;
  }

  private relocate(frame: Frame, i: number, pc: number, r: ElfRelocation): void {
    const { code } = frame;
    const ins = code.insns[i]!;
    const section = code.section;
    const fail = (reason: string): never => {
      throw relocationError(this.ctx.elf, r, section, reason);
    };
    if (r.type === R_BPF.R64_32) {
      if (ins.opcode !== CALL) return fail("R_BPF_64_32 patches calls, but this instruction is not a call");
      if (ins.src !== CallSrc.LOCAL) return fail(`a relocated call must be a bpf-to-bpf call (src ${CallSrc.LOCAL}), this one has src ${ins.src}`);
      // An extern function naming one of this runtime's kfuncs (libbpf's RELO_EXTERN_CALL).
      const kfunc = kfuncTarget(this.ctx.btf, r);
      if (kfunc !== undefined) {
        const out = this.out[pc]!;
        out.src = CallSrc.KFUNC;
        out.imm = kfunc;
        out.off = 0; // vmlinux: no module BTF fd
        this.relocations.push({ insn: pc, kind: "kfunc", target: r.symbol.name });
        return;
      }
      const target = relocationTarget(this.ctx.elf, this.ctx.btf, this.ctx.maps, r, section, 0);
      if (target.kind !== "code") return fail(`the callee '${target.map.name}' is a map, not a function`);
      if (target.byteOffset % INSN_SIZE !== 0) return fail(`the callee offset ${target.byteOffset} is not a multiple of ${INSN_SIZE}`);
      this.linkCall(frame, i, pc, this.ctx.code.get(target.section.index), target.byteOffset / INSN_SIZE + ins.imm + 1);
      return;
    }
    if (r.type !== R_BPF.R64_64) {
      return fail("only R_BPF_64_64 (lddw) and R_BPF_64_32 (call) relocations are supported in code");
    }
    if (ins.opcode !== LDDW) return fail("R_BPF_64_64 patches lddw, but this instruction is not an lddw");
    const target = relocationTarget(this.ctx.elf, this.ctx.btf, this.ctx.maps, r, section, ins.imm);
    const out = this.out[pc]!;
    const second = this.out[pc + 1]!;
    if (target.kind === "code") {
      if (target.byteOffset % INSN_SIZE !== 0) return fail(`the function address offset ${target.byteOffset} is not a multiple of ${INSN_SIZE}`);
      out.src = Pseudo.FUNC;
      this.linkCall(frame, i, pc, this.ctx.code.get(target.section.index), target.byteOffset / INSN_SIZE);
      return;
    }
    if (second.imm !== 0) return fail(`the lddw's second immediate is ${second.imm}, expected 0 before relocation`);
    if (target.kind === "map") {
      out.src = Pseudo.MAP_FD;
      out.imm = target.fd;
      this.relocations.push({ insn: pc, kind: "map", target: target.map.name });
      return;
    }
    if (target.byteOffset < 0 || target.byteOffset >= target.map.size) {
      return fail(`offset ${target.byteOffset} lies outside global data section '${target.map.name}' (${target.map.size} bytes)`);
    }
    out.src = Pseudo.MAP_VALUE;
    out.imm = target.fd;
    second.imm = target.byteOffset;
    this.relocations.push({ insn: pc, kind: "map_value", target: target.map.name, offset: target.byteOffset });
  }

  /** Point the call / function address at `pc` to slot `target` of `code`, placing its function. */
  private linkCall(frame: Frame, i: number, pc: number, code: CodeSection, target: number): void {
    const fn = code.containing(target);
    if (!fn) {
      throw new BpfError(
        `insn ${i} of '${frame.code.section.name}' (in '${frame.fn.name}') calls slot ${target} of '${code.section.name}', which is outside every function there`,
        { offset: frame.code.section.offset + i * INSN_SIZE },
      );
    }
    const base = this.placed.get(fn) ?? this.place(fn);
    const ins = this.out[pc]!;
    ins.imm = base + (target - fn.start) - pc - 1;
    this.relocations.push({ insn: pc, kind: ins.opcode === CALL ? "call" : "func", target: fn.name });
  }

  private checkJump(fn: CodeFunction, code: CodeSection, ins: Insn, slot: number): void {
    const def = describe(ins);
    const target = def && jumpTarget(ins, def, slot);
    if (target === undefined) return;
    if (target < fn.start || target >= fn.end) {
      throw new BpfError(
        `insn ${slot} of '${code.section.name}' jumps to slot ${target}, outside its function '${fn.name}' (slots ${fn.start}..${fn.end - 1})`,
        { offset: code.section.offset + slot * INSN_SIZE },
      );
    }
  }
}

/**
 * An lddw naming a map (or a BTF id) by its imm with no relocation to say which: the kernel would
 * take the imm as a file descriptor ("fd 0 is not pointing to valid bpf_map"); an object names
 * its maps through relocations, and there are no descriptors here.
 */
function unrelocatedPseudo(code: CodeSection, fn: CodeFunction, ins: Insn, i: number): BpfError {
  return new BpfError(
    `insn ${i} of '${code.section.name}' (in '${fn.name}') is an lddw of src ${ins.src} (a map or BTF reference) with no relocation: its imm ${ins.imm} would be a file descriptor, and an object names its maps through relocations`,
    { offset: code.section.offset + i * INSN_SIZE },
  );
}
