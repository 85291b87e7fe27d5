// In place or per-CPU copy: the scan that decides (vm/pool/packet-writes.ts) on the corpus
// programs and on small programs for each way a program can write a packet; and the runs
// themselves — a program gives the same r0 for every packet in place and on a copy, on the JIT
// and on the interpreter (frames over 3,520 bytes multi-buffer in every case), and a program
// that writes its packets leaves the shared corpus as it was.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { CpuPool, corpusRegionSize, packetWrites } from "../../vm/pool/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { programType } from "../../vm/programs/types.js";
import { asProgram, corpusProgram, mixedCorpus, poolFor, type PoolFixture } from "./fixture.js";

const xdp = programType("xdp");
const scan = (source: string): { writes: boolean; reason: string } => packetWrites(assemble(source), xdp);

describe("packetWrites", () => {
  it("corpus programs that only read run in place; l4_lb (rewrites headers) does not", () => {
    for (const name of ["xdp_parser", "xdp_firewall", "proto_counter", "syn_limiter", "ipv6_parser", "calls_loop", "ringbuf_logger"]) {
      const p = corpusProgram(name);
      expect(packetWrites(p.insns, programType(p.type)), name).toMatchObject({ writes: false });
    }
    const lb = packetWrites(corpusProgram("l4_lb").insns, xdp);
    expect(lb.writes).toBe(true);
    expect(lb.reason).toMatch(/^insn \d+: st/);
  });

  it("finds a store through data + offset", () => {
    expect(scan(`
      ldxw %r2, [%r1+0]
      ldxw %r3, [%r1+4]
      mov %r4, %r2
      add %r4, 14
      jgt %r4, %r3, +1
      stb [%r2+0], 1
      mov %r0, 2
      exit`)).toEqual({ writes: true, reason: "insn 5: stb through a packet pointer (r2)" });
  });

  it("follows a packet pointer spilled to the stack and filled back", () => {
    const r = scan(`
      ldxw %r2, [%r1+0]
      stxdw [%r10-8], %r2
      mov %r2, 0
      ldxdw %r6, [%r10-8]
      stxb [%r6+0], %r2
      mov %r0, 2
      exit`);
    expect(r).toEqual({ writes: true, reason: "insn 4: stxb through a packet pointer (r6)" });
  });

  it("follows packet pointers into subprograms", () => {
    expect(scan(`
      ldxw %r1, [%r1+0]
      call local f
      mov %r0, 2
      exit
      f: stb [%r1+0], 7
      exit`).reason).toBe("insn 4: stb through a packet pointer (r1)");
  });

  it("packet-changing helpers, unknown helpers given packet pointers, callx", () => {
    expect(scan("mov %r2, 4\ncall 44\nmov %r0, 2\nexit").reason).toBe("insn 1: calls xdp_adjust_head, which changes packet data");
    expect(scan("ldxw %r3, [%r1+0]\nmov %r1, 0\nmov %r2, 0\nmov %r4, 4\nmov %r5, 0\ncall 28\nexit").writes).toBe(false); // csum_diff reads
    expect(scan("ldxw %r2, [%r1+0]\nmov %r3, 4\ncall 26\nexit").reason).toMatch(/insn 2: passes a packet pointer \(r2\) to helper skb_load_bytes/);
    expect(scan("mov %r2, 5\ncallx %r2\nexit").reason).toBe("insn 1: callx (helper chosen at run time)");
  });

  it("stack, ctx reads and map values are not packet writes", () => {
    expect(scan(`
      ldxw %r2, [%r1+12]
      stxw [%r10-4], %r2
      stdw [%r10-16], 0
      mov %r0, 2
      exit`)).toEqual({ writes: false, reason: "no store, atomic or helper can reach packet memory" });
  });
});

// Writes 0xee over the first byte (the destination MAC) of packets of 14 bytes or more and
// returns that byte's old value as the verdict bin.
const SCRIBBLE = `
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 14
  mov %r0, 255
  jgt %r4, %r3, +3
  ldxb %r0, [%r2+0]
  mov %r5, 0xee
  stxb [%r2+0], %r5
  exit
`;

describe("in place and on a copy", () => {
  let fx: PoolFixture;
  beforeAll(async () => {
    fx = await poolFor("xdp", [], mixedCorpus(), 2);
  }, 120_000);
  afterAll(async () => fx?.pool.close());

  it("xdp_parser: the same r0 for every packet in place and on a copy, JIT and interpreter", async () => {
    const prog = asProgram(corpusProgram("xdp_parser"));
    const results: Record<string, BigUint64Array> = {};
    for (const engine of ["jit", "interpreter"] as const) {
      for (const inPlace of [true, false]) {
        const p = await fx.pool.load(prog, { engine, inPlace });
        expect(p.ref.inPlace).toBe(inPlace);
        await fx.pool.run(p, { results: true });
        results[`${engine} ${inPlace ? "in place" : "copy"}`] = fx.pool.readResults();
      }
    }
    const [first, ...rest] = Object.values(results);
    for (const r of rest) expect(r).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1); // both XDP_PASS and XDP_DROP occur
  }, 60_000);

  it("frames over 3,520 bytes are multi-buffer as in the runtime and the kernel: in place and on a copy, JIT and interpreter", async () => {
    // r0 = (data_end - data) << 32 | xdp_get_buff_len(ctx): the linear part and the whole frame.
    const insns = assemble(`
      mov %r6, %r1
      ldxw %r2, [%r6+0]
      ldxw %r7, [%r6+4]
      sub %r7, %r2
      lsh %r7, 32
      mov %r1, %r6
      call 188
      or %r0, %r7
      exit`);
    const packets = mixedCorpus();
    const want = packets.map((pk) => (BigInt(Math.min(pk.data.length, 3520)) << 32n) | BigInt(pk.data.length));
    expect(packets.some((pk) => pk.data.length > 3520)).toBe(true);
    for (const engine of ["jit", "interpreter"] as const) {
      for (const inPlace of [true, false]) {
        const p = await fx.pool.load({ insns, name: "frags" }, { engine, inPlace });
        await fx.pool.run(p, { workers: 2, results: true });
        expect(Array.from(fx.pool.readResults()), `${engine} ${inPlace ? "in place" : "copy"}`).toEqual(want);
      }
    }
  }, 60_000);

  it("a program that writes its packets runs on copies: the corpus is unchanged", async () => {
    const packets = mixedCorpus();
    const corpus = fx.pool.corpus!;
    const memory = new Uint8Array(fx.machine.memory.buffer);
    const before = memory.slice(corpus.data, corpus.data + (1 << 16));
    for (const engine of ["jit", "interpreter"] as const) {
      const p = await fx.pool.load({ insns: assemble(SCRIBBLE), name: "scribble" }, { engine });
      expect(p.ref.inPlace).toBe(false);
      expect(p.packetWrites.reason).toBe("insn 8: stxb through a packet pointer (r2)");
      await fx.pool.run(p, { workers: 2, results: true });
      const r0 = fx.pool.readResults();
      // Every run saw the original first byte: no packet saw another's (or its own earlier) write.
      const wrong = packets.flatMap((pk, i) => (Number(r0[i]) === (pk.data.length >= 14 ? pk.data[0]! : 255) ? [] : [i]));
      expect(wrong).toEqual([]);
    }
    expect(memory.slice(corpus.data, corpus.data + (1 << 16))).toEqual(before);
  }, 60_000);
});

describe("tail calls", () => {
  let fx: PoolFixture;
  beforeAll(async () => {
    fx = await poolFor("xdp", [{ name: "jmp", type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 2 }], mixedCorpus(), 2);
  }, 120_000);
  afterAll(async () => fx?.pool.close());

  it("a program whose tail-call target writes packets runs on copies, with targets added after the pool started", async () => {
    const id = fx.machine.programs.add({ insns: assemble(SCRIBBLE), name: "scribble" });
    fx.machine.maps.keyed("jmp").update(new Uint8Array(4), new Uint8Array(new Uint32Array([id]).buffer));
    const entry = { insns: assemble("lddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 2\nexit"), name: "entry" };
    const packets = mixedCorpus();
    for (const engine of ["jit", "interpreter"] as const) {
      const p = await fx.pool.load(entry, { engine });
      expect(p.ref.inPlace).toBe(false);
      expect(p.packetWrites.reason).toBe(`tail-call target ${id} ('scribble') may write: insn 8: stxb through a packet pointer (r2)`);
      await fx.pool.run(p, { workers: 2, results: true });
      const r0 = fx.pool.readResults();
      const wrong = packets.flatMap((pk, i) => (Number(r0[i]) === (pk.data.length >= 14 ? pk.data[0]! : 255) ? [] : [i]));
      expect(wrong, engine).toEqual([]);
    }
  }, 60_000);
});

describe("packets longer than the packet slot", () => {
  it("run in place, and are refused before a copy would overflow the slot (JIT driver and interpreter alike)", async () => {
    const packets = [new Uint8Array(60), new Uint8Array(3000)];
    const machine = createNodeMachine({ type: "xdp", shared: true, cpus: 1, packetMax: 2048, corpusSize: corpusRegionSize(packets, 1) });
    const pool = await CpuPool.create(machine);
    try {
      pool.loadCorpus(packets);
      const prog = asProgram(corpusProgram("xdp_parser"));
      for (const engine of ["jit", "interpreter"] as const) {
        const inPlace = await pool.load(prog, { engine, inPlace: true });
        expect((await pool.run(inPlace)).packets).toBe(2);
        const copy = await pool.load(prog, { engine, inPlace: false });
        await expect(pool.run(copy)).rejects.toThrow(/a corpus packet of 3000 bytes does not fit the packet slot \(packetMax 2048\)/);
      }
    } finally {
      await pool.close();
    }
  }, 60_000);
});

