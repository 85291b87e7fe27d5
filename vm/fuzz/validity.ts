// An independent check of emitted bytecode, for testing the generator and the emitter: it knows
// nothing about fuzz trees, only slots. It checks what the kernel's check_cfg and do_check would
// reject first: unknown encodings, jumps out of their subprogram or into the middle of an lddw,
// falling off the end, unreachable instructions, registers read before written on some path,
// writes to r10, stack accesses outside 512 bytes or misaligned, stack bytes read before written
// on some path, and exits without r0. (Termination is not checked here: flow.ts checks loops.)

import type { Insn } from "../isa/instruction.js";
import { CallSrc } from "../isa/opcodes.js";
import { describe, jumpTarget, type OpDef } from "../isa/table.js";

interface State {
  init: number;
  stack: bigint;
}

const bit = (r: number): number => 1 << r;
const ARGS = bit(1) | bit(2) | bit(3) | bit(4) | bit(5);

interface Slot {
  readonly def: OpDef;
}

/** Problems found (empty: valid). `entry`: registers written at main's entry (default r1..r5). */
export function checkCode(insns: readonly Insn[], entry = ARGS): string[] {
  const problems: string[] = [];
  const slots: Array<Slot | undefined> = new Array(insns.length);
  const halves = new Set<number>();
  const starts = new Set([0]);
  for (let i = 0; i < insns.length; i++) {
    const def = describe(insns[i]!);
    if (!def) {
      problems.push(`insn ${i}: unknown encoding (opcode 0x${insns[i]!.opcode.toString(16)})`);
      continue;
    }
    if (def.kind === "lddw") {
      const next = insns[i + 1];
      if (!next || next.opcode !== 0) problems.push(`insn ${i}: lddw without its second slot`);
      halves.add(i + 1);
    }
    if (def.kind === "call" && def.target === "local") starts.add(i + insns[i]!.imm + 1);
    slots[i] = { def };
    if (def.kind === "lddw") i++;
  }
  if (problems.length) return problems;
  const bounds = [...starts].sort((a, b) => a - b);
  for (const s of bounds) {
    if (s < 0 || s >= insns.length || halves.has(s)) return [`call target ${s} is not an instruction`];
  }
  const unitOf = (i: number): number => {
    let u = 0;
    while (u + 1 < bounds.length && bounds[u + 1]! <= i) u++;
    return u;
  };
  const unitEnd = (u: number): number => bounds[u + 1] ?? insns.length;

  const succ = (i: number): number[] => {
    const ins = insns[i]!;
    const def = slots[i]!.def;
    switch (def.kind) {
      case "exit": return [];
      case "ja": return [jumpTarget(ins, def, i)!];
      case "jcond":
      case "maygoto": return [i + 1, jumpTarget(ins, def, i)!];
      case "lddw": return [i + 2];
      default: return [i + 1];
    }
  };

  // Structure: every successor inside its own subprogram, on an instruction start.
  for (let i = 0; i < insns.length; i++) {
    if (!slots[i]) continue;
    const u = unitOf(i);
    for (const t of succ(i)) {
      if (t === unitEnd(u)) problems.push(`insn ${i}: falls off the end of subprogram ${u}`);
      else if (t < bounds[u]! || t > unitEnd(u)) problems.push(`insn ${i}: jumps to ${t}, outside its subprogram`);
      else if (halves.has(t)) problems.push(`insn ${i}: jumps into the middle of lddw at ${t - 1}`);
    }
  }
  if (problems.length) return problems;

  // Must-analysis: registers and stack bytes written on every path.
  const states: Array<State | undefined> = new Array(insns.length);
  const work: number[] = [];
  const reach = (i: number, st: State): void => {
    const old = states[i];
    const next = old ? { init: old.init & st.init, stack: old.stack & st.stack } : { init: st.init, stack: st.stack };
    if (old && old.init === next.init && old.stack === next.stack) return;
    states[i] = next;
    work.push(i);
  };
  reach(0, { init: entry | bit(10), stack: 0n });
  const seen = new Set<string>();
  const report = (msg: string): void => {
    if (!seen.has(msg)) problems.push(msg);
    seen.add(msg);
  };
  while (work.length) {
    const i = work.pop()!;
    const st = states[i]!;
    const after = transfer(insns[i]!, slots[i]!.def, st, (msg) => report(`insn ${i}: ${msg}`));
    const def = slots[i]!.def;
    if (def.kind === "call" && def.target === "local") reach(i + insns[i]!.imm + 1, { init: (st.init & ARGS) | bit(10), stack: 0n });
    for (const t of succ(i)) reach(t, after);
  }
  for (let i = 0; i < insns.length; i++) {
    if (slots[i] && !states[i]) problems.push(`insn ${i}: unreachable`);
  }
  return problems;
}

function transfer(ins: Insn, def: OpDef, st: State, report: (msg: string) => void): State {
  let init = st.init;
  let stack = st.stack;
  const read = (r: number): void => {
    if (!(init & bit(r))) report(`${def.mnemonic} reads r${r} before it is written`);
  };
  const write = (r: number): void => {
    if (r === 10) report(`${def.mnemonic} writes r10`);
    init |= bit(r);
  };
  const mem = (base: number, off: number, n: number, how: "read" | "write" | "update"): void => {
    read(base);
    if (base !== 10) return;
    if (off < -512 || off + n > 0) return report(`${def.mnemonic} stack access r10${off} outside the frame`);
    if (off % n) return report(`${def.mnemonic} misaligned stack access r10${off}`);
    const mask = ((1n << BigInt(n)) - 1n) << BigInt(512 + off);
    if (how !== "write" && (stack & mask) !== mask) report(`${def.mnemonic} reads stack r10${off} before it is written`);
    stack |= mask;
  };
  switch (def.kind) {
    case "alu":
      if (def.op !== "mov") read(ins.dst);
      if (def.reg) read(ins.src);
      write(ins.dst);
      break;
    case "neg":
    case "end":
      read(ins.dst);
      write(ins.dst);
      break;
    case "movsx":
      read(ins.src);
      write(ins.dst);
      break;
    case "lddw":
      write(ins.dst);
      break;
    case "ldx":
      mem(ins.src, ins.off, def.bytes, "read");
      write(ins.dst);
      break;
    case "st":
      mem(ins.dst, ins.off, def.bytes, "write");
      break;
    case "stx":
      read(ins.src);
      mem(ins.dst, ins.off, def.bytes, "write");
      break;
    case "atomic":
      read(ins.src);
      if (def.aop === "cmpxchg") read(0);
      mem(ins.dst, ins.off, def.bytes, "update");
      if (def.aop === "cmpxchg") write(0);
      else if (def.fetch) write(ins.src);
      break;
    case "jcond":
      read(ins.dst);
      if (def.reg) read(ins.src);
      break;
    case "call":
      if (def.target !== "local" || ins.src !== CallSrc.LOCAL) report(`${def.mnemonic}: only bpf-to-bpf calls are expected here`);
      init = (init & ~ARGS) | bit(0);
      break;
    case "exit":
      read(0);
      break;
    case "ja":
    case "maygoto":
      break;
    default:
      report(`${def.mnemonic}: not expected in a fuzz program`);
  }
  return { init, stack };
}
