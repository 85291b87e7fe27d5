// The written form of each kind of instruction, defined once for both directions: `parse` reads
// the operands after the mnemonic into slots, `format` prints a slot back, and `uses` lists the
// fields the operands carry. A field that is neither used nor the form's refining field must be
// zero (the kernel rejects "reserved fields" that are not); the disassembler checks that before
// printing an instruction in this syntax, so whatever it prints assembles to the same bytes.
//
// The syntax is uBPF's, as bpf_conformance's assembler reads it (src/bpf_assembler.cc), extended
// to every instruction of the ISA table (see docs in vm/asm/README.md).

import { CallSrc, Pseudo } from "../isa/opcodes.js";
import type { Insn } from "../isa/instruction.js";
import type { OpDef, OpKind } from "../isa/table.js";
import { formsOf, slotOf, type Form } from "./forms.js";
import { S16, S32, formatImm, formatImm64, formatMem, toImm32 } from "./numbers.js";
import type { Operands, Target } from "./operands.js";
import { KFUNC_IDS, kfuncId, kfuncName } from "../helpers/kfunc/ids.js";

export type Field = "dst" | "src" | "off" | "imm";

/** One parsed instruction: its slots, and the label its target field waits for (if any). */
export interface Parsed {
  slots: Insn[];
  fixup?: { label: string; field: "off" | "imm" };
}

/** How a pc-relative target is printed: `+N`/`-N`, or a label name when the caller has one. */
export type TargetPrinter = (rel: number) => string;

interface Syntax {
  uses(def: OpDef): readonly Field[];
  parse(ops: Operands, forms: readonly Form[], mnemonic: string): Parsed;
  format(ins: Insn, def: OpDef, target: TargetPrinter, next?: Insn): string;
}

const reg = (r: number): string => `%r${r}`;

function pick(ops: Operands, forms: readonly Form[], test: (def: OpDef) => boolean, mnemonic: string, why: string): Form {
  const form = forms.find((f) => test(f.def));
  return form ?? ops.fail(`'${mnemonic}' ${why}`);
}

/** A slot with a jump target in `field`: a number now, or a label to resolve later. */
function withTarget(slot: Insn, target: Target, field: "off" | "imm"): Parsed {
  if ("rel" in target) {
    slot[field] = target.rel;
    return { slots: [slot] };
  }
  return { slots: [slot], fixup: { label: target.label, field } };
}

/** `%rN` or an immediate as the second operand: selects the X or K form. */
function regOrImm(ops: Operands, forms: readonly Form[], mnemonic: string): { form: Form; src: number; imm: number } {
  if (ops.isRegister()) {
    const src = ops.reg("source register");
    return { form: pick(ops, forms, (d) => "reg" in d && d.reg, mnemonic, "takes no register source"), src, imm: 0 };
  }
  const imm = ops.imm32();
  return { form: pick(ops, forms, (d) => "reg" in d && !d.reg, mnemonic, "takes no immediate source"), src: 0, imm };
}

const one = (slot: Insn): Parsed => ({ slots: [slot] });
const second = (ins: Insn, def: { reg: boolean }): string => (def.reg ? reg(ins.src) : formatImm(ins.imm));

// Names of lddw pseudo sources, from the Pseudo constants: MAP_VALUE → `map_value`.
const PSEUDO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(Pseudo).filter(([, v]) => v !== Pseudo.NONE).map(([k, v]) => [v, k.toLowerCase()]),
);
const PSEUDO_BY_NAME: ReadonlyMap<string, number> = new Map([...PSEUDO_NAMES].map(([v, k]) => [k, v]));
/** Pseudo sources whose second imm is part of what they mean (an offset into the map value). */
const PSEUDO_WITH_OFFSET: ReadonlySet<number> = new Set([Pseudo.MAP_VALUE, Pseudo.MAP_IDX_VALUE]);

/** Words after `call` that name the call kind; `runtime` is bpf_conformance's word for kfunc. */
const CALL_KINDS: Readonly<Record<string, number>> = {
  helper: CallSrc.HELPER,
  local: CallSrc.LOCAL,
  kfunc: CallSrc.KFUNC,
  runtime: CallSrc.KFUNC,
};

export const SYNTAX: Record<OpKind, Syntax> = {
  // add %r0, %r1 | add %r0, 5
  alu: {
    uses: (d) => (d.kind === "alu" && d.reg ? ["dst", "src"] : ["dst", "imm"]),
    parse(ops, forms, mn) {
      const dst = ops.reg("destination register");
      ops.comma("register or immediate");
      const { form, src, imm } = regOrImm(ops, forms, mn);
      return one(slotOf(form, { dst, src, imm }));
    },
    format: (ins, def) => `${def.mnemonic} ${reg(ins.dst)}, ${second(ins, def as { reg: boolean })}`,
  },
  // neg %r0
  neg: {
    uses: () => ["dst"],
    parse: (ops, forms) => one(slotOf(forms[0]!, { dst: ops.reg("destination register") })),
    format: (ins, def) => `${def.mnemonic} ${reg(ins.dst)}`,
  },
  // movsx1664 %r0, %r1 (sign-extend 16 bits to 64)
  movsx: {
    uses: () => ["dst", "src"],
    parse(ops, forms) {
      const dst = ops.reg("destination register");
      ops.comma("source register");
      return one(slotOf(forms[0]!, { dst, src: ops.reg("source register") }));
    },
    format: (ins, def) => `${def.mnemonic} ${reg(ins.dst)}, ${reg(ins.src)}`,
  },
  // be16 %r0 | le32 %r0 | bswap64 %r0
  end: {
    uses: () => ["dst"],
    parse: (ops, forms) => one(slotOf(forms[0]!, { dst: ops.reg("register") })),
    format: (ins, def) => `${def.mnemonic} ${reg(ins.dst)}`,
  },
  // ja +3 | ja label | ja32 label (gotol: the offset is in imm, RFC 9669 §4.3.1)
  ja: {
    uses: (d) => (d.kind === "ja" && d.long ? ["imm"] : ["off"]),
    parse(ops, forms) {
      const form = forms[0]!;
      const long = form.def.kind === "ja" && form.def.long;
      return withTarget(slotOf(form), ops.target(long ? S32 : S16), long ? "imm" : "off");
    },
    format: (ins, def, target) => `${def.mnemonic} ${target(def.kind === "ja" && def.long ? ins.imm : ins.off)}`,
  },
  // may_goto +3 | may_goto label (LLVM's spelling; the kernel's log prints `may_goto pc+3`)
  maygoto: {
    uses: () => ["off"],
    parse: (ops, forms) => withTarget(slotOf(forms[0]!), ops.target(S16), "off"),
    format: (ins, def, target) => `${def.mnemonic} ${target(ins.off)}`,
  },
  // jeq %r1, 0x0, +2 | jeq %r1, %r2, label
  jcond: {
    uses: (d) => (d.kind === "jcond" && d.reg ? ["dst", "src", "off"] : ["dst", "imm", "off"]),
    parse(ops, forms, mn) {
      const dst = ops.reg("register");
      ops.comma("register or immediate");
      const { form, src, imm } = regOrImm(ops, forms, mn);
      ops.comma("jump target");
      return withTarget(slotOf(form, { dst, src, imm }), ops.target(S16), "off");
    },
    format: (ins, def, target) =>
      `${def.mnemonic} ${reg(ins.dst)}, ${second(ins, def as { reg: boolean })}, ${target(ins.off)}`,
  },
  // call 5 | call helper 5 | call local f | call kfunc 1234[, btf_fd_index] | call kfunc NAME | call %r2 (callx)
  // NAME: a kfunc of this runtime (vm/helpers/kfunc/ids.ts), its id in imm; the disassembler
  // prints known ids by name, as the kernel's log does (`call bpf_iter_num_new#64233`).
  call: {
    uses: (d) => (d.kind === "call" && d.target === "kfunc" ? ["imm", "off"] : ["imm"]),
    parse(ops, forms, mn) {
      const kindWord = ops.acceptOneOf(Object.keys(CALL_KINDS));
      const src = CALL_KINDS[kindWord ?? "helper"]!;
      if (src === CallSrc.HELPER && ops.isRegister()) return SYNTAX.callx.parse(ops, formsOf("callx")!, "callx");
      const form = forms.find((f) => f.value === src) ?? ops.fail(`'${mn}' has no '${kindWord}' form`);
      if (src === CallSrc.LOCAL) return withTarget(slotOf(form), ops.target(S32), "imm");
      const name = src === CallSrc.KFUNC ? ops.acceptName() : undefined;
      const imm = name === undefined
        ? ops.imm32(src === CallSrc.KFUNC ? "kfunc BTF id" : "helper number")
        : (kfuncId(name) ?? ops.fail(`unknown kfunc '${name}' (this runtime's kfuncs: ${Object.keys(KFUNC_IDS).join(", ")})`));
      let off = 0;
      if (src === CallSrc.KFUNC && !ops.atEnd()) {
        ops.comma("BTF fd index");
        off = Number(ops.integer(S16, "BTF fd index"));
      }
      return one(slotOf(form, { imm, off }));
    },
    format(ins, def, target) {
      if (def.kind === "call" && def.target === "local") return `call local ${target(ins.imm)}`;
      if (def.kind === "call" && def.target === "kfunc") {
        return `call kfunc ${kfuncName(ins.imm) ?? formatImm(ins.imm)}` + (ins.off !== 0 ? `, ${ins.off}` : "");
      }
      return `call ${formatImm(ins.imm)}`;
    },
  },
  // callx %r2 (also written `call %r2`): LLVM and bpf_conformance put the register in dst.
  callx: {
    uses: () => ["dst"],
    parse: (ops, forms) => one(slotOf(forms[0]!, { dst: ops.reg("register holding the helper number") })),
    format: (ins) => `callx ${reg(ins.dst)}`,
  },
  exit: {
    uses: () => [],
    parse: (_ops, forms) => one(slotOf(forms[0]!)),
    format: () => "exit",
  },
  // lddw %r0, 0x1122334455667788 | lddw %r1, map_fd 3 | lddw %r1, map_value 3, 8 | lddw %r1, func f
  lddw: {
    uses: () => ["dst", "imm"],
    parse(ops, forms) {
      const dst = ops.reg("destination register");
      ops.comma("64-bit immediate or pseudo source");
      const name = ops.acceptOneOf([...PSEUDO_BY_NAME.keys()]);
      const pseudo = name === undefined ? Pseudo.NONE : PSEUDO_BY_NAME.get(name)!;
      const form = forms.find((f) => f.value === pseudo)!;
      if (pseudo === Pseudo.NONE) {
        const v = ops.imm64("64-bit immediate");
        const lo = toImm32(v & 0xffffffffn);
        const hi = toImm32(v >> 32n);
        return { slots: [slotOf(form, { dst, imm: lo }), { opcode: 0, dst: 0, src: 0, off: 0, imm: hi }] };
      }
      const head = pseudo === Pseudo.FUNC ? ops.target(S32) : { rel: ops.imm32(`${name} operand`) };
      let hi = 0;
      if (!ops.atEnd()) {
        ops.comma(PSEUDO_WITH_OFFSET.has(pseudo) ? "offset" : "second immediate");
        hi = ops.imm32(PSEUDO_WITH_OFFSET.has(pseudo) ? "offset" : "second immediate");
      }
      const parsed = withTarget(slotOf(form, { dst }), head, "imm");
      parsed.slots.push({ opcode: 0, dst: 0, src: 0, off: 0, imm: hi });
      return parsed;
    },
    format(ins, _def, target, next) {
      const hi = next?.imm ?? 0;
      if (ins.src === Pseudo.NONE) {
        const v = (BigInt(hi >>> 0) << 32n) | BigInt(ins.imm >>> 0);
        return `lddw ${reg(ins.dst)}, ${formatImm64(v)}`;
      }
      const head = ins.src === Pseudo.FUNC ? target(ins.imm) : formatImm(ins.imm);
      const tail = hi !== 0 || PSEUDO_WITH_OFFSET.has(ins.src) ? `, ${formatImm(hi)}` : "";
      return `lddw ${reg(ins.dst)}, ${PSEUDO_NAMES.get(ins.src)} ${head}${tail}`;
    },
  },
  // ldabsw 0x10 | ldindh %r1, 4 (legacy skb loads: r0 = packet[imm] / packet[src + imm])
  ldpkt: {
    uses: (d) => (d.kind === "ldpkt" && d.ind ? ["src", "imm"] : ["imm"]),
    parse(ops, forms) {
      const form = forms[0]!;
      if (form.def.kind === "ldpkt" && form.def.ind) {
        const src = ops.reg("index register");
        ops.comma("offset");
        return one(slotOf(form, { src, imm: ops.imm32("offset") }));
      }
      return one(slotOf(form, { imm: ops.imm32("offset") }));
    },
    format: (ins, def) =>
      def.kind === "ldpkt" && def.ind
        ? `${def.mnemonic} ${reg(ins.src)}, ${formatImm(ins.imm)}`
        : `${def.mnemonic} ${formatImm(ins.imm)}`,
  },
  // ldxw %r0, [%r1+4] | ldxsb %r0, [%r10-1]
  ldx: {
    uses: () => ["dst", "src", "off"],
    parse(ops, forms) {
      const dst = ops.reg("destination register");
      ops.comma("memory operand '[%rN+off]'");
      const { reg: src, off } = ops.mem();
      return one(slotOf(forms[0]!, { dst, src, off }));
    },
    format: (ins, def) => `${def.mnemonic} ${reg(ins.dst)}, ${formatMem(ins.src, ins.off)}`,
  },
  // stb [%r10-1], 0x80
  st: {
    uses: () => ["dst", "off", "imm"],
    parse(ops, forms) {
      const { reg: dst, off } = ops.mem();
      ops.comma("immediate");
      return one(slotOf(forms[0]!, { dst, off, imm: ops.imm32() }));
    },
    format: (ins, def) => `${def.mnemonic} ${formatMem(ins.dst, ins.off)}, ${formatImm(ins.imm)}`,
  },
  // stxdw [%r10-8], %r1
  stx: {
    uses: () => ["dst", "src", "off"],
    parse(ops, forms) {
      const { reg: dst, off } = ops.mem();
      ops.comma("source register");
      return one(slotOf(forms[0]!, { dst, off, src: ops.reg("source register") }));
    },
    format: (ins, def) => `${def.mnemonic} ${formatMem(ins.dst, ins.off)}, ${reg(ins.src)}`,
  },
  // lock add [%r10-8], %r1 | lock fetch add32 [%r1], %r2 | lock cmpxchg [%r10-8], %r1
  // Parsed from just after `lock`; `fetch` may also follow the operation (`lock add fetch ...`),
  // the order bpf_conformance's disassembler prints.
  atomic: {
    uses: () => ["dst", "src", "off"],
    parse(ops) {
      let fetch = ops.accept("fetch");
      const op = ops.peek() ?? ops.fail("missing operand: expected atomic operation after 'lock'");
      const forms =
        (op.kind === "word" ? formsOf(`lock ${op.text.toLowerCase()}`) : undefined) ??
        ops.fail(`unknown atomic operation '${op.text}'`);
      ops.accept(op.text.toLowerCase());
      fetch = ops.accept("fetch") || fetch;
      const mn = `lock ${forms[0]!.def.mnemonic}`;
      // xchg and cmpxchg always fetch; writing `fetch` for them is redundant but harmless.
      const form =
        (forms.length === 1 ? forms[0] : forms.find((f) => f.def.kind === "atomic" && f.def.fetch === fetch)) ??
        ops.fail(`'${mn}' has no fetch form`);
      if (fetch && !(form.def.kind === "atomic" && form.def.fetch)) ops.fail(`'${mn}' has no fetch form`);
      const { reg: dst, off } = ops.mem();
      ops.comma("source register");
      return one(slotOf(form, { dst, off, src: ops.reg("source register") }));
    },
    format(ins, def) {
      const a = def as Extract<OpDef, { kind: "atomic" }>;
      const fetch = a.fetch && a.aop !== "xchg" && a.aop !== "cmpxchg" ? "fetch " : "";
      return `lock ${fetch}${a.mnemonic} ${formatMem(ins.dst, ins.off)}, ${reg(ins.src)}`;
    },
  },
};
