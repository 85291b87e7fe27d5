// trace_printk / trace_vprintk: the kernel's format rules and return values (checked against
// BPF_PROG_TEST_RUN: the length of the formatted message, or -EINVAL / -ENOSPC), and the text we
// collect (checked against what printf rules give, since the kernel's trace buffer is not
// readable here). perf_event_output: records, flags and error codes.

import { describe, expect, it } from "vitest";
import { TraceLog } from "../../vm/helpers/trace.js";
import { kernel, kernelRunMany, load, low32, makeRig, neg, runPacket } from "./harness.js";
import { type Arg, FMT_AT, latin1, PERF, printkProgram, storeBytes } from "./programs.js";

interface Case {
  readonly fmt: string;
  readonly args?: readonly Arg[];
  /** The text we print; undefined for an error. */
  readonly text?: string;
  /** The return value when it is not the text's length (errors, texts cut at 1023 bytes). */
  readonly ret?: number;
  readonly size?: number;
  /** The kernel's output differs in content but not in length (hashed pointers). */
  readonly lengthOnly?: boolean;
}

const EINVAL = -22;
const ip6 = "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01";
const LONG = "x".repeat(600);

const CASES: readonly Case[] = [
  { fmt: "hello\n", text: "hello\n" },
  { fmt: "", text: "" },
  { fmt: "%d", args: [-1n], text: "-1" },
  { fmt: "%d", args: [0x1_0000_0005n], text: "5" },
  { fmt: "%i|%u", args: [0xffffffffn, 0xffffffffn], text: "-1|4294967295" },
  { fmt: "%ld %lld", args: [-2n, -3n], text: "-2 -3" },
  { fmt: "%llu", args: [-1n], text: "18446744073709551615" },
  { fmt: "%x %X", args: [0xdeadbeefn, 0xdeadbeefn], text: "deadbeef DEADBEEF" },
  { fmt: "%lx %llx", args: [-1n, 0x123456789n], text: "ffffffffffffffff 123456789" },
  { fmt: "[%5d][%-5d][%05d]", args: [42n, 42n, -42n], text: "[   42][42   ][-0042]" },
  { fmt: "[%+d][% d][%-05x]", args: [7n, 7n, 0xabn], text: "[+7][ 7][ab   ]" },
  { fmt: "[%+u][% x][%+05d]", args: [7n, 7n, -7n], text: "[7][7][-0007]" },
  { fmt: "%c%c%c", args: [0x41n, 0x142n, 0x43n], text: "ABC" },
  { fmt: "[%3c][%-3c]", args: [0x61n, 0x62n], text: "[  a][b  ]" },
  { fmt: "%s!", args: [{ stack: "abc" }], text: "abc!" },
  { fmt: "[%8s][%-8s]", args: [{ stack: "abc" }, { stack: "de" }], text: "[     abc][de      ]" },
  { fmt: "[%s]", args: [0n], text: "[]" },
  { fmt: "%s", args: [{ packet: true }], text: "x".repeat(511) },
  { fmt: "%pI4 %pi4", args: [{ stack: "\x01\x02\x03\x04" }, { stack: "\x0a\x00\x00\xff" }], text: "1.2.3.4 010.000.000.255" },
  { fmt: "%pI6", args: [{ stack: ip6 }], text: "2001:0db8:0000:0000:0000:0000:0000:0001" },
  { fmt: "%pi6", args: [{ stack: ip6 }], text: "20010db8000000000000000000000001" },
  { fmt: "%pI4abc|", args: [{ stack: "\x01\x02\x03\x04" }], text: "1.2.3.4|" },
  { fmt: "%px", args: [0x1234n], text: "0000000000001234" },
  { fmt: "%p %pK", args: [0x1234n, 0n], text: "0000000000001234 0000000000000000", lengthOnly: true },
  { fmt: "%%d 100%%", text: "%d 100%" },
  { fmt: "%1000d", args: [1n], text: `${" ".repeat(999)}1`.slice(0, 1023), ret: 1000 },
  { fmt: "%s%s", args: [{ packet: true }, { packet: true }], ret: -28 }, // the 512-byte argument buffer is full: -ENOSPC
  { fmt: "%s%d", args: [{ packet: true }, 1n], ret: -28 },
  { fmt: "%d %d %d %d", args: [1n, 2n, 3n], ret: EINVAL },
  { fmt: "%5.2d", args: [1n], ret: EINVAL },
  { fmt: "%hd", args: [1n], ret: EINVAL },
  { fmt: "%#x", args: [1n], ret: EINVAL },
  { fmt: "%lu %z", args: [1n, 2n], ret: EINVAL },
  { fmt: "abc%", args: [1n], ret: EINVAL },
  { fmt: "%q", args: [1n], ret: EINVAL },
  { fmt: "%sabc", args: [{ stack: "x" }], ret: EINVAL },
  { fmt: "%pX", args: [1n], ret: EINVAL },
  { fmt: "%pI5", args: [1n], ret: EINVAL },
  { fmt: "bell\x07", ret: EINVAL },
  { fmt: "tab\tnewline\n", text: "tab\tnewline\n" },
  { fmt: "no terminator", size: 5, ret: EINVAL },
  { fmt: "cut\0here", size: 9, text: "cut" },
];

describe("trace_printk", () => {
  it("formats as the kernel's bpf_bprintf_prepare + bstr_printf and collects the text", async () => {
    const rig = makeRig("xdp");
    const packet = latin1(`${LONG}\0`);
    for (const c of CASES) {
      rig.trace.clear();
      const run = runPacket(rig, await load(rig, printkProgram(c.fmt, c.args ?? [], c.size)), packet);
      const ret = c.ret ?? c.text!.length;
      expect(run.r0, JSON.stringify(c.fmt)).toBe(BigInt.asUintN(64, BigInt(ret)));
      expect(rig.trace.texts, JSON.stringify(c.fmt)).toEqual(c.text === undefined ? [] : [c.text]);
    }
  });

  it.skipIf(!kernel.ok)("returns what the kernel returns for every case", async () => {
    const packet = latin1(`${LONG}\0`);
    for (const c of CASES) {
      const src = printkProgram(c.fmt, c.args ?? [], c.size);
      const [want] = kernelRunMany("xdp", src, [packet]);
      const ret = c.ret ?? c.text!.length;
      expect(want!.retval | 0, `kernel: ${JSON.stringify(c.fmt)}`).toBe(ret);
    }
  });

  it("tags lines with the CPU and hands them to a callback; the log keeps its newest lines", async () => {
    const seen: string[] = [];
    const log = new TraceLog({ capacity: 2, onLine: (l) => seen.push(`${l.cpu}:${l.text}`) });
    for (const t of ["a", "b", "c"]) log.push({ cpu: 1, text: t });
    expect(seen).toEqual(["1:a", "1:b", "1:c"]);
    expect(log.texts).toEqual(["b", "c"]);
    expect(log.dropped).toBe(1);
    expect(log.take().map((l) => l.text)).toEqual(["b", "c"]);
    expect(log.texts).toEqual([]);
    const rig = makeRig("xdp", { cpus: 2 });
    runPacket(rig, await load(rig, printkProgram("cpu", [])), new Uint8Array(64), 1);
    expect(rig.trace.take()).toEqual([{ cpu: 1, text: "cpu" }]);
  });
});

describe("trace_vprintk", () => {
  const src = (fmt: string, values: readonly bigint[], dataLen = values.length * 8, nullData = false) => {
    const lines = storeBytes(FMT_AT, latin1(`${fmt}\0`));
    values.forEach((v, k) => lines.push(`lddw %r1, 0x${BigInt.asUintN(64, v).toString(16)}`, `stxdw [%r10${-128 + 8 * k}], %r1`));
    lines.push(`mov %r1, %r10`, `add %r1, ${FMT_AT}`, `mov %r2, ${fmt.length + 1}`);
    lines.push(nullData ? `mov %r3, 0` : `mov %r3, %r10\nadd %r3, -128`, `mov %r4, ${dataLen}`, `call 177`, `exit`);
    return lines.join("\n");
  };
  const twelve = Array.from({ length: 12 }, (_, k) => BigInt(k));
  const cases: Array<[string, bigint[], number | undefined, boolean, number]> = [
    ["%d %d %d %d %d", [1n, 2n, 3n, 4n, 5n], undefined, false, 9],
    ["%d".repeat(12), twelve, undefined, false, 14],
    ["%d".repeat(13), twelve, undefined, false, EINVAL],
    ["%d", [1n], 4, false, EINVAL],
    ["%d", [1n, 2n], 104, false, EINVAL], // more than 12 arguments' worth
    ["plain", [], 0, true, 5],
  ];

  it("takes up to 12 arguments from an array", async () => {
    const rig = makeRig("xdp");
    for (const [fmt, values, len, nullData, ret] of cases) {
      expect(runPacket(rig, await load(rig, src(fmt, values, len, nullData)), new Uint8Array(64)).r0, fmt).toBe(BigInt.asUintN(64, BigInt(ret)));
    }
    expect(rig.trace.texts).toEqual(["1 2 3 4 5", "01234567891011", "plain"]);
  });

  it.skipIf(!kernel.ok)("returns what the kernel returns", async () => {
    for (const [fmt, values, len, nullData, ret] of cases) {
      if (len === 104) continue; // a 104-byte read of a 96-byte stack area: the verifier refuses it
      const [want] = kernelRunMany("xdp", src(fmt, values, len, nullData), [new Uint8Array(64)]);
      expect(want!.retval | 0, fmt).toBe(ret);
    }
  });
});

describe("perf_event_output", () => {
  const flagsPacket = (flags: bigint, len = 64): Uint8Array => {
    const p = Uint8Array.from({ length: len }, (_, i) => i);
    new DataView(p.buffer).setBigUint64(0, flags, true);
    return p;
  };
  const CURRENT = 0xffffffffn;

  it("writes data then ctx bytes to the sink, with the kernel's checks and error codes", async () => {
    const rig = makeRig("xdp", { cpus: 2 });
    const prog = await load(rig, PERF("lddw %r2, 0x3000"));
    const r0 = (flags: bigint, cpu = 0, len = 64) => runPacket(rig, prog, flagsPacket(flags, len), cpu).r0;
    expect(r0(CURRENT)).toBe(0n);
    expect(r0(CURRENT | (20n << 32n), 1)).toBe(0n);
    expect(r0(1n, 1)).toBe(0n);
    expect(r0(1n, 0)).toBe(neg(95)); // slot 1's event is on CPU 1: -EOPNOTSUPP
    expect(r0(2n)).toBe(neg(7)); // past max_entries (2 CPUs): -E2BIG
    expect(r0(CURRENT | (65n << 32n))).toBe(neg(14)); // more ctx bytes than the packet: -EFAULT
    expect(r0(1n << 60n)).toBe(neg(22)); // flags outside CTXLEN | INDEX: -EINVAL
    const records = rig.perf.take();
    expect(records.map((r) => [r.cpu, r.index, r.map, r.data.length])).toEqual([[0, 0, 0x3000, 8], [1, 1, 0x3000, 28], [1, 1, 0x3000, 8]]);
    // The 8 data bytes, then the packet's first 20: the flags word, then bytes 8..19.
    const packetHead = [0xff, 0xff, 0xff, 0xff, 20, 0, 0, 0, ...Array.from({ length: 12 }, (_, i) => 8 + i)];
    expect([...records[1]!.data]).toEqual([0x41, 0x42, 0x43, 0x44, 0, 0, 0, 0, ...packetHead]);
  });

  it("tc programs append bytes of the skb's packet", async () => {
    const rig = makeRig("sched_cls");
    const src = `stdw [%r10-8], 7\nmov %r2, 0\nlddw %r3, 0x4ffffffff\nmov %r4, %r10\nadd %r4, -8\nmov %r5, 8\ncall 25\nexit`;
    expect(runPacket(rig, await load(rig, src), Uint8Array.from({ length: 32 }, (_, i) => 100 + i)).r0).toBe(0n);
    expect([...rig.perf.take()[0]!.data]).toEqual([7, 0, 0, 0, 0, 0, 0, 0, 100, 101, 102, 103]);
  });

  it.skipIf(!kernel.ok)("checks flags in the kernel's order (the kernel has no open events: -ENOENT after the slot check)", async () => {
    const PERF_EVENT_ARRAY = 4;
    const cases: Array<[bigint, number]> = [[1n << 60n, -22], [CURRENT | (65n << 32n), -14], [5n, -7], [0n, -2]];
    for (const [flags, ret] of cases) {
      const [want] = kernelRunMany("xdp", PERF("lddw %r2, map_fd 0"), [flagsPacket(flags)], [{ type: PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }]);
      expect(want!.retval | 0, `flags 0x${flags.toString(16)}`).toBe(ret);
    }
    // Ours for the same flags: -ENOENT is where the kernel finds no event; ours always has one.
    const rig = makeRig("xdp", { cpus: 2 });
    const prog = await load(rig, PERF("lddw %r2, 0x3000"));
    expect(low32(runPacket(rig, prog, flagsPacket(1n << 60n)).r0) | 0).toBe(-22);
    expect(low32(runPacket(rig, prog, flagsPacket(CURRENT | (65n << 32n))).r0) | 0).toBe(-14);
    expect(low32(runPacket(rig, prog, flagsPacket(5n)).r0) | 0).toBe(-7);
  });
});
