import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AluOp, Cls, JmpOp, Mode, Pseudo, Size, Src, CallSrc } from "../../vm/isa/opcodes.js";
import { insn, type Insn } from "../../vm/isa/instruction.js";
import { BpfError } from "../../vm/errors.js";
import { KernelBridge, KernelError, kernelBridge, MapType, ProgType, verifierStats } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";

const status = kernelAvailability();

const movImm = (dst: number, imm: number): Insn => insn(Cls.ALU64 | AluOp.MOV | Src.K, dst, 0, 0, imm);
const mov = (dst: number, src: number): Insn => insn(Cls.ALU64 | AluOp.MOV | Src.X, dst, src);
const exit = (): Insn => insn(Cls.JMP | JmpOp.EXIT);
const ldxw = (dst: number, src: number, off: number): Insn => insn(Cls.LDX | Mode.MEM | Size.W, dst, src, off);
const ldxb = (dst: number, src: number, off: number): Insn => insn(Cls.LDX | Mode.MEM | Size.B, dst, src, off);
const stxb = (dst: number, src: number, off: number): Insn => insn(Cls.STX | Mode.MEM | Size.B, dst, src, off);
const lddwMap = (dst: number, index: number): Insn[] => [insn(Cls.LD | Mode.IMM | Size.DW, dst, Pseudo.MAP_FD, 0, index), insn(0)];
const callHelper = (id: number): Insn => insn(Cls.JMP | JmpOp.CALL, 0, CallSrc.HELPER, 0, id);

/** XDP: if the packet has a byte, add 1 to it; return XDP_TX (3). */
const bumpFirstByte: Insn[] = [
  ldxw(2, 1, 0),
  ldxw(3, 1, 4),
  mov(4, 2),
  insn(Cls.ALU64 | AluOp.ADD | Src.K, 4, 0, 0, 1),
  insn(Cls.JMP | JmpOp.JGT | Src.X, 4, 3, 3),
  ldxb(5, 2, 0),
  insn(Cls.ALU64 | AluOp.ADD | Src.K, 5, 0, 0, 1),
  stxb(2, 5, 0),
  movImm(0, 3),
  exit(),
];

describe.skipIf(!status.ok)("KernelBridge (bpf() through build/bpf-runner)", () => {
  const bridge = kernelBridge();

  it("reports what it runs on", () => {
    expect(status.ok).toBe(true);
    expect(status.reason).toMatch(/^kernel /);
    expect(status.possibleCpus).toBeGreaterThan(0);
  });

  it("loads an XDP program and test-runs it: retval and the modified packet", () => {
    const prog = bridge.load(bumpFirstByte, { type: ProgType.XDP, name: "bump" });
    try {
      const packet = new Uint8Array(64).map((_, i) => i + 10);
      const out = prog.testRun({ data: packet, repeat: 3 });
      expect(out.retval).toBe(3);
      expect(out.data.length).toBe(64);
      // With repeat > 1 the kernel runs the program over the same packet buffer, so writes
      // compound: three runs add 3.
      expect(out.data[0]).toBe(13);
      expect([...out.data.subarray(1)]).toEqual([...packet.subarray(1)]);
      expect(out.duration).toBeGreaterThanOrEqual(0);
    } finally {
      prog.close();
    }
  });

  it("test-runs many packets in one round trip, each on its own", () => {
    const prog = bridge.load(bumpFirstByte, { type: ProgType.XDP, name: "bump" });
    try {
      const packets = Array.from({ length: 300 }, (_, k) => new Uint8Array(14 + (k % 50)).fill(k & 0xff));
      packets.push(new Uint8Array(3)); // shorter than an Ethernet header: the kernel refuses this one run
      const results = prog.testRunMany(packets);
      expect(results.length).toBe(301);
      results.slice(0, 300).forEach((r, k) => {
        expect(r.errno).toBe(0);
        expect(r.retval).toBe(3);
        expect(r.data.length).toBe(14 + (k % 50));
        expect(r.data[0]).toBe((k + 1) & 0xff);
        expect(r.data[1]).toBe(k & 0xff);
      });
      expect(results[300]!.errno).toBe(22); // EINVAL
    } finally {
      prog.close();
    }
  });

  it("returns a SCHED_CLS program's full u32 return value and a socket filter's", () => {
    const tc = bridge.load([movImm(0, -2), exit()], { type: ProgType.SCHED_CLS });
    const sk = bridge.load([movImm(0, 0x1234), exit()], { type: ProgType.SOCKET_FILTER });
    try {
      expect(tc.testRun({ data: new Uint8Array(64) }).retval).toBe(0xfffffffe);
      expect(sk.testRun({ data: new Uint8Array(64) }).retval).toBe(0x1234);
    } finally {
      tc.close();
      sk.close();
    }
  });

  it("passes ctx_in and returns ctx_out (SCHED_CLS reads __sk_buff.mark)", () => {
    const prog = bridge.load([ldxw(0, 1, 8), exit()], { type: ProgType.SCHED_CLS });
    try {
      const ctx = new Uint8Array(192); // sizeof(struct __sk_buff)
      ctx[8] = 0x55;
      const out = prog.testRun({ data: new Uint8Array(64), ctx });
      expect(out.retval).toBe(0x55);
      expect(out.ctx.length).toBe(192);
      expect(out.ctx[8]).toBe(0x55);
    } finally {
      prog.close();
    }
  });

  it("reports the verifier's statistics (BPF_LOG_STATS) and verified_insns (BPF_OBJ_GET_INFO_BY_FD)", () => {
    const prog = bridge.load(bumpFirstByte, { type: ProgType.XDP, name: "bump", log: 4 });
    try {
      // Level 4 alone: the statistics, not the instruction trace.
      expect(prog.log).not.toContain("r2 = *(u32 *)");
      const stats = verifierStats(prog.log);
      expect(stats, prog.log).toBeDefined();
      expect(stats!.usec).toBeGreaterThanOrEqual(0);
      // Both sides of the bounds check are explored: 10 instructions, then 2 from the branch.
      expect(stats!.processedInsns).toBeGreaterThanOrEqual(10);
      expect(stats!.processedInsns).toBeLessThan(20);
      expect(stats!.stackDepth).toEqual([0]);
      const info = prog.info();
      expect(info.verifiedInsns).toBe(stats!.processedInsns);
      expect(info.xlatedLen).toBeGreaterThan(0);
      expect(info.loadTime).toBeGreaterThan(0n);
    } finally {
      prog.close();
    }
  });

  it("PROG_INFO of an fd the runner did not create is EBADF", () => {
    expect(() => bridge.progInfo(0)).toThrow(/EBADF/);
  });

  it("refuses a program with the verifier's log and the instruction it stopped at", () => {
    const bad = [movImm(0, 0), insn(Cls.ALU64 | AluOp.ADD | Src.X, 0, 7), exit()];
    let error: unknown;
    try {
      bridge.load(bad, { type: ProgType.XDP, name: "uninit" }).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KernelError);
    const kerr = error as KernelError;
    expect(kerr.verifierRefused).toBe(true);
    expect(kerr.log).toContain("R7 !read_ok");
    expect(kerr.where.insn).toBe(1);
    expect(kerr.message).toMatch(/kernel verifier refused program 'uninit' \(EACCES\).*R7 !read_ok/);
  });

  it("creates maps, patches lddw map references, and reads maps back", () => {
    // key 0 of an array map: value += 1 per run (bpf_map_lookup_elem = helper 1).
    const count: Insn[] = [
      insn(Cls.ST | Mode.MEM | Size.W, 10, 0, -4, 0),
      ...lddwMap(1, 0),
      mov(2, 10),
      insn(Cls.ALU64 | AluOp.ADD | Src.K, 2, 0, 0, -4),
      callHelper(1),
      insn(Cls.JMP | JmpOp.JEQ | Src.K, 0, 0, 2, 0),
      movImm(1, 1),
      insn(Cls.STX | Mode.ATOMIC | Size.DW, 0, 1, 0, 0),
      movImm(0, 2),
      exit(),
    ];
    const prog = bridge.load(count, {
      type: ProgType.XDP,
      maps: [{ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, name: "counts" }],
    });
    try {
      const [map] = prog.maps;
      prog.testRun({ data: new Uint8Array(64), repeat: 5 });
      const value = map!.lookup(new Uint8Array(4))!;
      expect(new DataView(value.buffer).getBigUint64(0, true)).toBe(5n);
      map!.update(new Uint8Array([2, 0, 0, 0]), new Uint8Array(8).fill(9));
      expect([...map!.lookup(new Uint8Array([2, 0, 0, 0]))!]).toEqual(new Array(8).fill(9));
      expect([...map!.keys()].map((k) => k[0])).toEqual([0, 1, 2, 3]);
      expect(() => map!.lookup(new Uint8Array(2))).toThrow(/key is 2 bytes, the map's keys are 4/);
    } finally {
      prog.close();
    }
  });

  it("hash maps: update, lookup, next key, delete", () => {
    const map = bridge.createMap({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 8, name: "h" });
    try {
      expect(map.nextKey()).toBeUndefined();
      map.update(new Uint8Array([1, 0, 0, 0]), new Uint8Array([5, 6, 7, 8]));
      map.update(new Uint8Array([2, 0, 0, 0]), new Uint8Array([1, 1, 1, 1]));
      expect(() => map.update(new Uint8Array([2, 0, 0, 0]), new Uint8Array(4), 1n)).toThrow(KernelError); // BPF_NOEXIST
      expect([...map.lookup(new Uint8Array([1, 0, 0, 0]))!]).toEqual([5, 6, 7, 8]);
      expect([...map.keys()].map((k) => k[0]).sort()).toEqual([1, 2]);
      expect(map.delete(new Uint8Array([1, 0, 0, 0]))).toBe(true);
      expect(map.delete(new Uint8Array([1, 0, 0, 0]))).toBe(false);
      expect(map.lookup(new Uint8Array([1, 0, 0, 0]))).toBeUndefined();
    } finally {
      map.close();
    }
  });

  it("per-CPU maps return one value per possible CPU; the runner's test runs land on its CPU", () => {
    const map = bridge.createMap({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    try {
      expect(map.lookupSize).toBe(8 * status.possibleCpus!);
      expect(map.lookup(new Uint8Array(4))!.every((b) => b === 0)).toBe(true);
    } finally {
      map.close();
    }
  });

  it("closes only fds it created", () => {
    expect(() => bridge.closeFd(0)).toThrow(/EBADF/);
  });
});

describe.skipIf(!status.ok)("KernelBridge and its runner process", () => {
  const exited = async (pid: number): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      if (!existsSync(`/proc/${pid}`) || /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  };

  it("the runner exits (closing its fds) when the bridge closes", async () => {
    const bridge = new KernelBridge();
    expect(bridge.available().ok).toBe(true);
    const pid = bridge.runnerPid!;
    bridge.load([movImm(0, 2), exit()], { type: ProgType.XDP }); // left open on purpose
    bridge.close();
    expect(await exited(pid)).toBe(true);
    expect(() => bridge.load([movImm(0, 2), exit()], { type: ProgType.XDP })).toThrow(/unavailable: the kernel bridge was closed/);
  });

  it("a runner that dies is an error, not a hang", async () => {
    const bridge = new KernelBridge();
    expect(bridge.available().ok).toBe(true);
    const prog = bridge.load([movImm(0, 2), exit()], { type: ProgType.XDP });
    process.kill(bridge.runnerPid!, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(() => prog.testRun({ data: new Uint8Array(64) })).toThrow(/bpf-runner connection lost/);
    expect(() => prog.testRun({ data: new Uint8Array(64) })).toThrow(BpfError);
    expect(() => prog.close()).not.toThrow();
  });
});

const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
describe.skipIf(!status.ok || process.getuid?.() !== 0 || !setpriv)("KernelBridge when bpf() is not permitted", () => {
  it("reports EPERM and who it runs as (the runner dropped to uid 65534 with no capabilities)", () => {
    const dir = mkdtempSync(join(tmpdir(), "ebpf-wasm-nobody-"));
    try {
      const script = join(dir, "runner.sh");
      const runner = kernelBridge().binary;
      writeFileSync(script, `#!/bin/sh\nif [ "$1" = "--serve" ]; then exec ${setpriv} --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all ${runner} "$@"; fi\nexec ${runner} "$@"\n`);
      chmodSync(script, 0o755);
      const bridge = new KernelBridge(script);
      const why = bridge.available();
      expect(why.ok).toBe(false);
      expect(why.reason).toMatch(/^bpf\(BPF_PROG_LOAD\) failed with EPERM \(running as uid 65534, not root, kernel /);
      expect(() => bridge.load([movImm(0, 0), exit()], { type: ProgType.XDP })).toThrow(/kernel engine unavailable: bpf\(BPF_PROG_LOAD\) failed with EPERM/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("KernelBridge without a runner binary", () => {
  it("is unavailable with a reason, and says so when used", () => {
    const missing = new KernelBridge("/nonexistent/bpf-runner");
    const why = missing.available();
    expect(why.ok).toBe(false);
    expect(why.reason).toMatch(/not built|Linux-only/);
    expect(() => missing.load([movImm(0, 0), exit()], { type: ProgType.XDP })).toThrow(BpfError);
    expect(() => missing.load([movImm(0, 0), exit()], { type: ProgType.XDP })).toThrow(/kernel engine unavailable/);
  });
});

describe("verifierStats (parsing the kernel's BPF_LOG_STATS lines)", () => {
  it("reads time, processed instructions, states and stack depths", () => {
    const log = "verification time 785 usec\nstack depth 0+8+0\nprocessed 685 insns (limit 1000000) max_states_per_insn 4 total_states 25 peak_states 25 mark_read 0\n";
    expect(verifierStats(log)).toEqual({ usec: 785, processedInsns: 685, maxStatesPerInsn: 4, totalStates: 25, peakStates: 25, stackDepth: [0, 8, 0] });
  });

  it("is undefined for a log without the statistics", () => {
    expect(verifierStats("0: (b7) r0 = 0\n1: (95) exit\n")).toBeUndefined();
  });
});
