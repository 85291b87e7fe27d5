import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  checkClassic,
  decodeSockFilters,
  encodeSockFilters,
  formatTcpdumpDdd,
  listSockFilters,
  parseClassicText,
  parseTcpdumpDd,
  parseTcpdumpDdd,
  sockFilter,
  translateClassic,
  translateClassicText,
  type SockFilter,
} from "../../vm/cbpf/index.js";
import { compileTcpdumpFilter, tcpdumpUnavailable } from "../../vm/cbpf/tcpdump.node.js";
import { BpfError } from "../../vm/errors.js";
import { describe as describeInsn } from "../../vm/isa/index.js";
import { writePcap } from "../../vm/packets/index.js";
import { SocketFilterRunner } from "./harness.js";
import { runClassic } from "./oracle.js";

const s = sockFilter;
// Opcodes by name (linux/filter.h), spelled out so the tests do not reuse the tables they test.
const LD_H_ABS = 0x28, LD_B_ABS = 0x30, LD_W_ABS = 0x20, LD_B_IND = 0x50, LD_W_LEN = 0x80, LD_IMM = 0x00, LD_MEM = 0x60;
const LDX_IMM = 0x01, LDX_MEM = 0x61, LDX_LEN = 0x81, LDX_MSH = 0xb1, ST = 0x02, STX = 0x03;
const ADD_K = 0x04, DIV_K = 0x34, DIV_X = 0x3c, MOD_X = 0x9c, MOD_K = 0x94, LSH_K = 0x64, RSH_X = 0x7c, NEG = 0x84, XOR_X = 0xac;
const JA = 0x05, JEQ_K = 0x15, JGT_K = 0x25, JGE_K = 0x35, JSET_K = 0x45, JEQ_X = 0x1d;
const RET_K = 0x06, RET_A = 0x16, RET_X = 0x0e, TAX = 0x07, TXA = 0x87;

function expectCheckError(prog: SockFilter[], message: RegExp, insn?: number): void {
  try {
    checkClassic(prog);
  } catch (e) {
    expect(e).toBeInstanceOf(BpfError);
    expect((e as BpfError).message).toMatch(message);
    if (insn !== undefined) expect((e as BpfError).where.insn).toBe(insn);
    return;
  }
  throw new Error(`expected the checker to refuse with ${message}`);
}

describe("parsers", () => {
  const prog = [s(LD_H_ABS, 0, 0, 12), s(JEQ_K, 0, 1, 0x800), s(RET_K, 0, 0, 262144), s(RET_K, 0, 0, 0)];

  it("read tcpdump -dd, -ddd, the comma form, and sock_filter bytes", () => {
    const dd = "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x00040000 },\n{ 0x6, 0, 0, 0x00000000 },\n";
    expect(parseTcpdumpDd(dd)).toEqual(prog);
    expect(parseClassicText(`struct sock_filter code[] = {\n${dd}};`)).toEqual(prog);
    expect(parseTcpdumpDdd("4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n")).toEqual(prog);
    expect(parseClassicText("4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0")).toEqual(prog);
    expect(parseTcpdumpDdd(formatTcpdumpDdd(prog))).toEqual(prog);
    expect(decodeSockFilters(encodeSockFilters(prog))).toEqual(prog);
    expect([...encodeSockFilters([s(0x28, 1, 2, 0x0c)])]).toEqual([0x28, 0, 1, 2, 0x0c, 0, 0, 0]);
  });

  it("refuse malformed text with the line number", () => {
    const err = (f: () => unknown, re: RegExp, line?: number): void => {
      expect(f).toThrow(BpfError);
      expect(f).toThrow(re);
      if (line !== undefined) {
        try {
          f();
        } catch (e) {
          expect((e as BpfError).where.line).toBe(line);
        }
      }
    };
    err(() => parseTcpdumpDdd(""), /empty/);
    err(() => parseTcpdumpDdd("two\n6 0 0 0"), /line 1: expected the instruction count, got 'two'/, 1);
    err(() => parseTcpdumpDdd("2\n6 0 0 0"), /count line says 2 instructions, 1 follow/);
    err(() => parseTcpdumpDdd("1\n6 0 0"), /line 2: expected 'code jt jf k' \(four numbers\), got '6 0 0'/, 2);
    err(() => parseTcpdumpDdd("1\n6 0 256 0"), /line 2: jf 256 is out of range \(0..255\)/, 2);
    err(() => parseTcpdumpDdd("1\n65536 0 0 0"), /code 65536 is out of range/);
    err(() => parseTcpdumpDdd("1\n6 0 0 4294967296"), /k 4294967296 is out of range/);
    err(() => parseTcpdumpDd("hello"), /no '\{ code, jt, jf, k \}' entries/);
    err(() => parseTcpdumpDd("{ 0x28, 0, 0, 0xc },\n{ 0x15, 0, 1 },"), /line 2: expected '\{ code, jt, jf, k \}'/, 2);
    err(() => decodeSockFilters(new Uint8Array(12)), /12 bytes is not a whole number of 8-byte sock_filter structs/);
    err(() => parseTcpdumpDdd("1\n6 0 0 0\n\n# extra\n6 0 0 1"), /line 1: the count line says 1 instructions, 2 follow \(the first extra one is on line 5\)/, 1);
    // The one-line comma form counts real lines: everything is on line 1.
    err(() => parseClassicText("2,6 0 0 0,6 0 0"), /line 1: expected 'code jt jf k' \(four numbers\), got '6 0 0'/, 1);
  });

  it("name the text line of what the checker and the translator refuse (translateClassicText)", () => {
    const refusal = (text: string): BpfError => {
      try {
        translateClassicText(text);
      } catch (e) {
        expect(e).toBeInstanceOf(BpfError);
        return e as BpfError;
      }
      throw new Error(`expected '${text}' to be refused`);
    };
    // -ddd: count on line 1, a comment line, insn 1 (div #0) on line 4.
    let e = refusal("3\n40 0 0 12\n# A /= 0\n52 0 0 0\n6 0 0 0\n");
    expect(e.message).toMatch(/^classic BPF text line 4: classic BPF insn 1 \(div +#0\): division by the constant 0$/);
    expect(e.where).toEqual({ insn: 1, line: 4 });
    // -dd, two entries on a line: a jump past the end from insn 2 (line 3).
    e = refusal("struct sock_filter f[] = {\n{ 0x28, 0, 0, 0xc }, { 0x15, 0, 1, 0x800 },\n{ 0x15, 5, 0, 0 },\n{ 0x6, 0, 0, 0 } };");
    expect(e.message).toMatch(/^classic BPF text line 3: classic BPF insn 2 .*jump-if-true target 8 is past the last instruction 3/);
    expect(e.where).toEqual({ insn: 2, line: 3 });
    // M[16], an unknown opcode, a missing ret, an untranslatable ancillary load.
    expect(refusal("2\n2 0 0 16\n6 0 0 0").message).toMatch(/^classic BPF text line 2: .*M\[16\] does not exist/);
    expect(refusal("2\n153 0 0 0\n6 0 0 0").message).toMatch(/^classic BPF text line 2: .*opcode 0x99/);
    expect(refusal("2\n6 0 0 0\n7 0 0 0").message).toMatch(/^classic BPF text line 3: .*the last instruction must be a ret/);
    expect(refusal("{ 0x20, 0, 0, 0xfffff01c }, { 0x16, 0, 0, 0 }").message).toMatch(/^classic BPF text line 1: .*device type/);
    // Refusals that name no instruction stay as they were; good text translates as the parsed program does.
    expect(refusal("0").message).toMatch(/^classic BPF program is empty/);
    const text = "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n";
    expect(translateClassicText(text)).toEqual(translateClassic(parseTcpdumpDdd(text)));
  });
});

describe("checker (Linux bpf_check_classic rules)", () => {
  const ok = [s(LD_IMM, 0, 0, 1), s(RET_A)];

  it("accepts a well-formed program", () => {
    expect(() => checkClassic(ok)).not.toThrow();
  });

  it("refuses empty and over-long programs", () => {
    expect(() => checkClassic([])).toThrow(/empty/);
    expect(() => checkClassic(Array.from({ length: 4097 }, () => s(RET_K)))).toThrow(/4097 instructions, more than the 4096/);
    expect(() => checkClassic(Array.from({ length: 4096 }, () => s(RET_K)))).not.toThrow();
  });

  it.each([
    ["an opcode Linux does not accept", [s(0x99), s(RET_K)], /insn 0 \(unimp +0x99\): opcode 0x99 is not a classic BPF instruction/, 0],
    ["ret X (BSD only)", [s(RET_X)], /opcode 0x0e/, 0],
    ["LD IMM with size bits", [s(0x10), s(RET_K)], /opcode 0x10/, 0],
    ["division by constant 0", [s(DIV_K, 0, 0, 0), s(RET_A)], /insn 0 \(div +#0\): division by the constant 0/, 0],
    ["modulo by constant 0", [s(MOD_K, 0, 0, 0), s(RET_A)], /modulo by the constant 0/, 0],
    ["shift by 32", [s(LSH_K, 0, 0, 32), s(RET_A)], /shift by 32 \(must be below 32\)/, 0],
    ["M[16]", [s(ST, 0, 0, 16), s(RET_A)], /scratch word M\[16\] does not exist/, 0],
    ["ja past the end", [s(JA, 0, 0, 1), s(RET_A)], /insn 0 \(ja +2\): jump target 2 is past the last instruction 1/, 0],
    ["ja with a huge k (no wrap-around)", [s(JA, 0, 0, 0x7fffffff), s(RET_A)], /insn 0 \(ja +-2147483648\): jump target 2147483648 is past the last instruction 1/, 0],
    // k wraps the pc around: a loop (libpcap's protochain code); named as such, not as "past the end".
    ["ja whose k wraps around to itself", [s(JA, 0, 0, 0xffffffff), s(RET_A)], /insn 0 \(ja +0\): jumps backward to insn 0 \(k = 0xffffffff wraps around\)/, 0],
    ["ja whose k wraps around to an earlier insn", [s(LD_IMM), s(RET_A), s(JA, 0, 0, 0xfffffffe), s(RET_A)], /insn 2 \(ja +1\): jumps backward to insn 1 /, 2],
    ["ja whose target is just below 2^32 (no wrap)", [s(LD_IMM), s(RET_A), s(JA, 0, 0, 0xfffffffc), s(RET_A)], /insn 2 \(ja +-1\): jump target 4294967295 is past the last instruction 3/, 2],
    ["jt past the end", [s(LD_IMM), s(JEQ_K, 1, 0, 0), s(RET_A)], /insn 1 .*jump-if-true target 3 is past the last instruction 2/, 1],
    ["jf past the end", [s(LD_IMM), s(JGT_K, 0, 5, 0), s(RET_A)], /jump-if-false target 7/, 1],
    ["no ret at the end", [s(LD_IMM), s(TAX)], /insn 1 \(tax\): the last instruction must be a ret/, 1],
    ["an unknown ancillary load", [s(LD_W_ABS, 0, 0, 0xfffff000 + 64), s(RET_A)], /unknown ancillary load SKF_AD_OFF \+ 64/, 0],
    ["M[] read before any write", [s(LD_MEM, 0, 0, 3), s(RET_A)], /insn 0 \(ld +M\[3\]\): reads M\[3\] before every path to it has written it/, 0],
    [
      "M[] written on one path only",
      [s(LD_IMM), s(JEQ_K, 0, 1, 0), s(ST, 0, 0, 2), s(LDX_MEM, 0, 0, 2), s(RET_A)],
      /insn 3 .*reads M\[2\]/,
      3,
    ],
  ])("refuses %s", (_what, prog, message, insn) => {
    expectCheckError(prog as SockFilter[], message as RegExp, insn as number);
  });

  it("accepts M[] written on every path, and the SKF_NET_OFF/SKF_LL_OFF ranges", () => {
    const both = [s(LD_IMM), s(JEQ_K, 0, 2, 0), s(ST, 0, 0, 2), s(JA, 0, 0, 1), s(STX, 0, 0, 2), s(LDX_MEM, 0, 0, 2), s(RET_A)];
    expect(() => checkClassic(both)).not.toThrow();
    expect(() => checkClassic([s(LD_W_ABS, 0, 0, 0xfff00000 + 9), s(RET_A)])).not.toThrow();
    expect(() => checkClassic([s(LD_W_ABS, 0, 0, 0xfffff000 + 0), s(RET_A)])).not.toThrow();
  });
});

/** Runs a program on the oracle and, translated, on the interpreter; both must agree. */
async function both(prog: SockFilter[], packet: number[], fields: Record<string, number> = {}, oracleSkb: Record<string, number> = {}): Promise<number> {
  const data = Uint8Array.from(packet);
  const runner = await SocketFilterRunner.load("interpreter", translateClassic(prog));
  try {
    const r0 = runner.run(data, fields);
    expect(r0).toBe(runClassic(prog, data, { len: fields.len ?? data.length, ...oracleSkb }));
    return r0;
  } finally {
    runner.dispose();
  }
}

describe("translation", () => {
  it("emits the kernel's prologue and maps registers A→r0, X→r7, ctx→r6", () => {
    const insns = translateClassic([s(LD_H_ABS, 0, 0, 12), s(RET_A)]);
    expect(insns.map((i) => describeInsn(i)?.mnemonic)).toEqual(["mov32", "mov32", "mov", "ldabsh", "exit"]);
    expect(insns.slice(0, 3).map((i) => [i.dst, i.src, i.imm])).toEqual([[0, 0, 0], [7, 0, 0], [6, 1, 0]]);
    expect(insns[3]).toMatchObject({ imm: 12, src: 0, dst: 0 });
  });

  it("maps jumps like bpf_convert_filter: fall-through jf, negated jt, or jump + ja", () => {
    const m = (prog: SockFilter[]): string[] => translateClassic(prog).slice(3).map((i) => `${describeInsn(i)!.mnemonic} ${i.off}`);
    expect(m([s(LD_IMM), s(JEQ_K, 1, 0, 5), s(RET_K), s(RET_A)])).toEqual(["mov32 0", "jeq 2", "mov32 0", "exit 0", "exit 0"]);
    expect(m([s(LD_IMM), s(JGT_K, 0, 1, 5), s(RET_K), s(RET_A)])).toEqual(["mov32 0", "jle 2", "mov32 0", "exit 0", "exit 0"]);
    expect(m([s(LD_IMM), s(JSET_K, 0, 1, 5), s(RET_K), s(RET_A)])).toEqual(["mov32 0", "jset 1", "ja 2", "mov32 0", "exit 0", "exit 0"]);
    // A negative k is compared as a zero-extended 32-bit value through r2.
    const neg = translateClassic([s(LD_IMM), s(JGE_K, 0, 1, 0x80000000), s(RET_K), s(RET_A)]);
    expect(neg.slice(4, 6).map((i) => [describeInsn(i)!.mnemonic, i.dst, i.src, i.imm])).toEqual([["mov32", 2, 0, -0x80000000], ["jlt", 0, 2, 0]]);
  });

  it("keeps A, X and M[] straight through loads, stores, MSH, TAX/TXA", async () => {
    const pkt = [0x45, 0x00, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb];
    // X = 4 * (pkt[0] & 0xf) = 20.
    expect(await both([s(LDX_MSH, 0, 0, 0), s(TXA), s(RET_A)], pkt)).toBe(20);
    expect(await both([s(LD_IMM, 0, 0, 7), s(LDX_MSH, 0, 0, 0), s(RET_A)], pkt)).toBe(7); // MSH leaves A alone
    expect(await both([s(LDX_IMM, 0, 0, 2), s(LD_B_IND, 0, 0, 4), s(RET_A)], pkt)).toBe(0xaa); // pkt[2 + 4]
    expect(await both([s(LD_W_ABS, 0, 0, 2), s(ST, 0, 0, 15), s(LD_IMM, 0, 0, 1), s(LDX_MEM, 0, 0, 15), s(TXA), s(RET_A)], pkt)).toBe(0x11223344);
    expect(await both([s(LD_W_LEN), s(LDX_LEN), s(ADD_K, 0, 0, 0), s(TAX), s(TXA), s(RET_A)], pkt, { len: 1514 })).toBe(1514);
    expect(await both([s(LD_IMM, 0, 0, 5), s(NEG), s(RET_A)], pkt)).toBe(0xfffffffb);
  });

  it("returns 0 from the program on division or modulo by X = 0, and on out-of-bounds loads", async () => {
    const pkt = [1, 2, 3, 4];
    expect(await both([s(LD_IMM, 0, 0, 9), s(LDX_IMM, 0, 0, 0), s(DIV_X), s(RET_K, 0, 0, 77)], pkt)).toBe(0);
    expect(await both([s(LD_IMM, 0, 0, 9), s(LDX_IMM, 0, 0, 0), s(MOD_X), s(RET_K, 0, 0, 77)], pkt)).toBe(0);
    expect(await both([s(LD_IMM, 0, 0, 9), s(LDX_IMM, 0, 0, 4), s(MOD_X), s(RET_A)], pkt)).toBe(1);
    expect(await both([s(LD_W_ABS, 0, 0, 1), s(RET_K, 0, 0, 77)], pkt)).toBe(0);
    expect(await both([s(LD_B_ABS, 0, 0, 3), s(RET_A)], pkt)).toBe(4);
    expect(await both([s(LDX_IMM, 0, 0, 0xffffffff), s(LD_B_IND, 0, 0, 1), s(RET_A)], pkt)).toBe(1); // X + k wraps to 0
    expect(await both([s(LDX_IMM, 0, 0, 0xfffffffe), s(LD_B_IND, 0, 0, 1), s(RET_K, 0, 0, 77)], pkt)).toBe(0); // X + k < 0
    expect(await both([s(LDX_MSH, 0, 0, 4), s(RET_K, 0, 0, 77)], pkt)).toBe(0);
  });

  it("shifts by X use the low 5 bits, as the kernel's eBPF 32-bit shifts do", async () => {
    expect(await both([s(LD_IMM, 0, 0, 0x80000000), s(LDX_IMM, 0, 0, 33), s(RSH_X), s(RET_A)], [])).toBe(0x40000000);
  });

  it("reads ancillary data from __sk_buff fields (and refuses what has no UAPI equivalent)", async () => {
    const ext = (n: number): SockFilter[] => [s(LD_W_ABS, 0, 0, (0xfffff000 + n) >>> 0), s(RET_A)];
    // __sk_buff.protocol holds the __be16 (0x0008 for IPv4 on a little-endian host); classic gives ntohs.
    expect(await both(ext(0), [], { protocol: 0x0008 }, { protocol: 0x0800 })).toBe(0x0800);
    expect(await both(ext(4), [], { pkt_type: 3 }, { pktType: 3 })).toBe(3);
    expect(await both(ext(8), [], { ifindex: 12 }, { ifindex: 12 })).toBe(12);
    expect(await both(ext(20), [], { mark: 0xbeef }, { mark: 0xbeef })).toBe(0xbeef);
    expect(await both(ext(24), [], { queue_mapping: 5 }, { queue: 5 })).toBe(5);
    expect(await both(ext(32), [], { hash: 0x12345678 }, { hash: 0x12345678 })).toBe(0x12345678);
    expect(await both(ext(36), [], {}, { cpu: 0 })).toBe(0);
    expect(await both([s(LD_IMM, 0, 0, 6), s(LDX_IMM, 0, 0, 3), ...ext(40)], [], {}, {})).toBe(5);
    expect(await both(ext(44), [], { vlan_tci: 100 }, { vlanTci: 100 })).toBe(100);
    expect(await both(ext(48), [], { vlan_present: 1 }, { vlanPresent: 1 })).toBe(1);
    expect(await both(ext(60), [], { vlan_proto: 0x0081 }, { vlanProto: 0x8100 })).toBe(0x8100);
    for (const [n, why] of [[28, /device type/], [12, /netlink/], [16, /netlink/], [52, /payload offset/]] as const) {
      expect(() => translateClassic(ext(n))).toThrow(why);
      expect(() => translateClassic(ext(n))).toThrow(/insn 0/);
    }
    const random = translateClassic(ext(56));
    expect(random.some((i) => describeInsn(i)?.kind === "call" && i.imm === 7)).toBe(true);
  });

  it("leaves out unreachable classic instructions (an eBPF verifier refuses dead code)", async () => {
    const prog = [s(LD_IMM, 0, 0, 9), s(JA, 0, 0, 1), s(RET_K, 0, 0, 5), s(RET_A)];
    const insns = translateClassic(prog);
    expect(insns.map((i) => describeInsn(i)!.mnemonic)).toEqual(["mov32", "mov32", "mov", "mov32", "ja", "exit"]);
    expect(insns[4]!.off).toBe(0);
    expect(await both(prog, [])).toBe(9);
  });

  it("translates the checker's refusals into BpfErrors, not eBPF", () => {
    expect(() => translateClassic([s(DIV_K, 0, 0, 0), s(RET_A)])).toThrow(/division by the constant 0/);
    expect(() => translateClassic([s(TAX)])).toThrow(/last instruction must be a ret/);
    expect(() => translateClassic([s(JEQ_X, 0, 0, 0)])).toThrow(/jump-if-true target 1 is past/);
    expect(() => translateClassic([s(XOR_X), s(RET_K)])).not.toThrow();
  });
});

describe("tcpdump compiler wrapper", () => {
  const missing = tcpdumpUnavailable();
  if (missing) {
    it.skip(`skipped: ${missing}`, () => {});
    console.log(`skipped: tcpdump compiler wrapper tests: ${missing}`);
    return;
  }

  it("compiles for the link type and snaplen asked for", () => {
    expect(compileTcpdumpFilter("ip")).toEqual([s(LD_H_ABS, 0, 0, 12), s(JEQ_K, 0, 1, 0x800), s(RET_K, 0, 0, 262144), s(RET_K)]);
    expect(compileTcpdumpFilter("ip", { snaplen: 96 }).at(-2)).toEqual(s(RET_K, 0, 0, 96));
    // Raw IP: the version nibble, no Ethernet header.
    expect(compileTcpdumpFilter("ip", { linkType: 101 })[0]).toEqual(s(LD_B_ABS, 0, 0, 0));
    expect(compileTcpdumpFilter("tcp", { optimize: false }).length).toBeGreaterThan(compileTcpdumpFilter("tcp").length);
  });

  it("refuses libpcap's protochain loop as Linux does, saying why", () => {
    // Linux's bpf_check_classic refuses it too (SO_ATTACH_FILTER gives EINVAL); libpcap then
    // filters in user space. A socket filter cannot run it.
    const prog = compileTcpdumpFilter("ip6 protochain 6");
    expect(() => translateClassic(prog)).toThrow(/classic BPF insn 18 \(ja +4\): jumps backward to insn 4 \(k = 0xfffffff1 wraps around\): .*'protochain'/);
  });

  it("refuses bad expressions with tcpdump's message", () => {
    expect(() => compileTcpdumpFilter("tcp port eighty")).toThrow(BpfError);
    expect(() => compileTcpdumpFilter("bogus syntax (")).toThrow(/tcpdump could not compile the filter 'bogus syntax \(': .*(syntax error|parse)/);
    expect(() => compileTcpdumpFilter("-h")).toThrow(/tcpdump could not compile/);
    expect(() => compileTcpdumpFilter("ip", { tcpdump: "/nonexistent/tcpdump" })).toThrow(/cannot run \/nonexistent\/tcpdump/);
  });

  it("lists programs exactly as tcpdump -d does", () => {
    // protochain: libpcap's loop, a ja whose k wraps around (tcpdump -d prints the target it reaches).
    for (const expr of ["tcp port 80", "vlan and tcp", "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", "len % 7 = 3", "ip[0] & 0xf != 5", "greater 100", "ip and ip[9] * 3 - ip[8] / 2 > 40", "ip6 protochain 6"]) {
      const r = spawnSync("tcpdump", ["-r", "-", "-d", expr], { input: writePcap([]), encoding: "utf8" });
      const theirs = r.stdout.trimEnd().split("\n").map((l) => l.trimEnd());
      expect(listSockFilters(compileTcpdumpFilter(expr)).split("\n"), expr).toEqual(theirs);
    }
  });
});
