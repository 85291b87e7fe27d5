// Jump distances kept in imm (`ja32`, `call local`, `lddw func`) are signed 32-bit slot counts.
// The u32 bit-pattern spelling that 32-bit immediates allow (0xffffffff = -1) does not apply to
// them: `ja32 0xffffffff` used to assemble to an Insn whose imm was 4294967295, outside the s32
// every other part of the runtime assumes (found by a random-token assembler sweep).

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import type { BpfError } from "../../vm/errors.js";
import { refusal } from "../refusal.js";

const refused = (src: string): BpfError => refusal(() => assemble(src));

describe("jump distances in imm", () => {
  const S32 = "does not fit in s32 range (-2147483648..2147483647)";
  it.each([
    ["ja32 0xffffffff", "ja32 0xffffffff"],
    ["ja32 +2147483648", "ja32 +2147483648"],
    ["ja32 -2147483649", "ja32 -2147483649"],
    ["call local 0x80000000", "call local 0x80000000"],
    ["lddw %r1, func 4294967295", "lddw %r1, func 4294967295"],
  ])("%s is refused with the line and the range", (src, text) => {
    const e = refused(src);
    expect(e.where.line).toBe(1);
    expect(e.message).toContain(S32);
    expect(e.message).toContain(`in '${text}'`);
  });

  it.each([
    ["ja32 +2147483647", 2147483647],
    ["ja32 -2147483648", -2147483648],
    ["ja32 -1", -1],
    ["call local +0", 0],
  ])("%s keeps its s32 distance", (src, imm) => {
    expect(assemble(src)[0]!.imm).toBe(imm);
  });

  it("32-bit immediates still take u32 bit patterns", () => {
    expect(assemble("mov %r0, 0xffffffff")[0]!.imm).toBe(-1);
    expect(assemble("call 0xffffffff")[0]!.imm).toBe(-1);
  });
});
