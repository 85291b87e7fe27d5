// The assembler: uBPF / bpf_conformance syntax → instruction slots.
//
//   mov32 %r0, 0            ldxw %r0, [%r1+4]       stb [%r10-1], 0x80
//   jeq %r1, 0x0, +2        ja L1                   ja32 L2 (gotol)
//   call 5                  call local f            call %r2 (callx)
//   lock fetch add [%r10-8], %r1                    lddw %r0, 0x1122334455667788
//
// Two passes, as bpf_conformance's assembler does: the first reads every line into slots and
// records labels at slot indices; the second resolves label references to pc-relative offsets
// (target − (index + 1), RFC 9669 §4.3). Like bpf_conformance, the label `exit` names the first
// `exit` instruction unless the program defines its own. The full syntax is in vm/asm/README.md.

import type { Insn } from "../isa/instruction.js";
import { formsOf } from "./forms.js";
import { IMM32, S16, U4, U8, inRange, toImm32 } from "./numbers.js";
import { Operands, lex, lineError } from "./operands.js";
import { SYNTAX, type Parsed } from "./syntax.js";

export interface AssembleOptions {
  /** Line number of the first line of `source` (default 1), for messages about embedded asm. */
  firstLine?: number;
}

/** A label reference waiting for pass 2. */
interface Pending {
  slot: number;
  label: string;
  field: "off" | "imm";
  line: number;
  text: string;
}

const LABEL = /^([A-Za-z_.$][\w.$]*)\s*:/;
const SLOT_INDEX = /^(\d+)\s*:/;

/** Assemble `source` into instruction slots (lddw takes two). Throws BpfError naming the line. */
export function assemble(source: string, options: AssembleOptions = {}): Insn[] {
  const first = options.firstLine ?? 1;
  const slots: Insn[] = [];
  const labels = new Map<string, { slot: number; line: number }>();
  const pending: Pending[] = [];
  let firstExit: number | undefined;

  source.split(/\r?\n/).forEach((raw, i) => {
    const line = first + i;
    let text = stripComment(raw).trim();
    const fail = (msg: string): never => {
      throw lineError(line, text, msg);
    };
    // Leading labels (`L1:`) and slot indices as `disassemble({ indices: true })` prints them.
    for (;;) {
      const index = SLOT_INDEX.exec(text);
      const label = index ? undefined : LABEL.exec(text);
      if (index) {
        if (Number(index[1]) !== slots.length) fail(`slot index ${index[1]} does not match the slot position ${slots.length}`);
      } else if (label) {
        const name = label[1]!;
        const prev = labels.get(name);
        if (prev) fail(`duplicate label '${name}' (first defined at line ${prev.line})`);
        labels.set(name, { slot: slots.length, line });
      } else break;
      text = text.slice((index ?? label)![0].length).trim();
    }
    if (text === "") return;
    const parsed = parseInstruction(text, fail);
    if (firstExit === undefined && /^exit\b/i.test(text)) firstExit = slots.length;
    if (parsed.fixup) pending.push({ slot: slots.length, ...parsed.fixup, line, text });
    slots.push(...parsed.slots);
  });

  if (!labels.has("exit") && firstExit !== undefined) labels.set("exit", { slot: firstExit, line: 0 });
  for (const p of pending) resolve(slots, labels, p);
  return slots;
}

/** Cut a `#` or `;` comment (the syntax has no strings, so either starts one anywhere). */
function stripComment(line: string): string {
  const at = line.search(/[#;]/);
  return at < 0 ? line : line.slice(0, at);
}

function parseInstruction(text: string, fail: (msg: string) => never): Parsed {
  // `s`: a stray line terminator inside the line (a lone \r, U+2028) is operand text for the
  // lexer to judge, not the end of the match.
  const m = /^(\S+)\s*(.*)$/s.exec(text)!;
  const mnemonic = m[1]!.toLowerCase();
  const ops = new Operands(lex(m[2]!, fail), fail);
  let parsed: Parsed;
  if (mnemonic === ".insn") parsed = parseRawSlot(ops);
  else if (mnemonic === "lock") parsed = SYNTAX.atomic.parse(ops, [], mnemonic);
  else {
    const forms = formsOf(mnemonic);
    if (!forms) return fail(`unknown mnemonic '${m[1]}'`);
    parsed = SYNTAX[forms[0]!.def.kind].parse(ops, forms, mnemonic);
  }
  ops.end();
  return parsed;
}

/** `.insn OPCODE, DST, SRC, OFF, IMM`: one slot with exactly these fields, valid or not. */
function parseRawSlot(ops: Operands): Parsed {
  const opcode = Number(ops.integer(U8, "opcode"));
  ops.comma("dst");
  const dst = Number(ops.integer(U4, "dst"));
  ops.comma("src");
  const src = Number(ops.integer(U4, "src"));
  ops.comma("off");
  const off = Number(ops.integer(S16, "off"));
  ops.comma("imm");
  const imm = toImm32(ops.integer(IMM32, "imm"));
  return { slots: [{ opcode, dst, src, off, imm }] };
}

function resolve(slots: Insn[], labels: Map<string, { slot: number }>, p: Pending): void {
  const target = labels.get(p.label);
  if (!target) throw lineError(p.line, p.text, `undefined label '${p.label}'`);
  const rel = target.slot - (p.slot + 1);
  if (p.field === "off" && !inRange(BigInt(rel), S16)) {
    throw lineError(p.line, p.text, `jump to '${p.label}' is ${rel} slots away, outside the s16 offset range`);
  }
  slots[p.slot]![p.field] = rel;
}
