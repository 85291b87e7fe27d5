// The direct wasm writer (jit/direct/): expressions whose operands lie at the end of the arena
// are not linked but extended in place (arena.ts), so the bytes must not depend on the order the
// lowering happens to build operands in, on a node being used twice, or on tagging; labels of the
// structure plan's `b<j>` / `l<h>` form get arithmetic ids (labels.ts) and must mix with any other
// name. Every case runs the module in V8 as well as comparing bytes.

import { afterEach, describe, expect, it, vi } from "vitest";
import { compile, moduleOf, SYNC_COMPILE_LIMIT } from "../../jit/compile.js";
import { synthetic } from "../../bench/micro/jit-programs.js";
import { baseHelpers } from "../../vm/helpers/index.js";
import { Labels } from "../../jit/direct/labels.js";
import { DirectModule } from "../../jit/direct/module.js";
import type { Expr } from "../../jit/ir.js";
import { branchFor, type Jump } from "../../jit/lower/templates.js";
import { insn } from "../../vm/isa/instruction.js";
import { Cls, JmpOp } from "../../vm/isa/opcodes.js";
import { describe as describeInsn } from "../../vm/isa/table.js";

/** A module exporting `f(a: i64, b: i64) -> i64` with the body `build` makes. */
function moduleWith(build: (m: DirectModule) => Expr, tag = false): { binary: Uint8Array; f: (a: bigint, b: bigint) => bigint; m: DirectModule } {
  const m = new DirectModule();
  const t = m.types;
  const body = build(m);
  if (tag) m.tag(body, 7);
  m.addFunction("f", t.createType([t.i64, t.i64]), t.i64, [t.i64], m.block(null, [body], t.i64));
  m.addFunctionExport("f", "f");
  const binary = m.emitBinary();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>));
  return { binary, f: instance.exports.f as (a: bigint, b: bigint) => bigint, m };
}

describe("DirectModule: operands in any build order give the same bytes", () => {
  // (a - 5) * (b + 1000)
  const inOrder = (m: DirectModule): Expr => {
    const l = m.i64.sub(m.local.get(0, m.types.i64), m.i64.const(5));
    const r = m.i64.add(m.local.get(1, m.types.i64), m.i64.const(1000));
    return m.i64.mul(l, r);
  };
  const reversed = (m: DirectModule): Expr => {
    const r = m.i64.add(m.local.get(1, m.types.i64), m.i64.const(1000n));
    const five = m.i64.const(5);
    const a = m.local.get(0, m.types.i64);
    return m.i64.mul(m.i64.sub(a, five), r);
  };

  it("in order, reversed, and with a node built and never used", () => {
    const a = moduleWith(inOrder);
    const b = moduleWith(reversed);
    const c = moduleWith((m) => {
      m.i64.const(99); // unused: never written
      return inOrder(m);
    });
    expect(b.binary).toEqual(a.binary);
    expect(c.binary).toEqual(a.binary);
    expect(a.f(12n, 3n)).toBe(7n * 1003n);
    expect(b.f(12n, 3n)).toBe(7n * 1003n);
  });

  it("a node used twice is written twice", () => {
    const { f } = moduleWith((m) => {
      const a = m.local.get(0, m.types.i64);
      const sum = m.i64.add(a, a); // the same node as both operands
      return m.i64.add(sum, sum);
    });
    expect(f(5n, 0n)).toBe(20n);
  });

  it("a node used twice at every level is written 2^16 times: more than the writer's first room for it", () => {
    const { f, binary } = moduleWith((m) => {
      let sum = m.local.get(0, m.types.i64);
      for (let k = 0; k < 16; k++) sum = m.i64.add(sum, sum);
      return sum;
    });
    expect(binary.length).toBeGreaterThan(2 * 65536);
    expect(f(3n, 0n)).toBe(3n << 16n);
  });

  it("an `if` whose arms are built before its condition, and a tagged operand", () => {
    const build = (m: DirectModule): Expr => {
      const yes = m.i64.const(1);
      const no = m.i64.sub(m.i64.const(0), m.local.get(1, m.types.i64));
      const cond = m.i64.lt_s(m.local.get(0, m.types.i64), m.local.get(1, m.types.i64));
      return m.if(cond, yes, no);
    };
    const plain = moduleWith(build);
    const tagged = moduleWith(build, true);
    expect(tagged.binary).toEqual(plain.binary);
    expect(plain.f(1n, 2n)).toBe(1n);
    expect(plain.f(3n, 2n)).toBe(-2n);
    // The tagged expression's code starts where the function's body does (after the locals).
    const { offsets, insns } = tagged.m.sourceMap;
    expect([...insns]).toEqual([-1, 7]);
    expect(offsets[1]!).toBeGreaterThan(offsets[0]!);
  });

  it("a tagged node stays a mark wherever it becomes an operand (first, second, in a list)", () => {
    const shapes: Array<(m: DirectModule, x: Expr) => Expr> = [
      (m, x) => m.i64.add(x, m.local.get(1, m.types.i64)),
      (m, x) => m.i64.add(m.local.get(1, m.types.i64), x),
      (m, x) => m.block(null, [x], m.types.i64),
      (m, x) => m.i64.sub(m.i64.add(x, m.i64.const(1)), m.local.get(1, m.types.i64)),
    ];
    for (const shape of shapes) {
      const built = (tag: boolean) =>
        moduleWith((m) => {
          const x = m.i64.mul(m.local.get(0, m.types.i64), m.i64.const(3));
          if (tag) m.tag(x, 3);
          return shape(m, x);
        });
      const [plain, tagged] = [built(false), built(true)];
      expect(tagged.binary).toEqual(plain.binary);
      expect([...tagged.m.sourceMap.insns]).toEqual([-1, 3]);
      expect([...plain.m.sourceMap.insns]).toEqual([-1]);
    }
  });

  it("i64 constants: numbers within the safe range, bigints modulo 2^64, and a refusal", () => {
    const cases: Array<[bigint | number, bigint]> = [
      [0, 0n],
      [-1, -1n],
      [0x7fffffff, 0x7fffffffn],
      [-0x80000000, -0x80000000n],
      [2 ** 40 + 3, 2n ** 40n + 3n],
      [-(2 ** 53) + 1, -(2n ** 53n) + 1n],
      [2n ** 63n, -(2n ** 63n)],
      [0xffffffffffffffffn, -1n],
    ];
    for (const [value, expected] of cases) expect(moduleWith((m) => m.i64.const(value)).f(0n, 0n)).toBe(expected);
    expect(() => moduleWith((m) => m.i64.const(2 ** 60))).toThrow(/not a safe integer/);
  });
});

describe("labels", () => {
  it("b<j> / l<h> get arithmetic ids, other names (leading zeros, words) their own", () => {
    const labels = new Labels();
    const names = ["b0", "l0", "b7", "l7", "b01", "bad", "b", "x1", "done", "l12345"];
    const ids = names.map((n) => labels.id(n));
    expect(new Set(ids).size).toBe(names.length);
    expect(names.map((n) => labels.id(n))).toEqual(ids); // stable
    expect(ids.map((id) => labels.name(id))).toEqual(names);
    const slots = ids.map((id) => labels.slot(id));
    expect(new Set(slots).size).toBe(names.length);
    for (const s of slots) expect(s).toBeLessThan(labels.slots);
  });

  it("branches to both kinds of label resolve to their depths", () => {
    // block $b3 (block $outer (loop $l1 (br_if $b3 (a > 10)) a += 1; (br_if $outer (a == 5)) (br $l1)))
    const { f } = moduleWith((m) => {
      const t = m.types;
      const a = (): Expr => m.local.get(0, t.i64);
      const loop = m.loop(
        "l1",
        m.block(null, [
          m.br("b3", m.i64.gt_s(a(), m.i64.const(10))),
          m.local.set(0, m.i64.add(a(), m.i64.const(1))),
          m.br("outer", m.i64.eq(a(), m.i64.const(5))),
          m.br("l1"),
        ]),
      );
      const outer = m.block("outer", [loop], t.none);
      return m.block(null, [m.block("b3", [outer, m.local.set(0, m.i64.const(100))], t.none), a()], t.i64);
    });
    expect(f(0n, 0n)).toBe(100n); // stops at 5 through $outer, then 100
    expect(f(11n, 0n)).toBe(11n); // leaves through $b3 at once
  });

  it("a branch outside its label's scope is an internal error naming the label", () => {
    expect(() => moduleWith((m) => m.block(null, [m.block("b4", [], m.types.none), m.br("b4"), m.i64.const(0)], m.types.i64))).toThrow(
      /branch to 'b4' outside its scope/,
    );
  });

  it("so is a branch template's label outside its scope (the writer fills those in)", () => {
    const ja = insn(Cls.JMP | JmpOp.JA);
    const template = branchFor(describeInsn(ja) as Jump, ja);
    expect(() =>
      moduleWith((m) => {
        const inner = m.block("b4", [], m.types.none);
        m.templates.open();
        m.templates.add(template, 0, 0, 0, 0, 0, "b4");
        return m.block(null, [inner, m.templates.close(), m.i64.const(0)], m.types.i64);
      }),
    ).toThrow(/branch to 'b4' outside its scope/);
  });
});

describe("moduleOf: the synchronous constructor, asynchronous when the engine says so", () => {
  afterEach(() => vi.unstubAllGlobals());
  const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

  it("compiles with new WebAssembly.Module below the limit", async () => {
    expect(await moduleOf(empty)).toBeInstanceOf(WebAssembly.Module);
  });

  it("falls back to WebAssembly.compile on a RangeError (a browser's main-thread size limit)", async () => {
    const real = WebAssembly;
    const compiled = new real.Module(empty);
    const compile = vi.fn(async () => compiled);
    vi.stubGlobal("WebAssembly", {
      ...real,
      Module: function () {
        throw new RangeError("WebAssembly.Module(): Buffer size is larger than the limit");
      },
      compile,
    });
    expect(await moduleOf(empty)).toBe(compiled);
    expect(compile).toHaveBeenCalledOnce();
  });

  it("goes asynchronous above the limit, and rethrows a real compile error", async () => {
    const real = WebAssembly;
    const compile = vi.fn(async () => new real.Module(empty));
    vi.stubGlobal("WebAssembly", { ...real, compile });
    await moduleOf(new Uint8Array(SYNC_COMPILE_LIMIT + 1));
    expect(compile).toHaveBeenCalledOnce();
    vi.unstubAllGlobals();
    await expect(moduleOf(new Uint8Array([1, 2, 3, 4]))).rejects.toBeInstanceOf(WebAssembly.CompileError);
  });
});

describe("the writer's memory", () => {
  it("is never grown: a larger program gets a new memory (growing one detaches its ArrayBuffer, which slows V8's typed arrays process-wide)", async () => {
    const grow = vi.spyOn(WebAssembly.Memory.prototype, "grow");
    try {
      const target = { pages: 1, shared: false, helpers: baseHelpers() };
      const small = await compile(synthetic(1_000, 3), target);
      const large = await compile(synthetic(50_000, 3), target); // far beyond the first memory
      expect(grow).not.toHaveBeenCalled();
      expect(WebAssembly.validate(small.binary as Uint8Array<ArrayBuffer>)).toBe(true);
      expect(WebAssembly.validate(large.binary as Uint8Array<ArrayBuffer>)).toBe(true);
      // Written again (on the large memory), the same code: only the module's unique name differs.
      const again = await compile(synthetic(1_000, 3), target);
      expect(again.sourceMap).toEqual(small.sourceMap);
      expect(again.binary.length).toBe(small.binary.length);
    } finally {
      grow.mockRestore();
    }
  });
});
