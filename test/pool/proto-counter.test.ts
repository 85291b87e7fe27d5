// Exact per-CPU results: corpus/programs/proto_counter (a PERCPU_ARRAY indexed by the IPv4
// protocol / IPv6 next header, slot 256 = not IP) run by the pool over a corpus gives, summed over
// CPUs, exactly the per-protocol counts of the corpus — counted independently by proto-key.ts —
// on 1 and N workers, with both schedules and both engines; and each CPU's slots add up to the
// packets that CPU ran (each worker sees its own slot).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PacketLike } from "../../bench/line-rate/corpora.js";
import type { PoolProgram, PoolRun, RunOptions } from "../../vm/pool/index.js";
import { asProgram, corpusProgram, mixedCorpus, poolFor, type PoolFixture } from "./fixture.js";
import { expectedCounts, NOT_IP, SLOTS } from "./proto-key.js";

const CPUS = 4;

const key = (slot: number): Uint8Array => new Uint8Array(new Uint32Array([slot]).buffer);
const u64 = (b: Uint8Array): number => Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));

describe("proto_counter on the pool: exact per-CPU counts", () => {
  let fx: PoolFixture;
  let packets: PacketLike[];
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    packets = mixedCorpus();
    const prog = corpusProgram("proto_counter");
    fx = await poolFor("xdp", prog.maps, packets, CPUS);
    programs["jit"] = await fx.pool.load(asProgram(prog), { engine: "jit" });
    programs["interpreter"] = await fx.pool.load(asProgram(prog), { engine: "interpreter" });
  }, 120_000);
  afterAll(async () => fx?.pool.close());

  /** Every slot's per-CPU values, then zero them for the next run. */
  function readAndReset(): number[][] {
    const map = fx.machine.maps.perCpu("proto_count");
    const values: number[][] = [];
    for (let slot = 0; slot < SLOTS; slot++) {
      values.push(map.lookup(key(slot))!.map(u64));
      map.update(key(slot), new Uint8Array(8));
    }
    return values;
  }

  function checkRun(run: PoolRun, first: number, n: number, workers: number): void {
    const values = readAndReset();
    const expected = expectedCounts(packets, first, n);
    // Summed over CPUs: exactly the corpus' counts, slot by slot.
    expect(values.map((perCpu) => perCpu.reduce((a, b) => a + b, 0))).toEqual(expected);
    // Each CPU's slots add up to what that CPU ran; CPUs that did not take part hold nothing.
    const ranOn = new Map(run.perCpu.map((c) => [c.cpu, c.packets]));
    for (let cpu = 0; cpu < CPUS; cpu++) {
      const total = values.reduce((sum, perCpu) => sum + perCpu[cpu]!, 0);
      expect(total, `CPU ${cpu}`).toBe(ranOn.get(cpu) ?? 0);
    }
    expect(run.perCpu.length).toBeLessThanOrEqual(workers);
    expect(run.packets).toBe(n);
    expect(run.verdicts).toEqual({ XDP_PASS: n });
  }

  const cases: Array<[string, number, RunOptions]> = [
    ["one worker, one pass", 1, {}],
    [`${CPUS} workers, claimed chunks of 97 packets, 2.5 passes from index 11`, CPUS, { first: 11, chunk: 97 }],
    [`${CPUS} workers, tasks of 1000 packets`, CPUS, { schedule: "tasks", taskPackets: 1000 }],
    ["2 workers, small chunks", 2, { chunk: 16 }],
  ];

  for (const engine of ["jit", "interpreter"]) {
    for (const [what, workers, options] of cases) {
      it(`${engine}: ${what}`, async () => {
        const n = options.first !== undefined ? Math.round(packets.length * 2.5) : packets.length;
        const first = options.first ?? 0;
        const run = await fx.pool.run(programs[engine]!, { ...options, workers, packets: n });
        checkRun(run, first, n, workers);
      }, 60_000);
    }
  }

  it("the corpus is counted as the test counts it (a sanity check of the corpus itself)", () => {
    const counts = expectedCounts(packets, 0, packets.length);
    // Not all in one slot: IPv4 TCP and UDP, IPv6, non-IP and truncated frames are all there.
    for (const slot of [6, 17, 58, NOT_IP]) expect(counts[slot], `slot ${slot}`).toBeGreaterThan(10);
  });
});
