// 64-bit div/mod/sdiv/smod with a register divisor take a 32-bit path when both operands fit in
// 32 bits (jit/lower/alu.ts, bothFit32). Operands on each side of 2^32 check that the path is
// chosen right; the expected values are the kernel's rules written out with BigInt, so a wrong
// answer cannot pass by agreeing with the interpreter.

import { describe, expect, it } from "vitest";
import { A, AluOp, both } from "./util.js";

const U = (v: bigint): bigint => BigInt.asUintN(64, v);
const S = (v: bigint): bigint => BigInt.asIntN(64, v);

/** RFC 9669 §4.1 with the kernel's answers for a zero divisor and INT_MIN / -1. */
const RULES: Record<string, (a: bigint, b: bigint) => bigint> = {
  div: (a, b) => (b === 0n ? 0n : a / b),
  mod: (a, b) => (b === 0n ? a : a % b),
  sdiv: (a, b) => (b === 0n ? 0n : U(S(a) === -(1n << 63n) && S(b) === -1n ? S(a) : S(a) / S(b))),
  smod: (a, b) => (b === 0n ? a : U(S(b) === -1n ? 0n : S(a) % S(b))),
};

const OPS: Array<[string, number, number]> = [
  ["div", AluOp.DIV, 0], ["mod", AluOp.MOD, 0], ["sdiv", AluOp.DIV, 1], ["smod", AluOp.MOD, 1],
];

const AROUND_2_32 = [0n, 1n, 3n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100000001n,
  0x1ffffffffn, 0xfffffffffn, 0x8000000000000000n, 0xffffffff00000000n, 0xffffffffffffffffn, 0xfffffffffffffff9n];
const PAIRS = AROUND_2_32.flatMap((a) => AROUND_2_32.map((b) => [a, b]));

describe("64-bit division with register operands around 2^32", () => {
  for (const [name, op, off] of OPS) {
    it(name, async () => {
      const prog = [A.mov64r(0, 1), A.alu64r(op, 0, 2, off), A.exit()];
      const results = await both(prog, PAIRS);
      results.forEach(([interp, jit], k) => {
        const [a, b] = PAIRS[k]!;
        const expected = "0x" + RULES[name]!(a!, b!).toString(16);
        expect(interp, `${name} ${a} ${b} (interpreter)`).toBe(expected);
        expect(jit, `${name} ${a} ${b} (jit)`).toBe(expected);
      });
    });
  }
});
