// Load-time work: validate the program, then turn every slot into four int32 words with its
// handler chosen from describe() (vm/isa/table.ts) and its operands pre-computed: immediates
// sign-extended to a high word, jump and call targets made absolute, helpers resolved.

import type { HelperDef, HelperTable } from "../helpers/registry.js";
import { tailCallHelper } from "../helpers/tailcall.js";
import { loopHelper } from "../helpers/loop.js";
import { isForEachHelper } from "../helpers/for-each.js";
import { callbackStarts } from "../program/subprograms.js";
import type { Insn } from "../isa/instruction.js";
import { describe, jumpTarget, type OpDef } from "../isa/table.js";
import { funcAddressOf, resolveLddw, type LddwMap } from "../program/lddw.js";
import { Pseudo } from "../isa/opcodes.js";
import { validate } from "../program/validate.js";
import { Op, opFor } from "./ops.js";
import type { Prepared } from "./state.js";

/** Code word 0 for lddw's second slot: no handler, never executed (validate() forbids jumps into it). */
const DATA_SLOT = 255;

/**
 * `maps` (MapSet.describe(), indexed by fd) resolves lddw pseudo sources: map pointers and
 * global data addresses (vm/program/lddw.ts). `insns` stay as given, for fault messages.
 */
export function prepare(insns: readonly Insn[], helpers: HelperTable, maxInsns: number, maps?: readonly LddwMap[]): Prepared {
  validate(insns, { helpers });
  const resolved = resolveLddw(insns, maps);
  const n = insns.length;
  const code = new Int32Array((n + 2) * 4);
  const defs: Array<OpDef | undefined> = new Array(n).fill(undefined);
  const helperAt: Array<HelperDef | undefined> = new Array(n).fill(undefined);
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    const def = describe(ins)!; // validate() has checked every slot it visits
    defs[i] = def;
    const k = i * 4;
    code[k] = opFor(def) | (ins.dst << 8) | (ins.src << 12);
    code[k + 1] = operand(ins, def, i);
    code[k + 2] = ins.imm;
    code[k + 3] = ins.imm >> 31;
    if (def.kind === "call" && def.target === "helper") {
      const helper = helpers.get(ins.imm);
      helperAt[i] = helper;
      // bpf_tail_call is a jump the loop performs itself (vm/runtime/README.md §6), and
      // bpf_loop and bpf_for_each_map_elem loops it runs itself (loop.ts, for-each.ts).
      if (helper === tailCallHelper) code[k] = Op.TAIL_CALL;
      if (helper === loopHelper) code[k] = Op.LOOP;
      if (isForEachHelper(helper)) code[k] = Op.FOR_EACH;
    }
    // A kfunc is called as a helper is (CALL_HELPER with its def): validate() checked the table has it.
    if (def.kind === "call" && def.target === "kfunc") helperAt[i] = helpers.kfunc(ins.imm);
    if (def.kind === "lddw") {
      const value = def.pseudo === Pseudo.FUNC ? funcAddressOf(insns, i) : undefined;
      code[k + 2] = value === undefined ? resolved[i]!.imm : Number(value & 0xffffffffn) | 0;
      code[k + 3] = value === undefined ? resolved[i + 1]!.imm : Number(value >> 32n) | 0;
      code[k + 4] = DATA_SLOT;
      i++;
    }
  }
  // One `exit` slot after the program, where a packet load that leaves the packet continues,
  // and one slot where bpf_loop's and bpf_for_each_map_elem's callbacks return to.
  code[n * 4] = Op.EXIT;
  code[(n + 1) * 4] = Op.LOOP_NEXT;
  const callbacks = new Uint8Array(n);
  for (const start of callbackStarts(insns)) callbacks[start] = 1;
  return { code, insns, defs, helperAt, helpers, maxInsns, exitSlot: n, loopSlot: n + 1, callbacks };
}

/** Word 1: the absolute target of jumps and local calls, else the memory offset. */
function operand(ins: Insn, def: OpDef, i: number): number {
  switch (def.kind) {
    case "ja":
    case "jcond":
    case "maygoto":
      return jumpTarget(ins, def, i)!;
    case "call":
      return def.target === "local" ? i + 1 + ins.imm : 0;
    default:
      return ins.off;
  }
}
