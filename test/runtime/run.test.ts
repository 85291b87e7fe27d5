// Packet runs (vm/runtime/run.ts, context.ts): the ctx each program type gets, verdicts, the
// packet after the run, redirect targets, and batches over generated traffic.

import { describe, expect, it } from "vitest";
import { generate, parseGenSpec } from "../../corpus/gen/index.js";
import { BpfError, BpfRuntimeError } from "../../vm/errors.js";
import type { HelperDef } from "../../vm/helpers/registry.js";
import { SK_BUFF_SOCKET, SK_BUFF_TC, XDP_MD, ctxField } from "../../vm/programs/index.js";
import { ctxRegions, RedirectKind, writeRedirect } from "../../vm/runtime/index.js";
import { frame, machine, runner } from "./fixture.js";

const mix = generate(parseGenSpec("mix:400:seed=11"));
const ethertype = (d: Uint8Array): number => (d.length >= 14 ? (d[12]! << 8) | d[13]! : -1);
const off = (name: string): number => ctxField(SK_BUFF_SOCKET, name).offset;
/** A program returning one u32 field of its ctx. */
const field = (offset: number): string => `ldxw %r0, [%r1+${offset}]\nexit`;

describe("XDP", () => {
  const m = machine("xdp");

  it("xdp_md: data/data_end/data_meta around the packet, ingress_ifindex, rx_queue_index, egress_ifindex", () => {
    const at = (name: string): number => ctxField(XDP_MD, name).offset;
    const run = (source: string, options = {}): bigint => runner(m, source, options).run(frame({ length: 90 })).retval;
    expect(run("ldxw %r2, [%r1]\nldxw %r0, [%r1+4]\nsub %r0, %r2\nexit")).toBe(90n);
    expect(run(`ldxw %r2, [%r1]\nldxw %r0, [%r1+${at("data_meta")}]\nsub %r0, %r2\nexit`)).toBe(0n);
    expect(run(`ldxw %r0, [%r1]\nexit`)).toBe(BigInt(m.layout.cpu(0).packetData));
    expect(run(`ldxw %r0, [%r1]\nexit`, { cpu: 1 })).toBe(BigInt(m.layout.cpu(1).packetData));
    expect(run(field(at("ingress_ifindex")))).toBe(1n);
    expect(run(field(at("ingress_ifindex")), { ifindex: 7 })).toBe(7n);
    expect(run(field(at("rx_queue_index")), { rxQueue: 3 })).toBe(3n);
    expect(run(field(at("egress_ifindex")))).toBe(0n);
  });

  it("drops IPv4 UDP over a generated mix; verdict counts match the packets", () => {
    const r = runner(m, `
      ldxw %r2, [%r1]
      ldxw %r3, [%r1+4]
      mov %r4, %r2
      add %r4, 34
      jgt %r4, %r3, short
      ldxh %r5, [%r2+12]
      jne %r5, 0x0008, pass
      ldxb %r5, [%r2+23]
      jne %r5, 17, pass
      mov %r0, 1
      exit
      pass:
      mov %r0, 2
      exit
      short:
      mov %r0, 0
      exit`);
    const expected = (d: Uint8Array): string =>
      d.length < 34 ? "XDP_ABORTED" : ethertype(d) === 0x0800 && d[23] === 17 ? "XDP_DROP" : "XDP_PASS";
    const want: Record<string, number> = {};
    for (const p of mix) want[expected(p.data)] = (want[expected(p.data)] ?? 0) + 1;
    const batch = r.runBatch(mix, { results: true });
    expect(batch.packets).toBe(mix.length);
    expect(batch.verdicts).toEqual(want);
    expect(Object.keys(want).length).toBe(3); // the mix exercises every branch
    batch.results!.forEach((res, i) => {
      expect(res.verdict).toBe(expected(mix[i]!.data));
      expect(res.packet).toEqual(mix[i]!.data);
    });
    // Without per-packet results the counts are the same.
    expect(r.runBatch(mix).verdicts).toEqual(want);
  });

  it("the packet after the run carries the program's writes (MAC swap, XDP_TX)", () => {
    const r = runner(m, `
      ldxw %r2, [%r1]
      ldxw %r3, [%r1+4]
      mov %r4, %r2
      add %r4, 14
      jgt %r4, %r3, out
      ldxw %r6, [%r2]
      ldxh %r7, [%r2+4]
      ldxw %r8, [%r2+6]
      ldxh %r9, [%r2+10]
      stxw [%r2], %r8
      stxh [%r2+4], %r9
      stxw [%r2+6], %r6
      stxh [%r2+10], %r7
      mov %r0, 3
      exit
      out:
      mov %r0, 2
      exit`);
    const input = frame({ length: 64, fill: 0x5a });
    const res = r.run(input);
    expect(res.verdict).toBe("XDP_TX");
    expect([...res.packet.subarray(0, 12)]).toEqual([...input.subarray(6, 12), ...input.subarray(0, 6)]);
    expect(res.packet.subarray(12)).toEqual(input.subarray(12));
    expect(input[0]).toBe(2); // the caller's bytes are not touched
  });

  it("a packet moved by a helper is read back from ctx.data / data_end", () => {
    // A stand-in for bpf_xdp_adjust_head (H10's): pops `r2` bytes by moving ctx->data.
    const pop: HelperDef = {
      id: 9001, name: "test_adjust_head", args: ["ptr_to_ctx", "anything"], ret: "integer",
      impl: (ctx, r1, r2) => {
        const view = new DataView(ctx.memory.buffer);
        view.setUint32(Number(r1), view.getUint32(Number(r1), true) + Number(r2), true);
        return 0n;
      },
    };
    const mm = machine("xdp", [], { extraHelpers: [() => [pop]] });
    const res = runner(mm, "mov %r2, 14\ncall 9001\nmov %r0, 2\nexit").run(frame({ length: 64, fill: 7 }));
    expect(res.packet.length).toBe(50);
    expect(res.packet.every((b) => b === 7)).toBe(true);
    // A helper that leaves the slot is caught when the packet is read back.
    const bad = runner(mm, "mov %r2, 100000\ncall 9001\nmov %r0, 2\nexit");
    expect(() => bad.run(frame())).toThrow(/xdp_md.data\/data_end = \[0x[0-9a-f]+, 0x[0-9a-f]+\) is not a range inside the packet slot/);
  });

  it("XDP_REDIRECT reports the target a helper recorded in the run record; other verdicts do not", () => {
    const redirect: HelperDef = {
      id: 9002, name: "test_redirect", args: ["anything", "anything"], ret: "integer",
      impl: (ctx, r1, r2) => {
        writeRedirect(new DataView(ctx.memory.buffer), mm.layout.cpu(ctx.cpu), RedirectKind.IFINDEX, Number(r1), Number(r2));
        return 4n;
      },
    };
    const mm = machine("xdp", [], { extraHelpers: [() => [redirect]] });
    const res = runner(mm, "mov %r1, 5\nmov %r2, 1\ncall 9002\nexit").run(frame());
    expect(res.verdict).toBe("XDP_REDIRECT");
    expect(res.redirect).toEqual({ kind: "ifindex", ifindex: 5, flags: 1 });
    const pass = runner(mm, "mov %r1, 5\nmov %r2, 0\ncall 9002\nmov %r0, 2\nexit").run(frame());
    expect(pass.redirect).toBeUndefined();
    // The record is cleared per packet: a later redirect verdict without a helper call has none.
    expect(runner(mm, "mov %r0, 4\nexit").run(frame()).redirect).toBeUndefined();
  });

  it("with the machine's packet helpers: xdp_adjust_head moves the packet, bpf_redirect records the target", () => {
    const input = frame({ length: 64 }).map((b, i) => (i < 14 ? b : i));
    const res = runner(m, "mov %r6, %r1\nmov %r2, 14\ncall 44\njne %r0, 0, fail\nmov %r1, 7\nmov %r2, 0\ncall 23\nexit\nfail:\nmov %r0, 0\nexit").run(input);
    expect(res.verdict).toBe("XDP_REDIRECT");
    expect(res.redirect).toEqual({ kind: "ifindex", ifindex: 7, flags: 0 });
    expect(res.packet).toEqual(input.subarray(14));
    const tc = machine("sched_cls");
    const tres = runner(tc, "mov %r1, 3\nmov %r2, 1\ncall 23\nexit").run(frame());
    expect(tres.verdict).toBe("TC_ACT_REDIRECT");
    expect(tres.redirect).toEqual({ kind: "ifindex", ifindex: 3, flags: 1 });
  });

  it("the xdp ctx is read-only and refuses packets larger than the slot", () => {
    expect(() => runner(m, "stw [%r1+12], 5\nmov %r0, 2\nexit").run(frame())).toThrow(/invalid write of 4 bytes .*'ctx \(xdp_md\)' is read-only/);
    expect(() => runner(m, "mov %r0, 2\nexit").run(new Uint8Array(2049))).toThrow(/packet of 2049 bytes is larger than the packet slot \(packetMax 2048\)/);
  });
});

describe("__sk_buff (socket filters and tc)", () => {
  const sk = machine("socket_filter");
  const tc = machine("sched_cls");
  const get = (m: typeof sk, name: string, packet: Parameters<ReturnType<typeof runner>["run"]>[0], options = {}): bigint =>
    runner(m, field(off(name)), options).run(packet).retval;

  it("len is the wire length; data/data_end hold the captured bytes", () => {
    const captured = { data: frame({ length: 60 }), origLen: 1500 };
    expect(get(sk, "len", captured)).toBe(1500n);
    expect(get(tc, "wire_len", captured)).toBe(1500n);
    expect(runner(sk, `ldxw %r2, [%r1+${off("data")}]\nldxw %r0, [%r1+${off("data_end")}]\nsub %r0, %r2\nexit`).run(captured).retval).toBe(60n);
    expect(get(sk, "len", frame({ length: 77 }))).toBe(77n);
  });

  it("protocol is skb->protocol as eth_type_trans sets it: a __be16 in a u32", () => {
    expect(get(sk, "protocol", frame({ ethertype: 0x0800 }))).toBe(0x0008n);
    expect(get(sk, "protocol", frame({ ethertype: 0x86dd }))).toBe(0xdd86n);
    expect(get(sk, "protocol", frame({ ethertype: 0x0806 }))).toBe(0x0608n);
    expect(get(sk, "protocol", frame({ ethertype: 0x0040 }))).toBe(0x0400n); // 802.3 length: ETH_P_802_2
    const ipx = frame({ ethertype: 0x0040 });
    ipx[14] = 0xff;
    ipx[15] = 0xff;
    expect(get(sk, "protocol", ipx)).toBe(0x0100n); // raw 802.3 (IPX): ETH_P_802_3
    expect(get(sk, "protocol", new Uint8Array(10))).toBe(0n);
  });

  it("pkt_type compares the destination with the interface's MAC (eth_type_trans)", () => {
    const to = (dst: number[]): Uint8Array => frame({ dst });
    const ff = new Uint8Array(6).fill(0xff);
    // lo has no broadcast address: BPF_PROG_TEST_RUN (and our default) calls ff:ff:.. multicast.
    expect(get(sk, "pkt_type", to([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(2n);
    expect(get(sk, "pkt_type", to([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), { broadcast: ff })).toBe(1n);
    expect(get(sk, "pkt_type", to([0x01, 0x00, 0x5e, 0, 0, 1]))).toBe(2n);
    expect(get(sk, "pkt_type", to([0x02, 0, 0, 0, 0, 1]))).toBe(3n);
    expect(get(sk, "pkt_type", to([0x02, 0, 0, 0, 0, 1]), { mac: new Uint8Array([2, 0, 0, 0, 0, 1]) })).toBe(0n);
    expect(get(sk, "pkt_type", to([0, 0, 0, 0, 0, 0]))).toBe(0n); // lo's all-zero address
  });

  it("ifindex, ingress_ifindex, and fields set by option; pointer fields cannot be set", () => {
    expect(get(tc, "ifindex", frame())).toBe(1n);
    expect(get(tc, "ingress_ifindex", frame(), { ifindex: 4 })).toBe(0n);
    expect(get(tc, "ingress_ifindex", frame(), { ifindex: 4, ingressIfindex: 9 })).toBe(9n);
    expect(get(tc, "mark", frame(), { skb: { mark: 0x55 } })).toBe(0x55n);
    expect(get(tc, "cb2", frame(), { skb: { cb2: 7 } })).toBe(7n);
    expect(get(tc, "len", frame(), { skb: { len: 9 } })).toBe(9n);
    expect(() => runner(tc, "exit", { skb: { data: 1 } })).toThrow(/__sk_buff.data is set by the runner/);
    expect(() => runner(tc, "exit", { skb: { nope: 1 } })).toThrow(/__sk_buff has no field 'nope'/);
    expect(() => runner(tc, "exit", { skb: { mark: -1 } })).toThrow(/mark = -1 is not a u32/);
    expect(() => runner(machine("xdp"), "exit", { skb: { mark: 1 } })).toThrow(BpfError);
  });

  it("VLAN: the tag stays in the data by default; vlanOffload strips it into vlan_* as rx offload does", () => {
    const tagged = frame({ ethertype: 0x8100, length: 64 });
    tagged.set([0x20, 0x05, 0x08, 0x00], 14); // TCI 0x2005, then IPv4
    tagged[18] = 0x45;
    expect(get(sk, "protocol", tagged)).toBe(0x0081n);
    expect(get(sk, "vlan_present", tagged)).toBe(0n);
    const o = { vlanOffload: true };
    expect(get(sk, "vlan_present", tagged, o)).toBe(1n);
    expect(get(sk, "vlan_tci", tagged, o)).toBe(0x2005n);
    expect(get(sk, "vlan_proto", tagged, o)).toBe(0x0081n);
    expect(get(sk, "protocol", tagged, o)).toBe(0x0008n);
    expect(get(sk, "len", tagged, o)).toBe(60n);
    // LD_ABS sees the untagged frame: the IPv4 version byte at 14.
    expect(runner(sk, "mov %r6, %r1\nldabsb 14\nexit", o).run(tagged).retval).toBe(0x45n);
    const res = runner(tc, "mov %r0, 0\nexit", o).run(tagged);
    expect([...res.packet.subarray(12, 15)]).toEqual([0x08, 0x00, 0x45]);
    expect(res.packet.length).toBe(60);
  });

  it("socket filter: accept keeps r0 bytes, drop is 0; only cb[] is writable", () => {
    const r = runner(sk, `
      mov %r6, %r1
      ldabsh 12
      jne %r0, 0x0800, drop
      ldabsb 23
      jne %r0, 6, drop
      mov %r0, 40
      exit
      drop:
      mov %r0, 0
      exit`);
    const tcp = (d: Uint8Array): boolean => ethertype(d) === 0x0800 && d.length > 23 && d[23] === 6;
    const batch = r.runBatch(mix, { results: true });
    const accepted = mix.filter((p) => tcp(p.data)).length;
    expect(batch.verdicts).toEqual({ accept: accepted, drop: mix.length - accepted });
    batch.results!.forEach((res, i) => {
      const d = mix[i]!.data;
      expect(res.packet).toEqual(res.verdict === "accept" ? d.subarray(0, Math.min(40, d.length)) : d);
    });
    expect(() => runner(sk, `stw [%r1+${off("mark")}], 1\nmov %r0, 0\nexit`).run(frame())).toThrow(BpfRuntimeError);
    expect(runner(sk, `stw [%r1+${off("cb0")}], 1\nldxw %r0, [%r1+${off("cb0")}]\nexit`).run(frame()).retval).toBe(1n);
  });

  it("tc: TC_ACT_* verdicts; mark, priority and cb[] are writable", () => {
    const r = runner(tc, `
      stw [%r1+${off("mark")}], 0x77
      ldxw %r0, [%r1+${off("protocol")}]
      jeq %r0, 0x0008, shot
      mov %r0, -1
      exit
      shot:
      mov %r0, 2
      exit`);
    expect(r.run(frame({ ethertype: 0x0800 })).verdict).toBe("TC_ACT_SHOT");
    const other = r.run(frame({ ethertype: 0x86dd }));
    expect(other.verdict).toBe("TC_ACT_UNSPEC");
    expect(other.retval).toBe(0xffffffffffffffffn);
    expect(runner(tc, "mov %r0, 0\nexit").run(frame()).verdict).toBe("TC_ACT_OK");
    expect(() => runner(tc, `stw [%r1+${off("len")}], 1\nmov %r0, 0\nexit`).run(frame())).toThrow(/'ctx \(__sk_buff\)' is read-only/);
  });

  it("ctx regions follow the type's writable fields", () => {
    const writable = (layout: typeof SK_BUFF_TC) =>
      ctxRegions(layout, 0x1000).filter((r) => r.writable).map((r) => [r.start - 0x1000, r.end - 0x1000]);
    expect(writable(SK_BUFF_SOCKET)).toEqual([[off("cb0"), off("cb4") + 4]]);
    expect(writable(SK_BUFF_TC)).toContainEqual([off("mark"), off("mark") + 8]); // mark, queue_mapping
    expect(ctxRegions(XDP_MD, 0x1000)).toEqual([{ start: 0x1000, end: 0x1000 + XDP_MD.size, writable: false, name: "ctx (xdp_md)" }]);
  });
});

describe("the conformance type", () => {
  it("gets r1 = data and r2 = length, no ctx", () => {
    const m = machine("conformance");
    const r = runner(m, "ldxb %r0, [%r1+2]\nadd %r0, %r2\nstb [%r1], 9\nexit");
    const res = r.run(new Uint8Array([1, 2, 3, 4]));
    expect(res.retval).toBe(7n);
    expect([...res.packet]).toEqual([9, 2, 3, 4]);
    expect(res.verdict).toBe("0x7");
  });
});
