// The tc helpers that change an skb's length or headers — skb_change_tail (38), skb_change_head
// (43), skb_vlan_push (18), skb_vlan_pop (19), skb_adjust_room (50), skb_change_proto (31),
// skb_change_type (32) — against BPF_PROG_TEST_RUN, on the interpreter and the JIT, through the
// runtime's PacketRunner (the packet may move in its slot, and is read back from data/data_end).
//
// Each case is a short sequence of calls. The probe after it records what a program can see:
// every call's r0 (u16 each) and the __sk_buff fields len, protocol, vlan_present, vlan_tci,
// vlan_proto and pkt_type, plus 4 bytes loaded with skb_load_bytes_relative from MAC + 12 and from
// the network header (where the helpers left the headers); it writes them over the first 40
// bytes of the packet (12 when the packet is shorter). r0 = the first two calls' r0. The packets
// — verdict, r0, every byte — must be the kernel's, over generated IPv4 / IPv6 / ARP / VLAN /
// QinQ / truncated / malformed frames and a few made-up ones.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import { kernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { SK_BUFF_TC } from "../../vm/programs/skb.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { verify } from "../../vm/verifier/index.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { frames } from "../kernel/objects.js";
import { ENGINES, kernel } from "./harness.js";

afterAll(() => {
  if (kernel.ok) kernelBridge().close();
});

/** r2..r5 of one call: a number / bigint literal, or asm that leaves the value in %r2 .. %r5. */
type Arg = number | bigint | string;
interface Call {
  readonly id: number;
  readonly args: readonly Arg[];
}

const argInsns = (reg: number, arg: Arg): string =>
  typeof arg === "string" ? arg.replaceAll("%rX", `%r${reg}`) : `lddw %r${reg}, ${BigInt.asUintN(64, BigInt(arg))}`;

/** skb->len + d, in the register: for lengths relative to the packet's. */
const lenPlus = (d: number): string => `ldxw %rX, [%r6+0]\n add %rX, ${d}`;
/** SKB_MAX_ALLOC - skb->len + d. */
const toMax = (d: number): string => `ldxw %rX, [%r6+0]\n neg %rX\n add %rX, ${16064 + d}`;

const FIELDS: ReadonlyArray<[offset: number, at: number]> = [[0, -32], [16, -28], [20, -24], [24, -20], [28, -16], [4, -12]];

function program(calls: readonly Call[]): string {
  const body = calls.map((c, i) => `
    mov %r1, %r6
    ${c.args.map((a, k) => argInsns(k + 2, a)).join("\n")}
    call ${c.id}
    and %r0, 0xffff
    lsh %r0, ${16 * i}
    or %r7, %r0`).join("\n");
  const fields = FIELDS.map(([off, at]) => `ldxw %r2, [%r6+${off}]\n stxw [%r10${at}], %r2`).join("\n");
  const relative = (offset: number, at: number, start: number): string => `
    mov %r1, %r6
    mov %r2, ${offset}
    mov %r3, %r10
    add %r3, ${at}
    mov %r4, 4
    mov %r5, ${start}
    call 68`;
  const store = (len: number): string => `
    mov %r1, %r6
    mov %r2, 0
    mov %r3, %r10
    add %r3, -40
    mov %r4, ${len}
    mov %r5, 0
    call 9`;
  return `
    mov %r6, %r1
    mov %r7, 0
    ${body}
    stxdw [%r10-40], %r7
    ${fields}
    ${relative(12, -8, 0)}
    ${relative(0, -4, 1)}
    ${store(40)}
    jeq %r0, 0, done
    ${store(12)}
  done:
    mov %r0, %r7
    exit`;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Made-up frames: QinQ, a tag around an 802.3 length, 14..18-byte frames, IPv4 / IPv6 headers only. */
function madeUp(): Uint8Array[] {
  const eth = (type: number, payload: number[]): Uint8Array =>
    Uint8Array.from([0x02, 1, 2, 3, 4, 5, 0x02, 6, 7, 8, 9, 10, type >> 8, type & 0xff, ...payload]);
  const ipv4 = [0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, ...Array.from({ length: 20 }, (_, i) => i)];
  const ipv6 = [0x60, 0, 0, 0, 0, 8, 17, 64, ...Array.from({ length: 32 }, (_, i) => i), 0, 53, 0, 53, 0, 8, 0, 0];
  return [
    eth(0x0800, []), eth(0x0800, [0x45, 0, 0]), eth(0x86dd, [0x60]), eth(0x8100, [0, 5]), eth(0x8100, [0, 5, 8, 0]),
    eth(0x0800, ipv4), eth(0x0800, ipv4.slice(0, 20)), eth(0x86dd, ipv6), eth(0x86dd, ipv6.slice(0, 40)),
    eth(0x8100, [0x20, 7, 0x08, 0x00, ...ipv4]), eth(0x88a8, [0, 100, 0x81, 0x00, 0, 200, 0x86, 0xdd, ...ipv6]),
    eth(0x8100, [0, 1, 0x81, 0x00, 0, 2, 0x81, 0x00, 0, 3, 0x08, 0x00, ...ipv4]),
    eth(0x8100, [0, 9, 0x00, 0x40, 0xff, 0xff, 1, 2, 3]), eth(0x8100, [0, 9, 0x00, 0x40, 0xaa, 0xaa, 3, 1, 2]),
    eth(0x0806, Array.from({ length: 28 }, (_, i) => i)), eth(0x0040, [0xff, 0xff, 0, 0]),
  ];
}

const CTX_IN = new Uint8Array(SK_BUFF_TC.size);

/**
 * The frames BPF_PROG_TEST_RUN takes: it refuses (-EINVAL) an IPv4 / IPv6 EtherType with fewer
 * bytes than the fixed IP header after the Ethernet header.
 */
function testRunnable(all: readonly Uint8Array[]): Uint8Array[] {
  if (!kernel.ok) return [];
  const prog = kernelBridge().load(assemble("mov %r0, 0\n exit"), { type: ProgType.SCHED_CLS, name: "accepts" });
  try {
    const runs = prog.testRunMany(all, { ctx: CTX_IN });
    return all.filter((_, k) => runs[k]!.errno === 0);
  } finally {
    prog.close();
  }
}

const ALL = [...frames("mix:48:seed=41"), ...madeUp()];
const PACKETS = testRunnable(ALL);

interface Outcome {
  readonly errno: number;
  readonly retval: number;
  readonly packet: string;
}

function inKernel(source: string): Outcome[] {
  const prog = kernelBridge().load(assemble(source), { type: ProgType.SCHED_CLS, name: "skb_resize" });
  try {
    return prog.testRunMany(PACKETS, { ctx: CTX_IN, dataOutExtra: 20000 }).map((r) => ({ errno: r.errno, retval: r.retval, packet: hex(r.data) }));
  } finally {
    prog.close();
  }
}

const machines = new Map<string, RuntimeMachine>();
const machineFor = (engine: string): RuntimeMachine => {
  let m = machines.get(engine);
  if (!m) machines.set(engine, (m = createNodeMachine({ type: "sched_cls" })));
  return m;
};

async function inOurs(source: string, engine: (typeof ENGINES)[number]): Promise<Outcome[]> {
  const machine = machineFor(engine);
  const runner = new PacketRunner(machine, await (await getEngine(engine)).load({ insns: assemble(source), name: "skb_resize" }, machine));
  try {
    return PACKETS.map((p) => {
      const r = runner.run(p);
      return { errno: 0, retval: Number(r.retval & 0xffffffffn), packet: hex(r.packet) };
    });
  } finally {
    runner.dispose();
  }
}

/** Run every case in the kernel and on both engines; returns the kernel's r0 (first call, as s16) per case. */
async function agree(cases: ReadonlyArray<readonly [label: string, calls: readonly Call[]]>): Promise<Set<number>> {
  const codes = new Set<number>();
  for (const [label, calls] of cases) {
    const source = program(calls);
    const want = inKernel(source);
    for (const engine of ENGINES) {
      const got = await inOurs(source, engine);
      got.forEach((g, k) => {
        expect(want[k]!.errno, `${label}: the kernel refused packet ${k}`).toBe(0);
        expect(g, `${engine}, ${label}, packet ${k} (${PACKETS[k]!.length} bytes)`).toEqual(want[k]);
      });
    }
    for (const w of want) codes.add((w.retval << 16) >> 16);
  }
  return codes;
}

const c = (id: number, ...args: Arg[]): Call => ({ id, args });
const tail = (len: Arg, flags: Arg = 0): Call => c(38, len, flags);
const head = (room: Arg, flags: Arg = 0): Call => c(43, room, flags);
const push = (proto: Arg, tci: Arg): Call => c(18, proto, tci);
const pop = (): Call => c(19);
const room = (diff: Arg, mode: Arg, flags: Arg = 0): Call => c(50, diff, mode, flags);
const proto = (p: Arg, flags: Arg = 0): Call => c(31, p, flags);
const type = (t: Arg): Call => c(32, t);

const Q = 0x0081; // bpf_htons(ETH_P_8021Q)
const AD = 0xa888; // bpf_htons(ETH_P_8021AD)
const F = {
  FIXED_GSO: 1n, L3_IPV4: 2n, L3_IPV6: 4n, GRE: 8n, UDP: 16n, NO_CSUM_RESET: 32n, L2_ETH: 64n, DECAP_IPV4: 128n, DECAP_IPV6: 256n,
  L2: (len: number): bigint => BigInt(len) << 56n,
};
const EINVAL = -22;
const ENOTSUPP = -524;

describe.skipIf(!kernel.ok)("skb helpers that change length or headers, against the kernel", () => {
  if (!kernel.ok) console.log(`skipped: no kernel bpf() (${kernel.reason})`);

  it("runs over enough frames of every kind", () => {
    // Only IPv4 / IPv6 frames cut inside the fixed header are refused by the test run.
    expect(PACKETS.length).toBeGreaterThan(ALL.length - 10);
    expect(PACKETS.length).toBeGreaterThan(50);
  });

  it("skb_change_tail: lengths, limits, flags", async () => {
    const codes = await agree([
      ...[0, 13, 14, 15, 33, 34, 54, 60, 1000, 16063, 16064, 16065, 0xffffffff].map((n) => [`change_tail(${n})`, [tail(n)]] as const),
      ...[-21, -1, 0, 1, 7, 300].map((d) => [`change_tail(len ${d})`, [tail(lenPlus(d))]] as const),
      ["change_tail flags 1", [tail(60, 1)]], ["change_tail flags 1 << 32", [tail(60, 1n << 32n)]],
      ["change_tail twice", [tail(20), tail(lenPlus(100))]],
    ]);
    expect(codes).toEqual(new Set([0, EINVAL]));
  }, 120_000);

  it("skb_change_head: room, limits, flags, and headers after it", async () => {
    const codes = await agree([
      ...[0, 1, 4, 14, 255, 256, 257, 1000, 5000, 0x7fffffff, 0x80000000, 0xffffffff].map((n) => [`change_head(${n})`, [head(n)]] as const),
      ...[-1, 0, 1].map((d) => [`change_head(max ${d})`, [head(toMax(d))]] as const),
      ["change_head flags 1", [head(14, 1)]],
      ["change_head then change_tail to the old network offset", [head(14), tail(14), tail(27)]],
      ["change_head twice", [head(300), head(3000)]],
    ]);
    expect(codes).toEqual(new Set([0, EINVAL]));
  }, 120_000);

  it("skb_vlan_push / skb_vlan_pop: accelerated and in-frame tags", async () => {
    const codes = await agree([
      ["push 802.1Q", [push(Q, 5)]], ["push 802.1ad", [push(AD, 0xffff)]], ["push host-order 0x8100", [push(0x8100, 7)]],
      ["push proto 0", [push(0, 0)]], ["push high bits", [push(0x12340081n, 0x12345)]],
      ["push twice", [push(Q, 1), push(AD, 2)]], ["push three times", [push(Q, 1), push(Q, 2), push(AD, 3)]],
      ["pop", [pop()]], ["pop twice", [pop(), pop()]], ["pop three times", [pop(), pop(), pop()]],
      ["push, pop", [push(Q, 9), pop()]], ["push twice, pop", [push(Q, 1), push(AD, 2), pop()]],
      ["push twice, pop twice", [push(Q, 1), push(AD, 2), pop(), pop()]], ["pop, push", [pop(), push(AD, 4)]],
      ["change_head, push twice", [head(4), push(Q, 1), push(Q, 2)]],
    ]);
    // -ENOMEM: popping the tag of a frame shorter than 18 bytes (skb_ensure_writable).
    expect(codes).toEqual(new Set([0, -12]));
  }, 120_000);

  it("skb_adjust_room: modes, sizes and the protocol checks", async () => {
    const codes = await agree([
      ...[-4096, -4095, -100, -41, -40, -21, -20, -8, -1, 0, 1, 8, 20, 36, 100, 4095, 4096].flatMap((d) =>
        [0, 1].map((mode) => [`adjust_room(${d}, ${mode})`, [room(d, mode)]] as const)),
      ["mode 2", [room(8, 2)]], ["mode 0xffffffff", [room(8, 0xffffffff)]], ["mode 1 << 32", [room(8, 1n << 32n)]],
      ["len_diff 1 << 32 | 8", [room(0x100000008n, 0)]],
      ["to SKB_MAX_ALLOC", [room(toMax(0), 1)]], ["past SKB_MAX_ALLOC", [room(toMax(1), 1)]],
      ["shrink to nothing after the network header", [room("ldxw %rX, [%r6+0]\n neg %rX\n add %rX, 14", 1)]],
    ]);
    expect(codes).toEqual(new Set([0, -14, ENOTSUPP]));
  }, 180_000);

  it("skb_adjust_room: encapsulation and decapsulation flags", async () => {
    const codes = await agree([
      ["FIXED_GSO", [room(8, 0, F.FIXED_GSO)]], ["NO_CSUM_RESET", [room(-8, 0, F.NO_CSUM_RESET)]],
      ["unknown flag", [room(8, 0, 1n << 9n)]], ["unknown flag 1 << 40", [room(8, 0, 1n << 40n)]],
      ["encap IPv4", [room(20, 1, F.L3_IPV4)]], ["encap IPv6", [room(40, 1, F.L3_IPV6)]],
      ["encap IPv4 and IPv6", [room(20, 1, F.L3_IPV4 | F.L3_IPV6)]],
      ["encap IPv4 + GRE", [room(24, 1, F.L3_IPV4 | F.GRE)]], ["encap IPv6 + UDP", [room(48, 0, F.L3_IPV6 | F.UDP)]],
      ["encap GRE + UDP", [room(28, 1, F.L3_IPV4 | F.GRE | F.UDP)]], ["GRE without L3", [room(24, 1, F.GRE)]],
      ["encap L2 ETH 14", [room(42, 1, F.L3_IPV4 | F.GRE | F.L2_ETH | F.L2(14))]],
      ["encap L2 ETH without a length", [room(42, 1, F.L3_IPV4 | F.GRE | F.L2_ETH)]],
      ["encap L2 longer than the room", [room(20, 1, F.L3_IPV4 | F.L2(24))]], ["encap L2(4)", [room(28, 1, F.L3_IPV4 | F.GRE | F.L2(4))]],
      ["encap twice", [room(20, 1, F.L3_IPV4), room(20, 1, F.L3_IPV4)]],
      ["encap, then change_tail", [room(28, 1, F.L3_IPV4 | F.UDP), tail(lenPlus(-1)), tail(40)]],
      ["encap, then shrink", [room(20, 1, F.L3_IPV4), room(-20, 1)]],
      ["decap IPv4", [room(-20, 1, F.DECAP_IPV4)]], ["decap IPv6", [room(-40, 1, F.DECAP_IPV6)]], ["decap both", [room(-20, 1, F.DECAP_IPV4 | F.DECAP_IPV6)]],
      ["decap on a grow", [room(20, 1, F.DECAP_IPV4)]], ["decap with an encap flag", [room(-20, 1, F.DECAP_IPV4 | F.L3_IPV4)]],
      ["decap IPv6 in NET mode", [room(-20, 0, F.DECAP_IPV6)]],
      ["change_head, then adjust MAC room", [head(14), room(8, 1), room(-8, 0)]],
    ]);
    expect(codes).toEqual(new Set([0, EINVAL, ENOTSUPP]));
  }, 180_000);

  it("combinations: headers moved by one helper, used by the next", async () => {
    const codes = await agree([
      ["push twice, adjust MAC room", [push(Q, 1), push(Q, 2), room(8, 1), room(-8, 0)]],
      ["pop, adjust NET room, to IPv6", [pop(), room(12, 0), proto(0xdd86)]],
      ["pop, encap IPv6 in IPv4", [pop(), room(40, 1, F.L3_IPV4 | F.UDP), tail(lenPlus(-3))]],
      ["change_head 18, decap", [head(18), room(-20, 1, F.DECAP_IPV6), pop()]],
      ["to IPv6, change_tail to the old network offset", [proto(0xdd86), tail(14), tail(13)]],
      ["encap GRE, push, pop, change_tail", [room(24, 1, F.L3_IPV6 | F.GRE), push(AD, 9), pop(), tail(lenPlus(8))]],
      ["change_head past the headroom, encap, shrink", [head(600), room(20, 0, F.L3_IPV4), room(-20, 0)]],
    ]);
    expect(codes.has(0)).toBe(true);
  }, 120_000);

  it("skb_change_proto and skb_change_type", async () => {
    const codes = await agree([
      ["to IPv6", [proto(0xdd86)]], ["to IPv4", [proto(0x0008)]], ["to ARP", [proto(0x0608)]], ["host order IPv6", [proto(0x86dd)]],
      ["to IPv6 with a flag", [proto(0xdd86, 1)]], ["to IPv6 and back", [proto(0xdd86), proto(0x0008)]],
      ["vlan push, then to IPv6", [push(Q, 3), proto(0xdd86)]],
      ...[0, 1, 2, 3, 4, 7, 0x100000002n].map((t) => [`change_type(${t})`, [type(t)]] as const),
      ["change_type twice", [type(3), type(0)]],
    ]);
    expect(codes).toEqual(new Set([0, EINVAL, ENOTSUPP]));
  }, 120_000);
});

describe("the skb model: the slot, accelerated tags, the verifier (no kernel needed)", () => {
  const frame = (n: number, type = 0x0800): Uint8Array => {
    const f = Uint8Array.from({ length: n }, (_, i) => (i * 29 + 3) & 0xff);
    f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, type >> 8, type & 0xff]);
    return f;
  };
  async function runOn(machine: RuntimeMachine, calls: readonly Call[], packet: Uint8Array, engine: (typeof ENGINES)[number], vlanOffload = false) {
    const loaded = await (await getEngine(engine)).load({ insns: assemble(program(calls)), name: "model" }, machine);
    const runner = new PacketRunner(machine, loaded, { vlanOffload });
    try {
      const r = runner.run(packet);
      return { r0: Number(r.retval & 0xffffn) << 16 >> 16, packet: r.packet, vlanTci: runner.field("vlan_tci"), vlanPresent: runner.field("vlan_present") };
    } finally {
      runner.dispose();
    }
  }

  for (const engine of ENGINES) {
    it(`${engine}: a grow the slot cannot hold is -ENOMEM; one that needs the packet moved moves it`, async () => {
      // 256 + 1500 + 256 bytes of slot: the kernel would allocate up to SKB_MAX_ALLOC.
      const machine = createNodeMachine({ type: "sched_cls", packetMax: 1500 });
      const f = frame(60);
      expect((await runOn(machine, [tail(2013)], f, engine)).r0).toBe(-12);
      expect((await runOn(machine, [head(1953)], f, engine)).r0).toBe(-12);
      expect((await runOn(machine, [room(4095, 1)], frame(1500), engine)).r0).toBe(-12);
      const grown = await runOn(machine, [head(1000), tail(lenPlus(900))], f, engine);
      expect(grown.r0).toBe(0);
      expect(grown.packet.length).toBe(1960);
      // After the 40 result bytes: the rest of the 1000 zeroed bytes, the frame, 900 zeroed bytes.
      expect([...grown.packet.subarray(40, 1000)].every((b) => b === 0)).toBe(true);
      expect(grown.packet.subarray(1000, 1060)).toEqual(f);
      expect([...grown.packet.subarray(1060)].every((b) => b === 0)).toBe(true);
      // The whole slot: 1952 bytes of room for a 60-byte frame.
      expect((await runOn(machine, [head(1952)], f, engine)).packet.length).toBe(2012);
    });

    it(`${engine}: with vlanOffload the stripped tag is the accelerated one: push puts it back, pop drops it`, async () => {
      const machine = createNodeMachine({ type: "sched_cls" });
      const tagged = frame(64, 0x8100);
      tagged.set([0x20, 0x05, 0x08, 0x00], 14); // TCI 0x2005, then IPv4
      const untagged = Uint8Array.from([...tagged.subarray(0, 12), ...tagged.subarray(16)]);
      const pushed = await runOn(machine, [push(Q, 7)], tagged, engine, true);
      expect([pushed.r0, pushed.vlanPresent, pushed.vlanTci]).toEqual([0, 1, 7]);
      expect(pushed.packet.subarray(40)).toEqual(tagged.subarray(40));
      expect(pushed.packet.subarray(32, 36)).toEqual(Uint8Array.from([0x81, 0x00, 0x20, 0x05])); // MAC + 12: the tag
      const popped = await runOn(machine, [pop()], tagged, engine, true);
      expect([popped.r0, popped.vlanPresent, popped.vlanTci]).toEqual([0, 0, 0]);
      expect(popped.packet.subarray(40)).toEqual(untagged.subarray(40));
    });
  }

  it("the verifier keeps packet pointers across skb_change_type (as 6.18 does) but not across skb_change_tail", () => {
    const machine = createNodeMachine({ type: "sched_cls" });
    const keep = (id: number, args: string): string => `
      mov %r6, %r1
      ldxw %r7, [%r6+76]
      ldxw %r8, [%r6+80]
      mov %r2, %r7
      add %r2, 14
      jgt %r2, %r8, out
      mov %r1, %r6
      ${args}
      call ${id}
      ldxb %r0, [%r7+0]
      exit
    out:
      mov %r0, 0
      exit`;
    const check = (id: number, args: string) => verify(assemble(keep(id, args)), { type: "sched_cls", helpers: machine.helpers, maps: [] });
    expect(check(32, "mov %r2, 1").message ?? "accepted").toBe("accepted");
    for (const [id, args] of [[38, "mov %r2, 60\nmov %r3, 0"], [43, "mov %r2, 4\nmov %r3, 0"], [18, "mov %r2, 0x81\nmov %r3, 1"], [19, ""], [50, "mov %r2, 8\nmov %r3, 1\nmov %r4, 0"], [31, "mov %r2, 0xdd86\nmov %r3, 0"]] as const) {
      expect(check(id, args).message, `helper ${id}`).toMatch(/invalid mem access/);
    }
  });
});
