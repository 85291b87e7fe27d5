// A worker that throws ends that run with the error (naming the CPU and the program), the other
// workers stop at their next chunk, and the pool stays usable: the next runs, of the same program
// on packets that do not fault and of another program, complete with exact results.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { BpfError, BpfRuntimeError } from "../../vm/errors.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { FAULT_LENGTHS, FAULTY, LENGTH, LENGTH_VERDICTS } from "./fault-programs.js";
import { poolFor, type PoolFixture } from "./fixture.js";

const frames = (lengths: number[]): Uint8Array[] => lengths.map((n, i) => new Uint8Array(n).fill(i & 0xff));

describe("pool errors", () => {
  let fx: PoolFixture;
  const packets = frames([...FAULT_LENGTHS]);
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
      const want: Record<string, number> = {};
      for (const p of packets) want[LENGTH_VERDICTS[p.length]!] = (want[LENGTH_VERDICTS[p.length]!] ?? 0) + 1;
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
