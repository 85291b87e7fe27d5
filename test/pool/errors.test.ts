// A worker that throws ends that run with the error (naming the CPU and the program), the other
// workers stop at their next chunk, and the pool stays usable: the next runs, of the same program
// on packets that do not fault and of another program, complete with exact results.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { BpfError, BpfRuntimeError } from "../../vm/errors.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { poolFor, type PoolFixture } from "./fixture.js";

// XDP_PASS, except for packets of exactly 61 bytes: those load from an address far outside the
// memory — a wasm trap in the JIT, a fault in the interpreter (which checks every access).
const FAULTY = `
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  sub %r3, %r2
  jne %r3, 61, +3
  lddw %r5, 0x7ffffff0
  ldxdw %r0, [%r5+0]
  mov %r0, 2
  exit
`;
// The packet's length minus 58 as the verdict: 60 bytes → XDP_PASS, 61 → XDP_TX, 62 → XDP_REDIRECT.
const LENGTH = `
  ldxw %r2, [%r1+0]
  ldxw %r0, [%r1+4]
  sub %r0, %r2
  sub %r0, 58
  exit
`;

const frames = (lengths: number[]): Uint8Array[] => lengths.map((n, i) => new Uint8Array(n).fill(i & 0xff));

describe("pool errors", () => {
  let fx: PoolFixture;
  const packets = frames(Array.from({ length: 4000 }, (_, i) => (i === 2500 ? 61 : 60 + (i % 3 === 0 ? 2 : 0))));
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    fx = await poolFor("xdp", [], packets, 2);
    for (const engine of ["jit", "interpreter"] as const) {
      programs[`faulty-${engine}`] = await fx.pool.load({ insns: assemble(FAULTY), name: "faulty" }, { engine });
      programs[`length-${engine}`] = await fx.pool.load({ insns: assemble(LENGTH), name: "length" }, { engine });
    }
  }, 120_000);
  afterAll(async () => fx?.pool.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: a faulting packet fails the run; the pool keeps working`, async () => {
      const faulty = programs[`faulty-${engine}`]!;
      const error = await fx.pool.run(faulty, { workers: 2, chunk: 64 }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(BpfRuntimeError);
      expect((error as Error).message).toMatch(/run of 'faulty' failed: CPU [01]: program 'faulty': /);
      // Every worker is still there and runs the same program on the packets before the bad one.
      const before = await fx.pool.run(faulty, { workers: 2, packets: 2500, chunk: 64 });
      expect(before.verdicts).toEqual({ XDP_PASS: 2500 });
      // And another program over everything, exactly.
      const lengths = await fx.pool.run(programs[`length-${engine}`]!, { workers: 2 });
      const names: Record<number, string> = { 60: "XDP_PASS", 61: "XDP_TX", 62: "XDP_REDIRECT" };
      const want: Record<string, number> = {};
      for (const p of packets) want[names[p.length]!] = (want[names[p.length]!] ?? 0) + 1;
      expect(lengths.verdicts).toEqual(want);
      expect(lengths.perCpu.reduce((n, c) => n + c.packets, 0)).toBe(packets.length);
    }, 60_000);
  }

  it("refuses what it cannot do, naming it", async () => {
    const p = programs["length-jit"]!;
    await expect(fx.pool.run(p, { workers: 3 })).rejects.toThrow(/workers must be 1..2, got 3/);
    await expect(fx.pool.run(p, { first: -1 })).rejects.toThrow(BpfError);
    await expect(fx.pool.run(p, { schedule: "tasks", workers: 1 })).rejects.toThrow(/schedule "tasks" uses every worker/);
    expect(() => fx.pool.loadCorpus(new Array(10_000_000).fill(new Uint8Array(60)))).toThrow(/corpus region/);
  });
});
