// The raw syncookie helpers (204-207, vm/helpers/packet/syncookie-raw.ts) for XDP and tc.
//
// Against BPF_PROG_TEST_RUN on the interpreter and the JIT: random SYN headers of both families
// (data offsets 0-15, th_len right and wrong, MSS options of every size, silly and partial
// options, NOPs and EOLs), gen's -EINVAL or its MSS half (the cookie half hashes the kernel's
// per-boot secret, which no one else has), and check's -EACCES for ACKs whose cookies nobody made.
// On our engines alone: a cookie gen made checks, on this CPU and the other one, for the ACK of
// its SYN only; and the verifier's decisions on the helpers' arguments, with the kernel's.

import { afterEach, describe, expect, it, vi } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { verify } from "../../vm/verifier/index.js";
import { EACCES } from "../../vm/helpers/packet/uapi.js";
import { ENGINES, expectKernelAgreement, kernel, load, makeRig, neg, rng, runPacket, type NetType } from "./harness.js";
import { kernelBridge, KernelError, ProgType } from "../../vm/node/kernel/engine.js";

if (!kernel.ok) console.log(`skipped: no kernel bpf() (${kernel.reason})`);

const DATA: Record<"xdp" | "sched_cls", [number, number]> = { xdp: [0, 4], sched_cls: [76, 80] };
/** The frame: Ethernet, [14] op (0 gen4, 1 gen6, 2 check4, 3 check6), [15] th_len, the IP header at 18, the TCP header at 58, r0 at 118. */
const IPH = 18;
const TH = 58;
const OUT = 118;
const LEN = 128;

/** Calls the op's helper and stores r0 — for gen, -errno or the MSS half — at OUT; returns it. */
const DRIVER = (type: "xdp" | "sched_cls"): string => `
  ldxw %r7, [%r1+${DATA[type][0]}]
  ldxw %r8, [%r1+${DATA[type][1]}]
  mov %r1, %r7
  add %r1, ${LEN}
  jgt %r1, %r8, short
  ldxb %r9, [%r7+14]
  ldxb %r3, [%r7+15]
  jle %r3, 60, sized
  mov %r3, 60
sized:
  mov %r1, %r7
  add %r1, ${IPH}
  mov %r2, %r7
  add %r2, ${TH}
  jeq %r9, 0, gen4
  jeq %r9, 1, gen6
  jeq %r9, 2, check4
  call 207
  ja done
gen4:
  call 204
  ja gendone
gen6:
  call 205
  ja gendone
check4:
  call 206
  ja done
gendone:
  jslt %r0, 0, done
  rsh %r0, 32
done:
  stxdw [%r7+${OUT}], %r0
  exit
short:
  mov %r0, 0x77
  exit
`;

const OPTION_SETS: ReadonlyArray<readonly number[]> = [
  [], [2, 4, 0x05, 0xb4], [1, 1, 2, 4, 0x02, 0x18], [2, 4, 0x23, 0x28], [2, 4, 0x00, 0x00], [2, 4, 0x05, 0x00],
  [2, 4, 0x21, 0x34, 1, 3, 3, 7], [0, 2, 4, 5, 0xb4], [3, 1, 2, 4, 5, 0xb4], [2, 3, 5], [8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 0x04, 0x00],
  [2, 4, 0xff, 0xff], [2, 4, 0x01, 0x00], [2, 5, 0x05, 0xb4, 0], [1, 1, 1, 2], [2, 4, 0x05, 0x78], [1, 2, 4, 0x05, 0x96],
  [2, 4, 0x05, 0xb4, 2, 4, 0x00, 0x00], [2, 4, 0x05, 0x14, 2, 4, 0x23, 0x28],
];

function frame(next: () => number): Uint8Array {
  const f = Uint8Array.from({ length: LEN }, () => next() & 0xff);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  const op = next() % 4;
  f[14] = op;
  const opts = OPTION_SETS[next() % OPTION_SETS.length]!;
  const doff = next() % 8 === 0 ? next() % 16 : Math.min(15, 5 + Math.ceil(opts.length / 4));
  f[TH + 12] = (doff << 4) | (f[TH + 12]! & 0x0f);
  f.set(opts.slice(0, Math.max(0, doff * 4 - 20)), TH + 20);
  const lens = [doff * 4, doff * 4, doff * 4, 20, 19, 0, 24, 60, next() % 64];
  f[15] = lens[next() % lens.length]!;
  f[IPH] = op % 2 === 0 ? 0x45 : 0x60;
  f.fill(0, OUT, OUT + 8);
  return f;
}

const frames = (seed: number, n: number): Uint8Array[] => {
  const next = rng(seed);
  return Array.from({ length: n }, () => frame(next));
};

describe.each(["xdp", "sched_cls"] as const)("raw syncookies, %s", (type) => {
  it.skipIf(!kernel.ok)("gen's errors and MSS, and check's refusals, are the kernel's", async () => {
    const packets = frames(type === "xdp" ? 204 : 205, 800);
    const want = await expectKernelAgreement(type, DRIVER(type), packets, (k) => `frame ${k} (op ${packets[k]![14]}, th_len ${packets[k]![15]})`);
    // The frames reach every outcome: -EINVAL, each MSS of both tables, -EACCES.
    const outcomes = new Set(want.map((w) => w.retval | 0));
    for (const v of [-22, -EACCES, 536, 1300, 1440, 1460, 1220, 1420, 8940]) expect(outcomes, `outcome ${v}`).toContain(v);
  });

  it.each(ENGINES)("a cookie gen made checks for the ACK of its SYN only, on either CPU (%s)", async (engine) => {
    const rig = makeRig(type, { cpus: 2 });
    const prog = await load(rig, DRIVER(type), engine);
    // The same driver keeping gen's whole r0: the cookie (low half) and the MSS.
    const whole = await load(rig, DRIVER(type).replace("  jslt %r0, 0, done\n  rsh %r0, 32\n", ""), engine);
    const next = rng(7);
    const set32 = (f: Uint8Array, at: number, v: number): void => new DataView(f.buffer).setUint32(at, v >>> 0, false);
    for (let k = 0; k < 200; k++) {
      const syn = frame(next);
      syn[14] = k % 2; // gen4, gen6
      syn[15] = 20;
      syn[TH + 12] = 0x50;
      const r0 = runPacket(rig, whole, syn, k % 2).r0;
      expect(Number(r0 >> 32n), `frame ${k}: the MSS without an option`).toBe(k % 2 ? 1220 : 536);
      const ack = syn.slice();
      ack[14] = 2 + (k % 2); // check4, check6
      set32(ack, TH + 4, new DataView(syn.buffer).getUint32(TH + 4, false) + 1);
      set32(ack, TH + 8, Number(r0 & 0xffffffffn) + 1);
      expect(runPacket(rig, prog, ack, (k + 1) % 2).r0, `frame ${k}: the ACK checks on the other CPU`).toBe(0n);
      const moved = ack.slice();
      moved[TH + (k % 4)]! ^= 1 << (k % 8); // another port
      expect(runPacket(rig, prog, moved, k % 2).r0, `frame ${k}: another 4-tuple`).toBe(neg(EACCES));
      const forged = ack.slice();
      // +1 would be another MSS index, and still a cookie (the kernel's layout): +16 is none.
      set32(forged, TH + 8, Number(r0 & 0xffffffffn) + 1 + 16);
      expect(runPacket(rig, prog, forged, k % 2).r0, `frame ${k}: another cookie`).toBe(neg(EACCES));
    }
    prog.dispose();
    whole.dispose();
  });
});

describe("raw syncookies: a cookie's age", () => {
  afterEach(() => vi.restoreAllMocks());
  it.each(ENGINES)("checks in the minute it was made and the next, not after (%s)", async (engine) => {
    const rig = makeRig("xdp");
    const prog = await load(rig, DRIVER("xdp"), engine);
    const whole = await load(rig, DRIVER("xdp").replace("  jslt %r0, 0, done\n  rsh %r0, 32\n", ""), engine);
    // The cookie's clock counts minutes of jiffies: move the monotonic clock (vm/helpers/time.ts:
    // process.hrtime in Node) by whole minutes.
    const start = process.hrtime.bigint();
    let offset = 0;
    vi.spyOn(process.hrtime, "bigint").mockImplementation(() => start + BigInt(offset) * 1_000_000n);
    const syn = frames(9, 1)[0]!;
    syn[14] = 0;
    syn[15] = 20;
    syn[TH + 12] = 0x50;
    const cookie = Number(runPacket(rig, whole, syn).r0 & 0xffffffffn);
    const ack = syn.slice();
    ack[14] = 2;
    const view = new DataView(ack.buffer);
    view.setUint32(TH + 4, view.getUint32(TH + 4, false) + 1, false);
    view.setUint32(TH + 8, (cookie + 1) >>> 0, false);
    const checkAt = (minutes: number): bigint => {
      offset = minutes * 60_000;
      return runPacket(rig, prog, ack).r0;
    };
    expect(checkAt(0)).toBe(0n);
    expect(checkAt(1)).toBe(0n);
    expect(checkAt(2)).toBe(neg(EACCES));
    expect(checkAt(-1)).toBe(neg(EACCES)); // made in the future
    prog.dispose();
    whole.dispose();
  });
});

describe("raw syncookies: the verifier", () => {
  const cases: ReadonlyArray<{ name: string; type: NetType; source: string; expect?: string }> = [
    {
      name: "a scalar as the IP header",
      type: "xdp",
      source: "mov %r1, 0\nmov %r2, 0\nmov %r3, 0\ncall 204\nexit",
      expect: "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    },
    {
      name: "an IPv6 header of 40 bytes where 30 are checked",
      type: "xdp",
      source: `ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r1, %r2\nadd %r1, 30\njgt %r1, %r3, out\nmov %r1, %r2\ncall 207\nout:\nmov %r0, 2\nexit`,
      expect: "invalid access to packet",
    },
    {
      name: "headers on the stack",
      type: "sched_cls",
      source: "stdw [%r10-8], 0\nstdw [%r10-16], 0\nstdw [%r10-24], 0\nmov %r1, %r10\nadd %r1, -24\nmov %r2, %r10\nadd %r2, -24\ncall 206\nmov %r0, 0\nexit",
    },
    { name: "a socket filter", type: "socket_filter", source: "mov %r1, 0\nmov %r2, 0\ncall 206\nexit", expect: "program of this type cannot use helper" },
  ];
  const kernelTypes: Record<NetType, (typeof ProgType)[keyof typeof ProgType]> = { xdp: ProgType.XDP, sched_cls: ProgType.SCHED_CLS, socket_filter: ProgType.SOCKET_FILTER };
  for (const c of cases) {
    it(`${c.name}: ${c.expect ?? "accepted"}${kernel.ok ? ", as by the kernel" : ""}`, () => {
      const insns = assemble(c.source);
      const r = verify(insns, { type: c.type, helpers: makeRig(c.type === "socket_filter" ? "socket_filter" : c.type).machine.helpers });
      if (c.expect) expect(r.reason).toContain(c.expect);
      else expect(r.message).toBeUndefined();
      if (!kernel.ok) return;
      let refused: string | undefined;
      try {
        kernelBridge().load(insns, { type: kernelTypes[c.type] }).close();
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        refused = `${e.message}\n${e.log}`;
      }
      if (c.expect) expect(refused).toContain(c.expect);
      else expect(refused).toBeUndefined();
    });
  }
});
