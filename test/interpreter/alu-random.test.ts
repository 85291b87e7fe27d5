// Every ALU and jump handler against a BigInt model of RFC 9669 / kernel semantics, on edge
// values and seeded random operands (register and immediate forms). The model is deliberately
// written the slow, obvious way.
import { describe, expect, it } from "vitest";
import { Interpreter } from "../../vm/interpreter/index.js";
import { conformanceInput, conformanceMachine } from "../../vm/conformance/run.js";
import { insn, type Insn } from "../../vm/isa/instruction.js";
import type { AluName, CondName } from "../../vm/isa/table.js";

const M64 = (1n << 64n) - 1n;
const M32 = 0xffffffffn;
const u64 = (v: bigint) => v & M64;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const s32 = (v: bigint) => BigInt.asIntN(32, v);
const tdiv = (a: bigint, b: bigint) => a / b; // BigInt division truncates toward zero

function alu(op: AluName, wide: boolean, a: bigint, b: bigint): bigint {
  const bits = wide ? 64n : 32n;
  const mask = wide ? M64 : M32;
  const sx = wide ? s64 : s32;
  const x = a & mask;
  const y = b & mask;
  let r: bigint;
  switch (op) {
    case "add": r = x + y; break;
    case "sub": r = x - y; break;
    case "mul": r = x * y; break;
    case "div": r = y === 0n ? 0n : x / y; break;
    case "mod": r = y === 0n ? x : x % y; break;
    case "sdiv": r = y === 0n ? 0n : tdiv(sx(x), sx(y)); break;
    case "smod": r = y === 0n ? x : sx(x) - tdiv(sx(x), sx(y)) * sx(y); break;
    case "or": r = x | y; break;
    case "and": r = x & y; break;
    case "xor": r = x ^ y; break;
    case "mov": r = y; break;
    case "lsh": r = x << (y & (bits - 1n)); break;
    case "rsh": r = x >> (y & (bits - 1n)); break;
    case "arsh": r = sx(x) >> (y & (bits - 1n)); break;
  }
  return r & mask;
}

function cond(c: CondName, wide: boolean, a: bigint, b: bigint): boolean {
  const mask = wide ? M64 : M32;
  const sx = wide ? s64 : s32;
  const x = a & mask, y = b & mask;
  switch (c) {
    case "jeq": return x === y;
    case "jne": return x !== y;
    case "jset": return (x & y) !== 0n;
    case "jgt": return x > y;
    case "jge": return x >= y;
    case "jlt": return x < y;
    case "jle": return x <= y;
    case "jsgt": return sx(x) > sx(y);
    case "jsge": return sx(x) >= sx(y);
    case "jslt": return sx(x) < sx(y);
    case "jsle": return sx(x) <= sx(y);
  }
}

const ALU_CODES: Record<AluName, [number, number]> = {
  add: [0x00, 0], sub: [0x10, 0], mul: [0x20, 0], div: [0x30, 0], sdiv: [0x30, 1], or: [0x40, 0], and: [0x50, 0],
  lsh: [0x60, 0], rsh: [0x70, 0], mod: [0x90, 0], smod: [0x90, 1], xor: [0xa0, 0], mov: [0xb0, 0], arsh: [0xc0, 0],
};
const COND_CODES: Record<CondName, number> = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
};

const lddw = (dst: number, v: bigint): Insn[] => [
  insn(0x18, dst, 0, 0, Number(BigInt.asIntN(32, v))),
  insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
];
const EXIT = insn(0x95);

/** xorshift64*: deterministic operands. */
function rng(seed: bigint) {
  let s = seed;
  return (): bigint => {
    s ^= s >> 12n; s ^= (s << 25n) & M64; s ^= s >> 27n;
    return (s * 0x2545f4914f6cdd1dn) & M64;
  };
}

const EDGES = [0n, 1n, 2n, 3n, 7n, 31n, 32n, 33n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  0x7fffffffffffffffn, 0x8000000000000000n, M64, M64 - 1n, 0xfffffffe00000000n, 0x123456789abcdef0n];

function operands(seed: bigint): Array<[bigint, bigint]> {
  const next = rng(seed);
  const pairs: Array<[bigint, bigint]> = [];
  for (const a of EDGES) for (const b of EDGES) pairs.push([a, b]);
  for (let i = 0; i < 120; i++) {
    const a = next(), b = next();
    // Mix in small and 32-bit values: the fast paths live there.
    pairs.push([a, b], [a & M32, b & M32], [s64(a & 0xffffn) , b & 0xffn], [u64(s32(a)), u64(s32(b))]);
  }
  return pairs;
}

const machine = conformanceMachine();
const interp = new Interpreter();
const input = conformanceInput(machine, new Uint8Array(0));
const run = (insns: Insn[]): bigint => interp.loadSync({ insns }, machine).run(input);

describe("ALU handlers against a BigInt model", () => {
  for (const [op, [code, off]] of Object.entries(ALU_CODES) as Array<[AluName, [number, number]]>) {
    for (const wide of [true, false]) {
      const klass = wide ? 0x07 : 0x04;
      it(`${op}${wide ? "64" : "32"} register and immediate forms`, () => {
        const pairs = operands(BigInt(code + off + (wide ? 1000 : 0)) + 12345n);
        for (const [a, b] of pairs) {
          const viaReg = run([...lddw(0, a), ...lddw(1, b), insn(klass | code | 0x08, 0, 1, off, 0), EXIT]);
          expect([op, wide, a, b, viaReg]).toEqual([op, wide, a, b, alu(op, wide, a, b)]);
          const imm = BigInt.asIntN(32, b);
          const viaImm = run([...lddw(0, a), insn(klass | code, 0, 0, off, Number(imm)), EXIT]);
          // K operands are the imm sign-extended to 64 bits (32-bit ops use its low word).
          expect([op, wide, a, imm, viaImm]).toEqual([op, wide, a, imm, alu(op, wide, a, u64(imm))]);
        }
      });
    }
  }
});

describe("jump handlers against a BigInt model", () => {
  for (const [c, code] of Object.entries(COND_CODES) as Array<[CondName, number]>) {
    for (const wide of [true, false]) {
      const klass = wide ? 0x05 : 0x06;
      it(`${c}${wide ? "" : "32"} register and immediate forms`, () => {
        const pairs = operands(BigInt(code) + (wide ? 77n : 99n));
        const prog = (jmp: Insn, setup: Insn[]) => [insn(0xb7, 0, 0, 0, 2), ...setup, jmp, EXIT, insn(0xb7, 0, 0, 0, 1), EXIT];
        for (const [a, b] of pairs) {
          const viaReg = run(prog(insn(klass | code | 0x08, 1, 2, 1, 0), [...lddw(1, a), ...lddw(2, b)])) === 1n;
          expect([c, wide, a, b, viaReg]).toEqual([c, wide, a, b, cond(c, wide, a, b)]);
          const imm = BigInt.asIntN(32, b);
          const viaImm = run(prog(insn(klass | code, 1, 0, 1, Number(imm)), lddw(1, a))) === 1n;
          expect([c, wide, a, imm, viaImm]).toEqual([c, wide, a, imm, cond(c, wide, a, u64(imm))]);
        }
      });
    }
  }
});
