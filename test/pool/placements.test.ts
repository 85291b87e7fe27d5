// The JIT's packet driver places __sk_buff packets from contexts the corpus precomputed
// (vm/pool/placements.ts, driver.ts `skb`). Checked here byte for byte against the runtime's own
// ContextWriter: the driver runs a `run` that dumps the CPU's ctx area, scratch area and packet
// bytes after each placement and then scribbles over ctx and scratch (as a program and its
// helpers may), and a fresh machine places the same packets with ContextWriter in the same order,
// scribbling after each; so any word the driver writes differently, or writes when ContextWriter
// does not (or the other way round), shows in some packet's dump.

import { describe, expect, it } from "vitest";
import binaryen from "binaryen";
import { generate } from "../../corpus/gen/index.js";
import { CTX_SIZE, SCRATCH_SIZE } from "../../vm/memory/layout.js";
import { corpusRegionSize, writeCorpus } from "../../vm/pool/index.js";
import { instantiateDriver } from "../../vm/pool/driver.js";
import { PROGRAM_TYPES, type ProgramType } from "../../vm/programs/types.js";
import { ContextWriter } from "../../vm/runtime/context.js";
import { clearRecord } from "../../vm/runtime/record.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { assemble } from "../../vm/asm/index.js";
import { SKB_SK } from "../../vm/runtime/test-run-socket.js";
import { poolFor } from "./fixture.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";

const PACKET_BYTES = 1600;
const DUMP = CTX_SIZE + SCRATCH_SIZE + PACKET_BYTES;
const packets = [
  ...generate("mix:150:seed=11"),
  ...generate("truncated:40:seed=12"),
  ...generate("malformed:40:seed=13"),
].filter((p) => p.data.length <= PACKET_BYTES);

/** What a run leaves in the ctx and scratch areas: a program and its helpers change both. */
const SCRIBBLE = 0xee;

/**
 * `run(r1..r5, fp, cpu)` that copies ctx (r1), the scratch area after it and the packet slot's
 * data into dump[n++] at `dumpAt`, scribbles over ctx and scratch, and returns 0.
 */
function dumpRun(memory: WebAssembly.Memory, dumpAt: number, packetData: number): (...args: never[]) => unknown {
  const m = new binaryen.Module();
  try {
    m.setFeatures(binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.Atomics | binaryen.Features.MutableGlobals);
    m.setMemory(1, 65536, null, [], true);
    m.addMemoryImport("0", "env", "memory", true);
    m.addGlobal("n", binaryen.i32, true, m.i32.const(0));
    const { i32, i64 } = binaryen;
    const ctx = m.i32.wrap(m.local.get(0, i64));
    const at = (extra: number) => m.i32.add(m.i32.const(dumpAt + extra), m.i32.mul(m.global.get("n", i32), m.i32.const(DUMP)));
    m.addFunction("run", binaryen.createType([i64, i64, i64, i64, i64, i32, i32]), i64, [], m.block(null, [
      m.memory.copy(at(0), ctx, m.i32.const(CTX_SIZE)),
      m.memory.copy(at(CTX_SIZE), m.i32.add(m.i32.wrap(m.local.get(0, i64)), m.i32.const(CTX_SIZE)), m.i32.const(SCRATCH_SIZE)),
      m.memory.copy(at(CTX_SIZE + SCRATCH_SIZE), m.i32.const(packetData), m.i32.const(PACKET_BYTES)),
      m.memory.fill(m.i32.wrap(m.local.get(0, i64)), m.i32.const(SCRIBBLE), m.i32.const(CTX_SIZE + SCRATCH_SIZE)),
      m.global.set("n", m.i32.add(m.global.get("n", i32), m.i32.const(1))),
      m.i64.const(0n),
    ], i64));
    m.addFunctionExport("run", "run");
    if (!m.validate()) throw new Error("dump module does not validate");
    const module = new WebAssembly.Module(m.emitBinary() as Uint8Array<ArrayBuffer>);
    return new WebAssembly.Instance(module, { env: { memory } }).exports.run as (...args: never[]) => unknown;
  } finally {
    m.dispose();
  }
}

// One prandom seed: the scratch areas compared hold each CPU's generator state too.
const machineFor = (type: ProgramType): RuntimeMachine =>
  createNodeMachine({ type: type.name, shared: true, cpus: 1, mapsSize: packets.length * DUMP, corpusSize: corpusRegionSize(packets, 1), prandomSeed: 1 });

const skbTypes = Object.values(PROGRAM_TYPES).filter((t) => t.ctx && t.ctx.name !== "xdp_md" && !t.verifyOnly);

describe("precomputed __sk_buff placements equal ContextWriter's, packet by packet", () => {
  for (const type of skbTypes) {
    it(`${type.name}: ctx area, scratch area and packet bytes of ${packets.length} packets`, () => {
      const m = machineFor(type);
      const corpus = writeCorpus(m.memory, m.layout, packets, m.type);
      expect(corpus.placementNote).toBeUndefined();
      const cpu = m.layout.cpu(0);
      const driver = instantiateDriver(m.memory, dumpRun(m.memory, m.layout.mapsBase, cpu.packetData));
      driver.skb(corpus.desc, 0, corpus.count, cpu.ctx, cpu.stackTop, cpu.packetData, 0, corpus.hist, 0, cpu.scratch, corpus.placement!);

      const ref = machineFor(type);
      // Without the test run's socket: the precomputed contexts never hold it (a program that
      // loads __sk_buff.sk runs with ContextWriter instead, vm/pool/load.ts).
      const writer = new ContextWriter(ref.type, cpu, ref.memory, ref.layout, { testRunSocket: false });
      const got = new Uint8Array(m.memory.buffer);
      const want = new Uint8Array(ref.memory.buffer);
      const wrong: number[] = [];
      packets.forEach((p, i) => {
        // The run record first, as the runtime's PacketRunner and the driver clear it.
        clearRecord(want, cpu);
        writer.place(p.data, p.origLen);
        const dump = got.subarray(m.layout.mapsBase + i * DUMP, m.layout.mapsBase + (i + 1) * DUMP);
        const same =
          equal(dump.subarray(0, CTX_SIZE + SCRATCH_SIZE), want.subarray(cpu.ctx, cpu.ctx + CTX_SIZE + SCRATCH_SIZE)) &&
          equal(dump.subarray(CTX_SIZE + SCRATCH_SIZE, CTX_SIZE + SCRATCH_SIZE + p.data.length), p.data);
        if (!same) wrong.push(i);
        want.fill(SCRIBBLE, cpu.ctx, cpu.ctx + CTX_SIZE + SCRATCH_SIZE);
      });
      expect(wrong).toEqual([]);
    });
  }

  it("a corpus the precomputation cannot reproduce says why, and the CPUs place its packets with ContextWriter", () => {
    const m = machineFor(PROGRAM_TYPES.sched_cls);
    const huge = [...packets, { data: new Uint8Array(m.layout.packetMax + 1), origLen: m.layout.packetMax + 1 }];
    const big = createNodeMachine({ type: "sched_cls", shared: true, cpus: 1, corpusSize: corpusRegionSize(huge, 1) });
    const corpus = writeCorpus(big.memory, big.layout, huge, big.type);
    expect(corpus.placement).toBeUndefined();
    expect(corpus.placementNote).toMatch(/^packet 230: packet of 65537 bytes is larger than the packet slot/);
  });

  it("a program whose tail-call target loads __sk_buff.sk is placed by ContextWriter: JIT and interpreter give the socket's family", async () => {
    const fx = await poolFor("sched_cls", [{ name: "jmp", type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 1 }], packets, 1);
    try {
      // struct bpf_sock.family (offset 4) of the test run's socket; 99 if sk were NULL.
      const id = fx.machine.programs.add({ insns: assemble(`ldxdw %r2, [%r1+${SKB_SK}]\nmov %r0, 99\njeq %r2, 0, +1\nldxw %r0, [%r2+4]\nexit`), name: "reads_sk" });
      fx.machine.maps.keyed("jmp").update(new Uint8Array(4), new Uint8Array(new Uint32Array([id]).buffer));
      const entry = { insns: assemble("lddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit"), name: "entry" };
      const r0 = async (engine: "jit" | "interpreter"): Promise<bigint[]> => {
        const p = await fx.pool.load(entry, { engine });
        expect(p.ref.readsSkbSocket).toBe(true);
        await fx.pool.run(p, { workers: 1, results: true });
        return [...fx.pool.readResults()];
      };
      const jit = await r0("jit");
      expect(jit).toEqual(await r0("interpreter"));
      expect(jit.filter((v) => v === 2n).length).toBeGreaterThan(0); // AF_INET: the socket was there
    } finally {
      await fx.pool.close();
    }
  });

  it("XDP corpora have no precomputed contexts (the driver writes xdp_md itself)", () => {
    const m = createNodeMachine({ type: "xdp", shared: true, cpus: 1, corpusSize: corpusRegionSize(packets, 1) });
    const corpus = writeCorpus(m.memory, m.layout, packets, m.type);
    expect(corpus.placement).toBeUndefined();
    expect(corpus.placementNote).toBeUndefined();
  });
});

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
