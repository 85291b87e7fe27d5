// The .data parser: every corpus file, each section kind, and malformed files (named by file
// and line).
import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { parseDataFile } from "../../vm/conformance/datafile.js";
import { BpfError } from "../../vm/errors.js";
import { encode } from "../../vm/isa/instruction.js";
import { corpusFiles } from "./corpus.js";

const files = corpusFiles();
const load = (name: string) => parseDataFile(files.find((f) => f.name === name)!.text, name);

function failure(text: string, name = "t.data"): BpfError {
  try {
    parseDataFile(text, name);
  } catch (e) {
    expect(e).toBeInstanceOf(BpfError);
    return e as BpfError;
  }
  throw new Error("parsed without error");
}

describe("parseDataFile on the corpus", () => {
  it("parses all 313 files; each has a program and a result", () => {
    const tests = files.map((f) => parseDataFile(f.text, f.name));
    expect(tests).toHaveLength(313);
    for (const t of tests) {
      expect(t.insns.length, t.name).toBeGreaterThan(0);
      expect(t.result, t.name).toBeTypeOf("bigint");
      expect(t.errorExpected, t.name).toBeUndefined();
    }
    expect(tests.filter((t) => t.mem.length > 0)).toHaveLength(40);
    expect(tests.filter((t) => t.noRegisterOffset).map((t) => t.name)).toEqual([
      "call_unwind_fail.data",
      "callx.data",
      "mem-len.data",
    ]);
    expect(tests.filter((t) => t.c !== undefined).map((t) => t.name)).toEqual(["prime.data", "subnet.data"]);
    expect(tests.filter((t) => t.raw !== undefined).map((t) => t.name)).toEqual(["lddw.data"]);
  });

  it("reads asm, result, mem and the marker sections", () => {
    const t = load("mem-len.data");
    expect(t.name).toBe("mem-len.data");
    expect(t.asm).toBe("mov %r0, %r2\nexit");
    expect(t.insns).toEqual(assemble("mov %r0, %r2\nexit"));
    expect([...t.mem]).toEqual([0, 0, 0, 1, 0, 0, 0, 2]);
    expect(t.result).toBe(8n);
    expect(t.noRegisterOffset).toBe(true);
  });

  it("reads results as u64, the -- raw section, and keeps C sources with their # lines", () => {
    expect(load("lddw.data").result).toBe(0x1122334455667788n);
    expect(Buffer.from(load("lddw.data").raw!).toString("hex")).toBe(
      "1800000088776655" + "0000000044332211" + "9500000000000000",
    );
    const prime = load("prime.data");
    expect(prime.c).toMatch(/^#include <stdint.h>\n#include <stdbool.h>\n\nuint64_t entry\(uint64_t arg\)/);
    expect(prime.result).toBe(1n);
  });
});

describe("parseDataFile on synthetic files", () => {
  it("takes the program from -- raw when there is no -- asm, and shows its disassembly", () => {
    const t = parseDataFile("-- raw\n0x00000001000000b7\n0x0000000000000095\n-- result\n0x1\n", "raw.data");
    expect(t.insns).toEqual(assemble("mov %r0, 1\nexit"));
    expect(t.asm).toBe("mov %r0, 1\nexit\n");
    expect(t.raw).toEqual(encode(t.insns));
  });

  it("reads -- error instead of -- result, CRLF line ends, comments in mem and result", () => {
    const t = parseDataFile(
      "# header\r\n-- asm\r\nexit\r\n-- mem\r\n00 ff  # bytes\r\nAB\r\n-- error\r\ndivision by zero\r\n",
      "e.data",
    );
    expect(t.errorExpected).toBe("division by zero");
    expect(t.result).toBeUndefined();
    expect([...t.mem]).toEqual([0, 0xff, 0xab]);
    expect(parseDataFile("-- asm\nexit\n-- result\n# the answer\n42\n", "r.data").result).toBe(42n);
    expect(parseDataFile("-- asm\nexit\n-- result\n-1\n", "r.data").result).toBe(0xffffffffffffffffn);
    // An empty -- error section (as upstream's call_runtime.data has) expects no error.
    const empty = parseDataFile("-- asm\nexit\n-- result\n0x0\n-- error\n", "r.data");
    expect(empty.errorExpected).toBeUndefined();
    expect(empty.result).toBe(0n);
  });

  const BAD: ReadonlyArray<[string, string]> = [
    ["-- asm\nexit\n-- results\n1\n", "t.data: line 3: unknown section '-- results'"],
    ["-- asm\nexit\n-- mem\n00 1g\n-- result\n1\n", "t.data: line 4: bad memory byte '1g'"],
    ["-- asm\nexit\n-- mem\n001\n-- result\n1\n", "t.data: line 4: bad memory byte '001'"],
    ["mov %r0, 1\n-- asm\nexit\n-- result\n1\n", "t.data: line 1: text before the first section: 'mov %r0, 1'"],
    ["-- asm\nexit\n-- asm\nexit\n-- result\n1\n", "t.data: line 3: section '-- asm' appears twice (first at line 1)"],
    ["# c\n-- asm\n\nmov %r0, 1\nmovx %r0, 2\nexit\n-- result\n1\n", "t.data: line 5: unknown mnemonic 'movx' in 'movx %r0, 2'"],
    ["-- asm\nexit\n", "t.data: no '-- result' or '-- error' section"],
    ["-- asm\nexit\n-- error\n\n", "t.data: no '-- result' or '-- error' section"],
    ["-- result\n1\n", "t.data: no '-- asm' or '-- raw' section"],
    ["-- asm\n# nothing\n-- result\n1\n", "t.data: line 1: the program is empty"],
    ["-- asm\nexit\n-- result\n0xzz\n", "t.data: line 4: bad result '0xzz'"],
    ["-- asm\nexit\n-- result\n1\n2\n", "t.data: line 5: '-- result' has more than one value ('2')"],
    ["-- asm\nexit\n-- result\n", "t.data: line 3: '-- result' is empty"],
    ["-- asm\nexit\n-- raw\n0x96\n-- result\n1\n", "t.data: line 3: '-- raw' differs from the assembled '-- asm' at slot 0"],
    ["-- asm\nexit\n-- raw\n0x95\n0x95\n-- result\n1\n", "t.data: line 3: '-- raw' has 2 slots but '-- asm' assembles to 1"],
    ["-- raw\n0x1g\n-- result\n1\n", "t.data: line 2: bad raw instruction word '0x1g'"],
  ];

  it.each(BAD)("refuses %j", (text, message) => {
    const e = failure(text);
    expect(e.message).toContain(message);
    const line = /line (\d+):/.exec(message)?.[1];
    expect(e.where.line).toBe(line === undefined ? undefined : Number(line));
  });
});
