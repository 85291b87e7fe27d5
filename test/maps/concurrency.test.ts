// Two workers (CPUs) × 1,000,000 rounds on one shared memory: atomic adds on one HASH value,
// updates of each CPU's own keys in the same HASH racing lockless lookups of them on the other
// CPU (a key being replaced is never missing), a PERCPU_ARRAY counter, queue pushes, and LPM
// trie updates on one CPU racing lockless lookups on the other.
// Exact totals at the end show that no update was lost and no bucket or free list corrupted.

import { Worker } from "node:worker_threads";
import { expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { loadMapsModule } from "../../vm/maps/load.node.js";
import { sumPerCpu } from "../../vm/maps/percpu.js";
import { makeMaps, readU64 } from "./fixture.js";

const CPUS = 2;
const ITERATIONS = 1_000_000;
const DISTINCT = 1000;
const HASH_MAX = 4096;

const runWorker = (workerData: object): Promise<{ failures: number }> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./concurrency.worker.mjs", import.meta.url), { workerData });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });

test(`${CPUS} workers × ${ITERATIONS} map operations end with exact totals`, async () => {
  const { maps, memory, layout } = makeMaps({ cpus: CPUS, shared: true, mapsSize: 8 << 20 });
  const shared = maps.create({ name: "shared", type: "hash", keySize: 8, valueSize: 8, maxEntries: 16 });
  const hash = maps.create({ name: "keys", type: "hash", keySize: 8, valueSize: 8, maxEntries: HASH_MAX });
  const percpu = maps.create({ name: "pc", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 1 });
  const queue = maps.create({ name: "q", type: "queue", keySize: 0, valueSize: 8, maxEntries: CPUS * ITERATIONS / 16 });
  const lpm = maps.create({ name: "lpm", type: "lpm_trie", keySize: 8, valueSize: 4, maxEntries: 1 << 16, flags: abi.BPF_F_NO_PREALLOC });
  maps.keyed("shared").update(0n, 0n);
  // Every CPU's keys exist from the start, so the workers' updates all replace an element, and
  // a lookup of any of them must always find it.
  for (let cpu = 0; cpu < CPUS; cpu++) {
    for (let r = 0; r < DISTINCT; r++) maps.keyed("keys").update((BigInt(cpu + 1) << 32n) | BigInt(r), 0n);
  }
  maps.keyed("lpm").update(new Uint8Array([8, 0, 0, 0, 10, 0, 0, 0]), 8);

  const module = loadMapsModule(true);
  const results = await Promise.all(
    Array.from({ length: CPUS }, (_, cpu) =>
      runWorker({
        module, memory, cpu, cpus: CPUS, iterations: ITERATIONS, distinctKeys: DISTINCT,
        shared: shared.address, hash: hash.address, percpu: percpu.address, queue: queue.address, lpm: lpm.address,
        scratch: layout.cpu(cpu).scratch,
      }),
    ),
  );
  expect(results.map((r) => r.failures)).toEqual([0, 0]);

  // 1. Not one atomic add lost.
  expect(readU64(maps.keyed("shared").lookup(0n))).toBe(BigInt(CPUS * ITERATIONS));

  // 2. Each CPU's keys hold the value of their last update; nothing else is in the map.
  const keys = maps.keyed("keys");
  expect(keys.size).toBe(CPUS * DISTINCT);
  const entries = [...keys.entries()];
  expect(entries.length).toBe(CPUS * DISTINCT);
  for (const [k, v] of entries) {
    const key = readU64(k)!;
    const cpu = Number(key >> 32n) - 1;
    const r = Number(key & 0xffffffffn);
    expect(cpu >= 0 && cpu < CPUS && r < DISTINCT).toBe(true);
    expect(readU64(v)).toBe(BigInt(ITERATIONS - DISTINCT + r));
  }
  // No element leaked from the pool: exactly max_entries - size more keys fit, then -E2BIG.
  let added = 0;
  while (keys.tryUpdate(BigInt(0x7f00000000 + added), 1n, abi.BPF_NOEXIST) === 0) added++;
  expect(added).toBe(HASH_MAX - CPUS * DISTINCT);
  expect(keys.tryUpdate(0x7fffffffffn, 1n)).toBe(-abi.E2BIG);

  // 3. The per-CPU counter: each CPU counted its own rounds.
  const counts = maps.perCpu("pc").lookup(0)!;
  expect(counts.map(readU64)).toEqual(Array(CPUS).fill(BigInt(ITERATIONS)));
  expect(sumPerCpu(counts)).toBe(BigInt(CPUS * ITERATIONS));

  // 4. The queue holds every push, each CPU's in its own order.
  const q = maps.queue("q");
  const next = Array<number>(CPUS).fill(0);
  for (let v = q.pop(); v; v = q.pop()) {
    const x = readU64(v)!;
    const cpu = Number(x >> 32n);
    expect(Number(x & 0xffffffffn)).toBe(next[cpu]);
    next[cpu]!++;
  }
  expect(next).toEqual(Array(CPUS).fill(ITERATIONS / 16));

  // 5. The trie is whole: the /8 plus the /24s CPU 0 added last and did not delete.
  const prefixes = [...maps.keyed("lpm").keys()];
  expect(prefixes.length).toBe(maps.keyed("lpm").size);
  expect(prefixes.filter((k) => k[0] === 8).length).toBe(1);
}, 120_000);
