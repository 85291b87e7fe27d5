// Line terminators the split on \r?\n leaves inside a line (a lone \r, U+2028, U+2029) are white
// space between operands, as they are at the ends of a line (trim). The mnemonic/operand split
// used to stop at them and crash with a TypeError (found by mutating conformance .data files).

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { parseDataFile } from "../../vm/conformance/datafile.js";
import { BpfError } from "../../vm/errors.js";

describe("stray line terminators inside a line", () => {
  it.each(["\r", "\u2028", "\u2029"])("%j between operands is white space", (t) => {
    expect(assemble(`stxb [%r0], ${t}%r1`)).toEqual(assemble("stxb [%r0], %r1"));
    expect(assemble(`mov %r0,${t}1 ${t}`)).toEqual(assemble("mov %r0, 1"));
  });

  it("text after one is still judged: a BpfError with the line", () => {
    let err: unknown;
    try {
      assemble("exit\nstxb [%r0], %r1 \r 7");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    expect((err as BpfError).where.line).toBe(2);
    expect((err as BpfError).message).toContain("unexpected '7' after the operands");
  });

  it("a .data file with a lone \\r in its asm refuses with the file name and line", () => {
    const text = "-- asm\nmov %r0, 1\nstxb [%r1], %r0 \r 99\nexit\n-- result\n0x1\n";
    expect(() => parseDataFile(text, "cr")).toThrow(/^cr: line 3: unexpected '99' after the operands/);
  });
});
