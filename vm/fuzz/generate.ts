// The program generator: random, valid-by-construction fuzz programs (ast.ts) from a seed.
//
// It keeps the must-state of flow.ts while it builds (which registers and stack bytes are surely
// written), picks operands only among what is valid there, and runs every statement it makes
// through flow.ts's transfer function: a generator bug is an exception here, not a false
// mismatch later. Coverage: ALU and ALU32 with every operator (sdiv/smod, movsx, neg, byte
// swaps) and edge immediates; JMP and JMP32 with every condition; loads and stores of every size
// (sign-extending loads too) on the stack and the input memory; atomics with and without fetch,
// xchg and cmpxchg; lddw; bpf-to-bpf calls; counted loops; may_goto.
//
// Not generated, and why: helper calls (time, randomness and CPU id differ between engines by
// design), LD_ABS/LD_IND (socket-buffer programs only; the kernel engine runs XDP), callx (the
// kernel has no callx), lddw with pseudo sources (they need maps), tail calls.

import { AluOp, Atomic, Cls, JmpOp, Mode, Size, Src } from "../isa/opcodes.js";
import { insn, type Insn } from "../isa/instruction.js";
import { COUNTER_REGS, MEM_REG, type FuzzProgram, type Stmt, type Subprogram } from "./ast.js";
import {
  ARG_REGS, bit, has, loopTrips, MAIN_ENTRY, stepStmt, subEntry,
  type FlowContext, type FlowState,
} from "./flow.js";
import { Random } from "./random.js";

/**
 * The largest maxStmts: a program of this many statements is already tens of thousands of
 * instructions, and the minimiser's runs grow with its size.
 */
export const MAX_STMTS = 10_000;

export interface GenerateOptions {
  /** Largest number of statements in main (the size is drawn from 1..this, at most MAX_STMTS). Default 40. */
  readonly maxStmts?: number;
  /** Largest number of subprograms. Default 2. */
  readonly maxSubs?: number;
  /** Also make atomics on the input memory (not for the kernel: it refuses them). Default false. */
  readonly memoryAtomics?: boolean;
}

const ALU_OPS: ReadonlyArray<readonly [name: string, code: number, off: number]> = [
  ["add", AluOp.ADD, 0], ["sub", AluOp.SUB, 0], ["mul", AluOp.MUL, 0], ["div", AluOp.DIV, 0],
  ["sdiv", AluOp.DIV, 1], ["or", AluOp.OR, 0], ["and", AluOp.AND, 0], ["lsh", AluOp.LSH, 0],
  ["rsh", AluOp.RSH, 0], ["mod", AluOp.MOD, 0], ["smod", AluOp.MOD, 1], ["xor", AluOp.XOR, 0],
  ["mov", AluOp.MOV, 0], ["arsh", AluOp.ARSH, 0],
];
const SHIFTS = new Set(["lsh", "rsh", "arsh"]);
const DIVS = new Set(["div", "sdiv", "mod", "smod"]);

/** may_goto as an if's condition (ast.ts "if"): jump to the then-block once the budget is spent. */
const MAY_GOTO = insn(Cls.JMP | JmpOp.JCOND | Src.K);

const CONDS: readonly number[] = [
  JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE,
  JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE,
];
const SIZES: ReadonlyArray<readonly [bytes: 1 | 2 | 4 | 8, code: number]> = [[1, Size.B], [2, Size.H], [4, Size.W], [8, Size.DW]];
const ATOMIC_OPS: readonly number[] = [
  Atomic.ADD, Atomic.OR, Atomic.AND, Atomic.XOR,
  Atomic.ADD | Atomic.FETCH, Atomic.OR | Atomic.FETCH, Atomic.AND | Atomic.FETCH, Atomic.XOR | Atomic.FETCH,
  Atomic.XCHG, Atomic.CMPXCHG,
];

/** Loop shapes: counter start, step, condition (against the immediate) to go round again. */
type LoopShape = (trips: number) => { init: number; step: number; op: number; imm: number };
const LOOP_SHAPES: readonly LoopShape[] = [
  (t) => ({ init: t, step: -1, op: JmpOp.JNE, imm: 0 }),
  (t) => ({ init: t, step: -1, op: JmpOp.JSGT, imm: 0 }),
  (t) => ({ init: t, step: -1, op: JmpOp.JGT, imm: 0 }),
  (t) => ({ init: 0, step: 1, op: JmpOp.JLT, imm: t }),
  (t) => ({ init: 0, step: 1, op: JmpOp.JNE, imm: t }),
  (t) => ({ init: 0, step: 1, op: JmpOp.JSLT, imm: t }),
  (t) => ({ init: 0, step: 1, op: JmpOp.JLE, imm: t - 1 }),
  (t) => ({ init: -t, step: 1, op: JmpOp.JSLT, imm: 0 }),
];

const regsOf = (mask: number): number[] => {
  const out: number[] = [];
  for (let r = 0; r <= 10; r++) if (has(mask, r)) out.push(r);
  return out;
};

interface Scope {
  readonly flow: FlowContext;
  readonly loopDepth: number;
  readonly ifDepth: number;
  readonly calls: boolean;
}

class Generator {
  /** Statements still to make in the current unit. */
  private left = 0;

  constructor(private readonly rng: Random, private readonly program: { memLen: number; subs: Subprogram[] }) {}

  private pointers(scope: Scope): number {
    return bit(10) | (scope.flow.unit === 0 ? bit(MEM_REG) : 0);
  }

  private writable(scope: Scope): number {
    return 0x3ff & ~scope.flow.reserved & ~this.pointers(scope);
  }

  private scalars(scope: Scope, st: FlowState): number {
    return st.init & ~this.pointers(scope);
  }

  private pickReg(mask: number): number | undefined {
    const regs = regsOf(mask);
    return regs.length ? this.rng.pick(regs) : undefined;
  }

  block(scope: Scope, st: FlowState, max: number): { stmts: Stmt[]; st: FlowState } {
    const stmts: Stmt[] = [];
    let state = st;
    for (let n = 0; n < max && this.left > 0; n++) {
      this.left--;
      for (const s of this.statement(scope, state)) {
        state = stepStmt(scope.flow, state, s);
        stmts.push(s);
      }
    }
    return { stmts, st: state };
  }

  private statement(scope: Scope, st: FlowState): Stmt[] {
    const inMain = scope.flow.unit === 0;
    const kind = this.rng.weighted<string>([
      [30, "alu"], [4, "lddw"], [3, "neg"], [4, "movsx"], [5, "end"],
      [inMain ? 8 : 0, "memLoad"], [inMain ? 6 : 0, "memStore"],
      [8, "stackStore"], [8, "stackLoad"], [6, "atomic"],
      [scope.ifDepth < 3 ? 7 : 0, "if"],
      [scope.loopDepth < 2 ? 3 : 0, "loop"],
      [scope.calls ? 3 : 0, "call"],
    ]);
    const made = this.make(kind, scope, st);
    return made ?? [this.movImm(scope)];
  }

  private make(kind: string, scope: Scope, st: FlowState): Stmt[] | undefined {
    switch (kind) {
      case "alu": return this.alu(scope, st);
      case "lddw": return this.lddw(scope);
      case "neg": return this.unary(scope, st, (dst) => insn((this.rng.chance(0.5) ? Cls.ALU64 : Cls.ALU) | AluOp.NEG, dst));
      case "end": return this.unary(scope, st, (dst) => this.byteSwap(dst));
      case "movsx": return this.movsx(scope, st);
      case "memLoad": return this.load(scope, st, MEM_REG);
      case "memStore": return this.store(scope, st, MEM_REG);
      case "stackLoad": return this.load(scope, st, 10);
      case "stackStore": return this.store(scope, st, 10);
      case "atomic": return this.atomic(scope, st);
      case "if": return this.ifElse(scope, st);
      case "loop": return this.loop(scope, st);
      case "call": return this.call(scope, st);
      default: throw new Error(`unknown statement kind ${kind}`);
    }
  }

  private movImm(scope: Scope): Stmt {
    const dst = this.pickReg(this.writable(scope)) ?? 0;
    return { k: "op", insn: insn((this.rng.chance(0.5) ? Cls.ALU64 : Cls.ALU) | AluOp.MOV | Src.K, dst, 0, 0, this.rng.imm32()) };
  }

  private alu(scope: Scope, st: FlowState): Stmt[] | undefined {
    const [name, code, off] = this.rng.pick(ALU_OPS);
    const wide = this.rng.chance(0.5);
    const sources = this.scalars(scope, st);
    const reg = sources !== 0 && this.rng.chance(0.5);
    const dst = this.pickReg(name === "mov" ? this.writable(scope) : this.writable(scope) & st.init);
    if (dst === undefined) return undefined;
    const klass = wide ? Cls.ALU64 : Cls.ALU;
    if (reg) return [{ k: "op", insn: insn(klass | code | Src.X, dst, this.pickReg(sources)!, off) }];
    return [{ k: "op", insn: insn(klass | code | Src.K, dst, 0, off, this.aluImm(name, wide)) }];
  }

  private aluImm(name: string, wide: boolean): number {
    if (SHIFTS.has(name)) {
      const width = wide ? 64 : 32;
      return this.rng.chance(0.4) ? this.rng.pick([0, 1, width / 2, width - 1]) : this.rng.int(width);
    }
    if (DIVS.has(name)) {
      for (;;) {
        const imm = this.rng.imm32();
        if (imm !== 0) return imm;
      }
    }
    return this.rng.imm32();
  }

  private lddw(scope: Scope): Stmt[] | undefined {
    const dst = this.pickReg(this.writable(scope));
    return dst === undefined ? undefined : [{ k: "lddw", dst, value: this.rng.value64() }];
  }

  /** An instruction that reads and writes one register (neg, byte swaps). */
  private unary(scope: Scope, st: FlowState, build: (dst: number) => Insn): Stmt[] | undefined {
    const dst = this.pickReg(this.writable(scope) & st.init);
    return dst === undefined ? undefined : [{ k: "op", insn: build(dst) }];
  }

  /** to-little-endian, to-big-endian or unconditional swap (RFC 9669 §4.2), 16/32/64 bits. */
  private byteSwap(dst: number): Insn {
    const bits = this.rng.pick([16, 32, 64]);
    const order = this.rng.int(3);
    const opcode = order === 0 ? Cls.ALU | AluOp.END | Src.K : order === 1 ? Cls.ALU | AluOp.END | Src.X : Cls.ALU64 | AluOp.END | Src.K;
    return insn(opcode, dst, 0, 0, bits);
  }

  private movsx(scope: Scope, st: FlowState): Stmt[] | undefined {
    const src = this.pickReg(this.scalars(scope, st));
    const dst = this.pickReg(this.writable(scope));
    if (src === undefined || dst === undefined) return undefined;
    const wide = this.rng.chance(0.5);
    const bits = this.rng.pick(wide ? [8, 16, 32] : [8, 16]);
    return [{ k: "op", insn: insn((wide ? Cls.ALU64 : Cls.ALU) | AluOp.MOV | Src.X, dst, src, bits) }];
  }

  /** An offset for an n-byte access at `base`; for reads of the stack, only fully written slots. */
  private offset(scope: Scope, st: FlowState, base: number, n: number, read: boolean): number | undefined {
    if (base === MEM_REG) return this.rng.int(this.program.memLen - n + 1);
    const slots = scope.flow.frame / n;
    if (!read) return -n * this.rng.range(1, slots);
    const written: number[] = [];
    const mask = (1n << BigInt(n)) - 1n;
    for (let k = 1; k <= slots; k++) {
      const off = -n * k;
      if (((st.stack >> BigInt(512 + off)) & mask) === mask) written.push(off);
    }
    return written.length ? this.rng.pick(written) : undefined;
  }

  private load(scope: Scope, st: FlowState, base: number): Stmt[] | undefined {
    const [bytes, code] = this.rng.pick(SIZES);
    const signed = bytes < 8 && this.rng.chance(0.3);
    const off = this.offset(scope, st, base, bytes, true);
    const dst = this.pickReg(this.writable(scope));
    if (off === undefined || dst === undefined) return undefined;
    return [{ k: "op", insn: insn(Cls.LDX | (signed ? Mode.MEMSX : Mode.MEM) | code, dst, base, off) }];
  }

  private store(scope: Scope, st: FlowState, base: number): Stmt[] | undefined {
    const [bytes, code] = this.rng.pick(SIZES);
    const off = this.offset(scope, st, base, bytes, false)!;
    const src = this.pickReg(this.scalars(scope, st));
    if (src !== undefined && this.rng.chance(0.6)) return [{ k: "op", insn: insn(Cls.STX | Mode.MEM | code, base, src, off) }];
    return [{ k: "op", insn: insn(Cls.ST | Mode.MEM | code, base, 0, off, this.rng.imm32()) }];
  }

  private atomic(scope: Scope, st: FlowState): Stmt[] | undefined {
    const [bytes, code] = this.rng.pick([[4, Size.W], [8, Size.DW]] as const);
    const op = this.rng.pick(ATOMIC_OPS);
    const fetch = (op & Atomic.FETCH) !== 0;
    const onMemory = scope.flow.memoryAtomics === true && scope.flow.unit === 0 && this.rng.chance(0.4);
    const base = onMemory ? MEM_REG : 10;
    const off = onMemory ? bytes * this.rng.int(Math.floor(this.program.memLen / bytes)) : this.offset(scope, st, 10, bytes, true);
    // A fetching atomic writes its source register (cmpxchg writes r0 and reads it).
    const src = this.pickReg(this.scalars(scope, st) & (fetch && op !== Atomic.CMPXCHG ? this.writable(scope) : 0x7ff));
    if (off === undefined || src === undefined) return undefined;
    if (op === Atomic.CMPXCHG && !has(st.init, 0)) return undefined;
    return [{ k: "op", insn: insn(Cls.STX | Mode.ATOMIC | code, base, src, off, op) }];
  }

  private cond(scope: Scope, st: FlowState, dst: number): Insn {
    const klass = this.rng.chance(0.5) ? Cls.JMP : Cls.JMP32;
    const op = this.rng.pick(CONDS);
    const src = this.pickReg(this.scalars(scope, st));
    if (src !== undefined && this.rng.chance(0.5)) return insn(klass | op | Src.X, dst, src);
    return insn(klass | op | Src.K, dst, 0, 0, this.rng.imm32());
  }

  private ifElse(scope: Scope, st: FlowState): Stmt[] | undefined {
    const dst = this.pickReg(this.scalars(scope, st));
    if (dst === undefined) return undefined;
    // Now and then `may_goto`: the then-block runs only once the frame's budget is spent, which a
    // fuzz program never does, but every verifier checks both ways.
    const cond = this.rng.chance(0.1) ? MAY_GOTO : this.cond(scope, st, dst);
    const inner: Scope = { ...scope, ifDepth: scope.ifDepth + 1 };
    const size = scope.loopDepth > 0 ? 3 : 6;
    const then = this.block(inner, st, this.rng.range(1, size)).stmts;
    const otherwise = this.rng.chance(0.5) ? this.block(inner, st, this.rng.range(1, size)).stmts : [];
    return [{ k: "if", cond, then, otherwise, long: this.rng.chance(0.2) }];
  }

  private loop(scope: Scope, st: FlowState): Stmt[] | undefined {
    const counter = this.pickReg(COUNTER_REGS.reduce((m, r) => m | bit(r), 0) & this.writable(scope));
    if (counter === undefined) return undefined;
    const trips = this.rng.range(1, scope.loopDepth > 0 ? 2 : 4);
    const shape = this.rng.pick(LOOP_SHAPES)(trips);
    const cond = insn((this.rng.chance(0.5) ? Cls.JMP : Cls.JMP32) | shape.op | Src.K, counter, 0, 0, shape.imm);
    if (loopTrips(shape.init, shape.step, cond) !== trips) throw new Error(`loop shape ${JSON.stringify(shape)} does not run ${trips} rounds`);
    // A call in the body clobbers r1..r5 before the next round: then the body may not rely on them.
    const calls = scope.calls && this.rng.chance(0.5);
    const entry = { init: (st.init | bit(counter)) & (calls ? ~ARG_REGS : ~0), stack: st.stack };
    const inner: Scope = { flow: { ...scope.flow, reserved: scope.flow.reserved | bit(counter) }, loopDepth: scope.loopDepth + 1, ifDepth: Math.max(scope.ifDepth, 2), calls };
    const body = this.block(inner, entry, this.rng.range(1, 6)).stmts;
    return [{ k: "loop", counter, init: shape.init, step: shape.step, cond, trips, body }];
  }

  private call(scope: Scope, st: FlowState): Stmt[] | undefined {
    const targets = this.program.subs.map((_, k) => k + 1).filter((i) => i > scope.flow.unit);
    if (targets.length === 0) return undefined;
    const target = this.rng.pick(targets);
    const setup: Stmt[] = [];
    for (let r = 1; r <= this.program.subs[target - 1]!.arity; r++) {
      if (!has(st.init, r)) setup.push({ k: "op", insn: insn(Cls.ALU64 | AluOp.MOV | Src.K, r, 0, 0, this.rng.imm32()) });
    }
    return [...setup, { k: "call", target }];
  }

  /** Some registers get values up front (r0 always, so every exit has a result). */
  prologue(regs: readonly number[]): Stmt[] {
    const out: Stmt[] = [];
    for (const r of regs) {
      if (r !== 0 && !this.rng.chance(0.8)) continue;
      out.push(this.rng.chance(0.5)
        ? { k: "lddw", dst: r, value: this.rng.value64() }
        : { k: "op", insn: insn(Cls.ALU64 | AluOp.MOV | Src.K, r, 0, 0, this.rng.imm32()) });
    }
    return out;
  }

  unit(scope: Scope, entry: FlowState, regs: readonly number[], size: number): Stmt[] {
    const pro = this.prologue(regs);
    let st = entry;
    for (const s of pro) st = stepStmt(scope.flow, st, s);
    this.left = size;
    const body: Stmt[] = [];
    while (this.left > 0) {
      const made = this.block({ ...scope }, st, this.left);
      for (const stmt of made.stmts) body.push(stmt);
      st = made.st;
    }
    return [...pro, ...body];
  }
}

/** Frames per subprogram count: main + the deepest chain stays within 512 bytes. */
const SUB_FRAME = [0, 256, 128, 64] as const;

export function generateProgram(rng: Random, options: GenerateOptions = {}): FuzzProgram {
  const maxStmts = options.maxStmts ?? 40;
  if (!Number.isSafeInteger(maxStmts) || maxStmts < 1 || maxStmts > MAX_STMTS) {
    throw new RangeError(`maxStmts must be an integer from 1 to ${MAX_STMTS}, got ${maxStmts}`);
  }
  const nSubs = rng.int(Math.min(options.maxSubs ?? 2, 3) + 1);
  const memLen = rng.pick([8, 16, 32, 64, 128, 256]);
  const frame = nSubs ? 256 : 512;
  const subFrame = SUB_FRAME[nSubs]!;
  const subs: Subprogram[] = Array.from({ length: nSubs }, () => ({ arity: rng.int(6), frame: subFrame, body: [] }));
  const gen = new Generator(rng, { memLen, subs });
  // Last first, so a call from subprogram i to j > i sees j's arity (decided above) — bodies
  // do not depend on each other beyond that.
  for (let i = nSubs; i >= 1; i--) {
    const flow: FlowContext = { unit: i, frame: subFrame, memLen: 0, reserved: bit(10), subs };
    const scope: Scope = { flow, loopDepth: 0, ifDepth: 0, calls: i < nSubs };
    const body = gen.unit(scope, subEntry(subs[i - 1]!.arity), [0, 6, 7, 8, 9], rng.range(1, Math.max(1, maxStmts >> 2)));
    subs[i - 1] = { ...subs[i - 1]!, body };
  }
  const memoryAtomics = options.memoryAtomics === true;
  const flow: FlowContext = { unit: 0, frame, memLen, reserved: bit(10) | bit(MEM_REG), subs, memoryAtomics };
  const main = gen.unit({ flow, loopDepth: 0, ifDepth: 0, calls: nSubs > 0 }, MAIN_ENTRY, [0, 1, 6, 7, 8], rng.range(1, maxStmts));
  return memoryAtomics ? { memLen, frame, main, subs, memoryAtomics } : { memLen, frame, main, subs };
}

/** The input for one run: random memory (the dump area zeroed) and r2..r5. */
export interface FuzzInput {
  readonly memory: Uint8Array;
  /** r1..r5 at entry; r1 is replaced by the memory's address when run. */
  readonly args: readonly bigint[];
}

export function generateInput(rng: Random, program: FuzzProgram, regionLen: number): FuzzInput {
  const memory = new Uint8Array(regionLen);
  memory.set(rng.bytes(program.memLen));
  // Conformance convention: r2 = length of the memory; r3..r5 anything.
  return { memory, args: [0n, BigInt(regionLen), rng.value64(), rng.value64(), rng.value64()] };
}

