// Compile once, instantiate per CPU (jit/modules.ts): one WebAssembly.Module instantiated twice
// on one shared memory — on two machine views in this thread, and in a real worker thread —
// running XDP batches (runBatch with a ctx) over packets in the shared corpus region, with exact
// per-CPU map values, an exact shared counter, and the verdicts the interpreter gives.
// The worker thread runs the build in dist/ (`npm test` builds first).

import { existsSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { JitProgram } from "../../jit/engine.js";
import { compileModule, instantiate, type JitModule } from "../../jit/modules.js";
import { assemble } from "../../vm/asm/index.js";
import type { BatchInput } from "../../vm/engine.js";
import { loadMapsModule } from "../../vm/maps/load.node.js";
import { attachMachine, describeMachine, type RuntimeMachine } from "../../vm/runtime/machine.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { interp, readU64, u32 } from "./runtime.js";

const ROOT = join(import.meta.dirname, "..", "..");
const DIST = join(ROOT, "dist");

const MAPS = [
  { name: "perCpu", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 2 },
  { name: "total", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 },
] as const;

/**
 * XDP: drop (1) a packet whose byte 14 is odd, else pass (2); count the verdict in this CPU's
 * perCpu[verdict - 1] (inlined lookup) and every packet in total[0] (hash, atomic add).
 */
const SOURCE = `
  ldxw %r2, [%r1]
  ldxw %r3, [%r1+4]
  mov %r6, 2
  mov %r4, %r2
  add %r4, 15
  jgt %r4, %r3, count
  ldxb %r4, [%r2+14]
  and %r4, 1
  jeq %r4, 0, count
  mov %r6, 1
  count:
  mov %r7, %r6
  sub %r7, 1
  stxw [%r10-4], %r7
  lddw %r1, map_fd 0
  mov %r2, %r10
  add %r2, -4
  call 1
  jeq %r0, 0, total
  mov %r1, 1
  lock add [%r0], %r1
  total:
  stw [%r10-4], 0
  lddw %r1, map_fd 1
  mov %r2, %r10
  add %r2, -4
  call 1
  jeq %r0, 0, out
  mov %r1, 1
  lock add [%r0], %r1
  out:
  mov %r0, %r6
  exit`;

const PACKETS = 2000;

interface Corpus {
  readonly descAddr: number;
  readonly results: readonly number[];
  /** Expected verdict per packet. */
  readonly verdicts: readonly bigint[];
}

/** PACKETS packets of 20..83 bytes in the corpus region, their descriptors, and two result arrays (one per CPU). */
function writeCorpus(m: RuntimeMachine): Corpus {
  const bytes = new Uint8Array(m.memory.buffer);
  const view = new DataView(m.memory.buffer);
  let at = m.layout.corpusBase;
  const descAddr = at;
  at += PACKETS * 8;
  const verdicts: bigint[] = [];
  for (let k = 0; k < PACKETS; k++) {
    const len = 20 + (k % 64);
    for (let b = 0; b < len; b++) bytes[at + b] = (k * 7 + b * 13) & 0xff;
    view.setUint32(descAddr + 8 * k, at, true);
    view.setUint32(descAddr + 8 * k + 4, len, true);
    verdicts.push(bytes[at + 14]! & 1 ? 1n : 2n);
    at += len;
  }
  at = Math.ceil(at / 8) * 8;
  return { descAddr, results: [at, at + PACKETS * 8], verdicts };
}

const batch = (m: RuntimeMachine, c: Corpus, cpu: number): BatchInput => ({
  descAddr: c.descAddr,
  count: PACKETS,
  resultsAddr: c.results[cpu]!,
  cpu,
  ctx: { addr: m.layout.cpu(cpu).ctx, dataOff: 0, dataEndOff: 4 },
});

const results = (m: RuntimeMachine, addr: number): bigint[] => [...new BigUint64Array(m.memory.buffer, addr, PACKETS)];

function sharedMachine(): { m: RuntimeMachine; corpus: Corpus } {
  const m = createNodeMachine({ type: "xdp", maps: [...MAPS], cpus: 2, packetMax: 256, shared: true, corpusSize: 1 << 18 });
  return { m, corpus: writeCorpus(m) };
}

/** What the maps must hold after one batch on each CPU: drops and passes per CPU, packets in total. */
function expectCounts(m: RuntimeMachine, corpus: Corpus): void {
  const drops = BigInt(corpus.verdicts.filter((v) => v === 1n).length);
  const passes = BigInt(PACKETS) - drops;
  expect(m.maps.perCpu("perCpu").lookup(u32(0))!.map(readU64)).toEqual([drops, drops]);
  expect(m.maps.perCpu("perCpu").lookup(u32(1))!.map(readU64)).toEqual([passes, passes]);
  expect(readU64(m.maps.keyed("total").lookup(u32(0))!)).toBe(2n * BigInt(PACKETS));
}

describe("one compiled module, instantiated per CPU on one shared memory", () => {
  it("two machine views in this thread: exact per-CPU results, and the interpreter's verdicts", async () => {
    const { m, corpus } = sharedMachine();
    m.maps.keyed("total").update(u32(0), new Uint8Array(8));
    const jm = await compileModule({ insns: assemble(SOURCE), name: "count" }, m);
    expect(jm.plan).toMatchObject({ memory: { pages: m.layout.pages, shared: true }, helpers: [], mapExports: ["hash_lookup"] });
    // CPU 1 runs on a second view of the same machine, as a worker would (its own link and maps runtime instance).
    const view = attachMachine(describeMachine(m), m.memory, loadMapsModule(true));
    const cpu0 = await instantiate(jm, m, 0);
    const cpu1 = await instantiate(jm, view, 1);
    cpu0.runBatch(batch(m, corpus, 0));
    cpu1.runBatch(batch(view, corpus, 1));
    expect(results(m, corpus.results[0]!)).toEqual(corpus.verdicts);
    expect(results(m, corpus.results[1]!)).toEqual(corpus.verdicts);
    expectCounts(m, corpus);
    // The interpreter gives the same verdicts, packet by packet.
    const r = new PacketRunner(m, interp.loadSync({ insns: assemble(SOURCE), name: "count" }, m));
    const view8 = new DataView(m.memory.buffer);
    for (let k = 0; k < 200; k++) {
      const ptr = view8.getUint32(corpus.descAddr + 8 * k, true);
      const len = view8.getUint32(corpus.descAddr + 8 * k + 4, true);
      expect(r.run(new Uint8Array(m.memory.buffer, ptr, len).slice()).retval).toBe(corpus.verdicts[k]);
    }
  });

  it("a bare WebAssembly.Module (as a pool may post it) instantiates with its plan read back from the module", async () => {
    const { m, corpus } = sharedMachine();
    m.maps.keyed("total").update(u32(0), new Uint8Array(8));
    const jm = await compileModule({ insns: assemble(SOURCE), name: "count" }, m);
    const bare = await JitProgram.instantiate({ module: jm.module }, m, "count", jm.insns, { cpu: 1 });
    expect(bare.compiled.plan).toEqual({ ...jm.plan, memory: bare.compiled.plan.memory });
    bare.runBatch(batch(m, corpus, 1));
    expect(results(m, corpus.results[1]!)).toEqual(corpus.verdicts);
  });

  it("runBatch with an __sk_buff ctx (data 76, data_end 80): LD_ABS reads each packet, on the instantiated CPU", async () => {
    const m = createNodeMachine({ type: "socket_filter", cpus: 2, packetMax: 256, shared: true, corpusSize: 1 << 18 });
    const corpus = writeCorpus(m);
    const jm = await compileModule({ insns: assemble("mov %r6, %r1\nldabsb 14\nmov %r7, %r0\nldabsw 60\nadd %r0, %r7\nexit"), name: "skb" }, m);
    const prog = await instantiate(jm, m, 1);
    prog.runBatch({ descAddr: corpus.descAddr, count: PACKETS, resultsAddr: corpus.results[1]!, ctx: { addr: m.layout.cpu(1).ctx, dataOff: 76, dataEndOff: 80 } });
    const view = new DataView(m.memory.buffer);
    const want = Array.from({ length: PACKETS }, (_, k) => {
      const ptr = view.getUint32(corpus.descAddr + 8 * k, true);
      const len = view.getUint32(corpus.descAddr + 8 * k + 4, true);
      // ldabsw 60 is past the packets shorter than 64 bytes: the run ends there with r0 = 0.
      return len >= 64 ? BigInt(view.getUint8(ptr + 14) + view.getUint32(ptr + 60, false)) : 0n;
    });
    expect(results(m, corpus.results[1]!)).toEqual(want);
    expect(want.filter((v) => v !== 0n).length).toBeGreaterThan(PACKETS / 4);
  });

  it("refuses a machine whose memory the module was not compiled for, saying why", async () => {
    const { m } = sharedMachine();
    const jm = await compileModule({ insns: assemble(SOURCE), name: "count" }, m);
    const unshared = createNodeMachine({ type: "xdp", maps: [...MAPS], cpus: 2, packetMax: 256, corpusSize: 1 << 18 });
    await expect(instantiate(jm, unshared, 0)).rejects.toThrow(/compiled for a shared memory of at least \d+ pages; this machine has an unshared memory/);
  });

  it("a worker thread instantiates the posted module (no compile) and runs its CPU's batch while this thread runs the other", async () => {
    if (!existsSync(join(DIST, "jit", "modules.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
    const { m, corpus } = sharedMachine();
    m.maps.keyed("total").update(u32(0), new Uint8Array(8));
    const jm: JitModule = await compileModule({ insns: assemble(SOURCE), name: "count" }, m);
    const code = `
      const { parentPort, workerData: d } = require("node:worker_threads");
      (async () => {
        const { attachMachine } = await import(d.dist + "/vm/runtime/machine.js");
        const { instantiate } = await import(d.dist + "/jit/modules.js");
        const machine = attachMachine(d.description, d.memory, d.mapsModule);
        const prog = await instantiate(d.jm, machine, 1);
        for (let k = 0; k < d.rounds; k++) prog.runBatch(d.batch);
        parentPort.postMessage({ ok: true });
      })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`;
    const rounds = 20;
    const worker = new Worker(code, {
      eval: true,
      workerData: { dist: DIST, description: describeMachine(m), memory: m.memory, mapsModule: loadMapsModule(true), jm, batch: batch(m, corpus, 1), rounds },
    });
    const done = new Promise<{ ok?: boolean; error?: string }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    const cpu0 = await instantiate(jm, m, 0);
    for (let k = 0; k < rounds; k++) cpu0.runBatch(batch(m, corpus, 0));
    const reply = await done;
    await worker.terminate();
    expect(reply.error).toBeUndefined();
    expect(results(m, corpus.results[0]!)).toEqual(corpus.verdicts);
    expect(results(m, corpus.results[1]!)).toEqual(corpus.verdicts);
    // Concurrent atomic adds on the shared hash value: none lost.
    const drops = BigInt(corpus.verdicts.filter((v) => v === 1n).length) * BigInt(rounds);
    const passes = BigInt(PACKETS * rounds) - drops;
    expect(m.maps.perCpu("perCpu").lookup(u32(0))!.map(readU64)).toEqual([drops, drops]);
    expect(m.maps.perCpu("perCpu").lookup(u32(1))!.map(readU64)).toEqual([passes, passes]);
    expect(readU64(m.maps.keyed("total").lookup(u32(0))!)).toBe(2n * BigInt(PACKETS * rounds));
  });
});
