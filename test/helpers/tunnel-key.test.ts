// skb_get_tunnel_key (20), skb_set_tunnel_key (21), skb_get_tunnel_opt (29), skb_set_tunnel_opt
// (30) against BPF_PROG_TEST_RUN, on the interpreter and the JIT. One driver program takes from
// each packet which helpers to call, in which order, with which sizes, flags, key and options;
// it writes every r0 and both output buffers (pre-filled with 0x77, so bytes a helper leaves alone
// show) into the packet. Thousands of random combinations, including bad sizes and flags, IPv4
// keys with a label or a tunnel_ext, and runs that only get: each run starts with no tunnel info
// (the kernel's test skb has no dst), whatever the runs before it set.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { verify } from "../../vm/verifier/index.js";
import { ENGINES, kernel, rng } from "./harness.js";
import { hex, kernelRuns, ourRuns } from "./device-runtime.js";

/**
 * Packet: [0] ops, [1] set size, [2] get size, [3] set_opt size, [4] get_opt size (each & 63,
 * 0 = skip), [8] set flags u64, [16] get flags u64, [24..88) key, [88..152) options.
 * ops: 4 get first, 1 set, 8 set_opt, 32 set again, 2 get, 16 get_opt.
 * Out: [152] r0 of get-first, [156] set, [160] set_opt, [164] set again, [168] get, [172]
 * get_opt; [176..240) the get buffer, [240..304) the get_opt buffer.
 */
const PKT = 304;
const reload = `
  ldxw %r7, [%r6+76]
  ldxw %r8, [%r6+80]
  mov %r1, %r7
  add %r1, ${PKT}
  jgt %r1, %r8, fail`;
const copyIn = (from: number, to: number): string =>
  Array.from({ length: 8 }, (_, i) => `  ldxdw %r1, [%r7+${from + 8 * i}]\n  stxdw [%r10${to + 8 * i}], %r1`).join("\n");
const copyOut = (from: number, to: number): string =>
  Array.from({ length: 8 }, (_, i) => `  ldxdw %r1, [%r10${from + 8 * i}]\n  stxdw [%r7+${to + 8 * i}], %r1`).join("\n");
/** A helper call when `bit` is set in ops, its size from packet byte `sizeAt` (0 skips), r0 to `out`. */
const step = (n: number, bit: number, sizeAt: number, call: string, out: number): string => `
  ldxb %r1, [%r7+0]
  and %r1, ${bit}
  jeq %r1, 0, skip${n}
  ldxb %r3, [%r7+${sizeAt}]
  and %r3, 63
  jlt %r3, 1, skip${n}
${call}
  stxw [%r10-264], %r0
${reload}
  ldxw %r0, [%r10-264]
  stxw [%r7+${out}], %r0
skip${n}:
${reload}`;
const KEY = (id: number, flagsAt: number, buf: number): string => `  ldxdw %r4, [%r7+${flagsAt}]
  mov %r1, %r6
  mov %r2, %r10
  add %r2, ${buf}
  call ${id}`;
const OPT = (id: number, buf: number): string => `  mov %r1, %r6
  mov %r2, %r10
  add %r2, ${buf}
  call ${id}`;

export const TUNNEL_DRIVER = `
  mov %r6, %r1
${reload}
  lddw %r2, 0x7777777777777777
${Array.from({ length: 8 }, (_, i) => `  stxdw [%r10-${128 - 8 * i}], %r2\n  stxdw [%r10-${256 - 8 * i}], %r2`).join("\n")}
${copyIn(24, -64)}
${copyIn(88, -192)}
${step(1, 4, 2, KEY(20, 16, -128), 152)}
${step(2, 1, 1, KEY(21, 8, -64), 156)}
${step(3, 8, 3, OPT(30, -192), 160)}
${step(4, 32, 1, KEY(21, 8, -64), 164)}
${step(5, 2, 2, KEY(20, 16, -128), 168)}
${step(6, 16, 4, OPT(29, -256), 172)}
${copyOut(-128, 176)}
${copyOut(-256, 240)}
  mov %r0, 0
  exit
fail:
  mov %r0, 2
  exit
`;

interface Case {
  ops: number;
  sizes: [set: number, get: number, setOpt: number, getOpt: number];
  setFlags: bigint;
  getFlags: bigint;
  key: Uint8Array;
}

const SIZES = [44, 44, 44, 28, 24, 22, 8, 1, 7, 20, 43, 45, 63];
const OPT_SIZES = [4, 8, 12, 60, 2, 6, 63];
const GET_OPT_SIZES = [1, 4, 8, 16, 63];
const SET_FLAGS = [0n, 0n, 1n, 1n, 2n, 4n, 8n, 16n, 15n, 31n, 17n, 32n, 1n << 32n];
const GET_FLAGS = [0n, 0n, 1n, 16n, 17n, 16n, 2n, 32n, 1n << 40n];

function randomCase(next: () => number): Case {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  const key = Uint8Array.from({ length: 64 }, () => next() & 0xff);
  const v = new DataView(key.buffer);
  // Mostly valid keys: tunnel_ext 0 and, for IPv4, no label; sometimes not, to see -EINVAL.
  const shape = next() % 8;
  if (shape < 6) v.setUint16(22, 0, true);
  if (shape < 4) v.setUint32(24, 0, true);
  // Half the cases are calls that mostly succeed (set, set_opt, get, get_opt with good
  // arguments), so that what a successful set leaves is read back often.
  if (next() % 2) {
    v.setUint16(22, 0, true);
    const setFlags = pick([0n, 1n, 2n, 4n, 8n, 16n, 15n, 31n]);
    if (!(setFlags & 1n)) v.setUint32(24, 0, true);
    return {
      ops: (next() % 64) | 1 | 2 | 8 | 16, sizes: [44, pick([44, 44, 28, 24, 22, 8]), pick([4, 8, 12, 60]), pick([8, 16, 63])],
      setFlags, getFlags: (setFlags & 1n) | pick([0n, 16n]), key,
    };
  }
  return {
    ops: next() % 64,
    sizes: [pick(SIZES), pick(SIZES), pick(OPT_SIZES), pick(GET_OPT_SIZES)],
    setFlags: pick(SET_FLAGS),
    getFlags: pick(GET_FLAGS),
    key,
  };
}

function packetOf(c: Case): Uint8Array {
  const p = new Uint8Array(PKT);
  const v = new DataView(p.buffer);
  p[0] = c.ops;
  p.set(c.sizes, 1);
  v.setBigUint64(8, c.setFlags, true);
  v.setBigUint64(16, c.getFlags, true);
  p.set(c.key, 24);
  for (let i = 0; i < 64; i++) p[88 + i] = 0xa0 + i;
  return p;
}

const label = (c: Case): string => `ops ${c.ops} sizes ${c.sizes} set flags ${c.setFlags} get flags ${c.getFlags} key ${hex(c.key.subarray(0, 44))}`;

/** The same set, then a get: the fields come back (remote and local swapped), 44 bytes. */
const ROUND_TRIP: Case = {
  ops: 3, sizes: [44, 44, 8, 16], setFlags: 0n, getFlags: 16n,
  key: Uint8Array.from([1, 2, 3, 4, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 64, 0, 0, 0, 0, 0, 0, 192, 168, 1, 2, ...new Array(32).fill(9)]),
};

describe("tunnel key and options against the kernel", () => {
  it.skipIf(!kernel.ok)("random calls, sizes, flags, keys and options: r0s and buffers agree", async () => {
    const next = rng(0x7e11);
    const all = [ROUND_TRIP, ...Array.from({ length: 3000 }, () => randomCase(next))];
    const packets = all.map(packetOf);
    const want = kernelRuns("sched_cls", TUNNEL_DRIVER, packets);
    const codes = new Map<number, number>();
    for (const w of want) {
      const d = new DataView(w.data.buffer, w.data.byteOffset);
      for (let o = 152; o < 176; o += 4) codes.set(d.getInt32(o, true), (codes.get(d.getInt32(o, true)) ?? 0) + 1);
    }
    // Every outcome of these helpers shows up: success, -EINVAL, -EPROTO, -ENOENT, -ENOMEM, an options length.
    for (const code of [0, -22, -71, -2, -12, 4, 8, 12, 60]) expect(codes.get(code) ?? 0, `r0 ${code}: ${[...codes]}`).toBeGreaterThan(5);
    const rt = want[0]!.data;
    expect(hex(rt.subarray(176, 220))).toBe("01020304c0a8010200000000000000000000000005402005000000000a000001000000000000000000000000");
    for (const engine of ENGINES) {
      const got = await ourRuns("sched_cls", TUNNEL_DRIVER, packets, engine);
      all.forEach((c, k) => {
        expect(want[k]!.errno, `kernel refused ${label(c)}`).toBe(0);
        expect(Number(got[k]!.retval), `${engine}: r0 of ${label(c)}`).toBe(want[k]!.retval);
        expect(hex(got[k]!.packet), `${engine}: ${label(c)}`).toBe(hex(want[k]!.data));
      });
    }
  }, 120_000);
});

describe("tunnel helpers' verifier rules", () => {
  const verdict = (type: "sched_cls" | "xdp" | "socket_filter", src: string): string => {
    const r = verify(assemble(src), { type, helpers: createNodeMachine({ type }).helpers });
    return r.accepted ? "accepted" : r.reason ?? r.message ?? "refused";
  };
  const call = (id: number, buf: string, size: number) => `
  ${buf}
  mov %r2, %r10
  add %r2, -48
  mov %r3, ${size}
  mov %r4, 0
  call ${id}
  exit`;
  const INIT = Array.from({ length: 6 }, (_, i) => `stdw [%r10-${48 - 8 * i}], 0`).join("\n  ");
  it("get takes uninitialised memory, set initialised memory; sizes are constants > 0", () => {
    expect(verdict("sched_cls", call(20, "", 44))).toBe("accepted");
    expect(verdict("sched_cls", call(21, INIT, 44))).toBe("accepted");
    expect(verdict("sched_cls", call(20, "", 0))).toMatch(/invalid zero-sized read/);
    expect(verdict("sched_cls", call(20, "", 49))).toMatch(/invalid (indirect|write)|stack/);
  });
  it("are tc-only: XDP and socket filters cannot call them", () => {
    for (const id of [20, 21, 29, 30]) {
      expect(verdict("xdp", call(id, INIT, 4))).toMatch(new RegExp(`cannot use helper bpf_skb_(get|set)_tunnel_(key|opt)#${id}`));
      expect(verdict("socket_filter", call(id, INIT, 4))).toMatch(/cannot use helper/);
    }
  });
});

/**
 * skb_get_xfrm_state (66): index u32 at [0], size (& 63, 0 skips) at [4], flags u64 at [8]; the
 * program writes r0 at [16] and the 64-byte buffer (pre-filled with 0x77) at [24..88).
 */
const XFRM = `
  mov %r6, %r1
${reload.replaceAll(String(PKT), "88")}
  lddw %r2, 0x7777777777777777
${Array.from({ length: 8 }, (_, i) => `  stxdw [%r10-${64 - 8 * i}], %r2`).join("\n")}
  ldxw %r2, [%r7+0]
  ldxb %r4, [%r7+4]
  and %r4, 63
  jlt %r4, 1, fail
  ldxdw %r5, [%r7+8]
  mov %r1, %r6
  mov %r3, %r10
  add %r3, -64
  call 66
  mov %r9, %r0
${reload.replaceAll(String(PKT), "88")}
  stxdw [%r7+16], %r9
${copyOut(-64, 24)}
  mov %r0, %r9
  exit
fail:
  mov %r0, 2
  exit
`;

describe("skb_get_xfrm_state against the kernel", () => {
  it.skipIf(!kernel.ok)("no sec_path in a test run: -EINVAL and the buffer's size bytes zeroed, whatever the index, size, flags", async () => {
    const next = rng(66);
    const packets = Array.from({ length: 300 }, () => {
      const p = new Uint8Array(96);
      const v = new DataView(p.buffer);
      v.setUint32(0, [0, 1, next()][next() % 3]!, true);
      p[4] = next() % 64;
      v.setBigUint64(8, [0n, 1n, BigInt(next())][next() % 3]!, true);
      return p;
    });
    const want = kernelRuns("sched_cls", XFRM, packets);
    for (const engine of ENGINES) {
      const got = await ourRuns("sched_cls", XFRM, packets, engine);
      packets.forEach((p, k) => {
        expect(want[k]!.errno).toBe(0);
        expect(Number(got[k]!.retval & 0xffffffffn), `${engine}: r0 of case ${k}`).toBe(want[k]!.retval);
        expect(hex(got[k]!.packet), `${engine}: case ${k} (${hex(p.subarray(0, 16))})`).toBe(hex(want[k]!.data));
      });
    }
    expect(new Set(want.map((w) => w.retval | 0))).toEqual(new Set([-22, 2]));
  });
});
