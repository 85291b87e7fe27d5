// Classic BPF → eBPF, as the kernel converts socket filters (net/core/filter.c
// bpf_convert_filter), for a BPF_PROG_TYPE_SOCKET_FILTER program whose r1 is a __sk_buff:
//
//   A → r0, X → r7, scratch/temporary → r2, ctx → r6 (LD_ABS/LD_IND find the skb there),
//   M[k] → the 32-bit stack word at r10 - (4k + 4).
//
// The prologue clears A and X and copies ctx into r6. Each classic instruction becomes one or a
// few eBPF instructions; jumps are then re-targeted to where their classic targets landed.
// Differences from the kernel's own conversion, and why:
//   - packet loads stay eBPF LD_ABS / LD_IND (RFC 9669 §5.5) instead of the kernel's inline
//     skb->data fast path plus internal helpers: same semantics (out-of-bounds ends the program
//     with 0), and the engines implement LD_ABS on __sk_buff data/data_end;
//   - the prologue clears A and X with mov 0, not xor (a verifier refuses xor of an
//     uninitialized register: "R0 !read_ok");
//   - unreachable classic instructions are left out (the kernel keeps them: its converted
//     programs are never verified; an eBPF verifier refuses dead code);
//   - K-form ALU instructions get src = 0 (the kernel leaves X's number there; its converted
//     programs never meet the eBPF verifier, ours may);
//   - ancillary loads read the UAPI __sk_buff field (or call the UAPI helper) that holds what the
//     kernel reads from its internal struct sk_buff; the ones with no UAPI equivalent
//     (hatype, nlattr, nlattr_nest, pay_offset) are refused with a BpfError.
//
// The semantics are Linux's, which is what a live tcpdump gets on Linux (libpcap attaches the
// program with SO_ATTACH_FILTER). `tcpdump -r` instead runs libpcap's user-space bpf_filter(),
// which differs in two rules, checked on this kernel through SO_ATTACH_FILTER on an own UDP
// socket and by the differential test (test/cbpf/oracle.ts models both):
//   - shift by X >= 32: Linux shifts by X & 31 (eBPF's 32-bit shift), libpcap gives A = 0;
//   - ld [x + k] whose X + k overflows 32 bits: Linux adds modulo 2^32 (X = 0xffffffff, k = 14
//     reads byte 13), libpcap ends the program with 0.
// And a program Linux refuses, libpcap runs: its `protochain` code loops (a ja whose k wraps
// around), which bpf_check_classic — and so checkClassic — refuses.
// Loads at the negative SKF_NET_OFF/SKF_LL_OFF bases are passed on as eBPF LD_ABS/LD_IND with
// the same offsets; the kernel resolves them against the skb's network/MAC header, the engines
// (which have no such headers) end the program with 0, as an out-of-packet load.

import { BpfError } from "../errors.js";
import { AluOp, Cls, JmpOp, Mode, R10, Size, Src } from "../isa/opcodes.js";
import { insn, type Insn } from "../isa/instruction.js";
import { ctxField, SK_BUFF_SOCKET } from "../programs/index.js";
import { ancillaryIndex, checkClassic, isAncillary } from "./check.js";
import { formatSockFilter, type SockFilter } from "./filter.js";
import { atTextLines, readClassicText } from "./parse.js";
import { SkfAd } from "./opcodes.js";
import { describeCbpf, type CbpfDef } from "./table.js";

const A = 0;
const X = 7;
const TMP = 2;
const CTX = 6;
const ARG1 = 1;

const HELPER_GET_PRANDOM_U32 = 7;
const HELPER_GET_SMP_PROCESSOR_ID = 8;

const ALU_OP: Record<string, number> = {
  add: AluOp.ADD, sub: AluOp.SUB, mul: AluOp.MUL, div: AluOp.DIV, mod: AluOp.MOD,
  and: AluOp.AND, or: AluOp.OR, xor: AluOp.XOR, lsh: AluOp.LSH, rsh: AluOp.RSH,
};
const JMP_OP: Record<string, number> = { jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET };
/** When jt is the next instruction, jump on the negated condition instead (no JSET negation). */
const NEGATED: Record<string, number | undefined> = { jeq: JmpOp.JNE, jgt: JmpOp.JLE, jge: JmpOp.JLT };
const SIZE: Record<number, number> = { 1: Size.B, 2: Size.H, 4: Size.W };

const mov32Imm = (dst: number, k: number): Insn => insn(Cls.ALU | AluOp.MOV | Src.K, dst, 0, 0, k);
const mov64Reg = (dst: number, src: number): Insn => insn(Cls.ALU64 | AluOp.MOV | Src.X, dst, src);
const alu32Imm = (op: number, dst: number, k: number): Insn => insn(Cls.ALU | op | Src.K, dst, 0, 0, k);
const alu32Reg = (op: number, dst: number, src: number): Insn => insn(Cls.ALU | op | Src.X, dst, src);
const ldxw = (dst: number, src: number, off: number): Insn => insn(Cls.LDX | Mode.MEM | Size.W, dst, src, off);
const stxw = (dst: number, src: number, off: number): Insn => insn(Cls.STX | Mode.MEM | Size.W, dst, src, off);
const exit = (): Insn => insn(Cls.JMP | JmpOp.EXIT);
const call = (helper: number): Insn => insn(Cls.JMP | JmpOp.CALL, 0, 0, 0, helper);
const be16 = (dst: number): Insn => insn(Cls.ALU | AluOp.END | Src.X, dst, 0, 0, 16);
const ldAbs = (bytes: 1 | 2 | 4, k: number): Insn => insn(Cls.LD | Mode.ABS | SIZE[bytes]!, 0, 0, 0, k);
const ldInd = (bytes: 1 | 2 | 4, k: number): Insn => insn(Cls.LD | Mode.IND | SIZE[bytes]!, 0, X, 0, k);
const skbField = (name: string): number => ctxField(SK_BUFF_SOCKET, name).offset;

/** The stack slot of M[k]: 32-bit words below the frame pointer, as the kernel lays them out. */
const scratch = (k: number): number => -(k * 4 + 4);

/** A jump whose target is a classic instruction index, resolved once every expansion is known. */
interface PendingJump {
  at: number; // index in the output
  target: number; // classic pc
}

/** How each ancillary load (SKF_AD_OFF + n) reads the same datum through UAPI. */
const ANCILLARY: Record<number, (() => Insn[]) | string> = {
  // __sk_buff.protocol holds the __be16 as the kernel stores it; the classic value is ntohs() of it.
  [SkfAd.PROTOCOL]: () => [ldxw(A, CTX, skbField("protocol")), be16(A)],
  [SkfAd.PKTTYPE]: () => [ldxw(A, CTX, skbField("pkt_type"))],
  [SkfAd.IFINDEX]: () => [ldxw(A, CTX, skbField("ifindex"))],
  [SkfAd.MARK]: () => [ldxw(A, CTX, skbField("mark"))],
  [SkfAd.QUEUE]: () => [ldxw(A, CTX, skbField("queue_mapping"))],
  [SkfAd.RXHASH]: () => [ldxw(A, CTX, skbField("hash"))],
  [SkfAd.VLAN_TAG]: () => [ldxw(A, CTX, skbField("vlan_tci"))],
  [SkfAd.VLAN_TAG_PRESENT]: () => [ldxw(A, CTX, skbField("vlan_present"))],
  [SkfAd.VLAN_TPID]: () => [ldxw(A, CTX, skbField("vlan_proto")), be16(A)],
  [SkfAd.CPU]: () => [call(HELPER_GET_SMP_PROCESSOR_ID)],
  [SkfAd.RANDOM]: () => [call(HELPER_GET_PRANDOM_U32)],
  [SkfAd.ALU_XOR_X]: () => [alu32Reg(AluOp.XOR, A, X)],
  [SkfAd.HATYPE]: "the device type (skb->dev->type) has no __sk_buff field",
  [SkfAd.NLATTR]: "netlink attribute lookup has no eBPF equivalent",
  [SkfAd.NLATTR_NEST]: "netlink attribute lookup has no eBPF equivalent",
  [SkfAd.PAY_OFFSET]: "the payload offset (skb_get_poff) has no eBPF helper",
};

/**
 * Which classic instructions some path reaches. Classic jumps only go forward, so one pass in
 * order finds them all. Dead code is legal classic BPF (tcpdump -O leaves some) but an eBPF
 * verifier refuses it ("unreachable insn"), so it is not translated.
 */
function reachable(filter: readonly SockFilter[]): boolean[] {
  const live = new Array<boolean>(filter.length).fill(false);
  live[0] = true;
  filter.forEach((f, pc) => {
    if (!live[pc]) return;
    const kind = describeCbpf(f.code)!.kind;
    if (kind === "ret_k" || kind === "ret_a") return;
    if (kind === "ja") live[pc + 1 + (f.k >>> 0)] = true;
    else if (kind === "jcond") live[pc + 1 + f.jt] = live[pc + 1 + f.jf] = true;
    else live[pc + 1] = true;
  });
  return live;
}

class Translator {
  readonly out: Insn[] = [];
  /** Output index where each classic instruction starts. */
  readonly addrs: number[] = [];
  readonly jumps: PendingJump[] = [];

  constructor(private readonly filter: readonly SockFilter[]) {}

  emit(...insns: Insn[]): void {
    this.out.push(...insns);
  }

  jump(ins: Insn, target: number): void {
    this.jumps.push({ at: this.out.length, target });
    this.out.push(ins);
  }

  fail(pc: number, why: string): never {
    throw new BpfError(`classic BPF insn ${pc} (${formatSockFilter(this.filter[pc]!, pc)}): ${why}`, { insn: pc });
  }

  run(): Insn[] {
    // Prologue: classic BPF starts with A = X = 0; ctx stays in r6 for LD_ABS/LD_IND. (The
    // kernel clears with xor; an eBPF verifier refuses reading the uninitialized r0/r7, so
    // mov 0 keeps the result loadable as an ordinary eBPF socket filter.)
    this.emit(mov32Imm(A, 0), mov32Imm(X, 0), mov64Reg(CTX, ARG1));
    const live = reachable(this.filter);
    this.filter.forEach((f, pc) => {
      this.addrs.push(this.out.length);
      if (live[pc]) this.insn(f, pc, describeCbpf(f.code)!);
    });
    this.resolveJumps();
    return this.out;
  }

  private insn(f: SockFilter, pc: number, def: CbpfDef): void {
    const k = f.k | 0; // eBPF immediates are s32; the bits are the same
    switch (def.kind) {
      case "alu": {
        const op = ALU_OP[def.alu!]!;
        if (!def.x) return this.emit(alu32Imm(op, A, k));
        if (def.alu === "div" || def.alu === "mod") {
          // Classic BPF returns 0 from the program on division by X = 0.
          this.emit(insn(Cls.ALU | AluOp.MOV | Src.X, X, X), insn(Cls.JMP | JmpOp.JNE | Src.K, X, 0, 2, 0), alu32Reg(AluOp.XOR, A, A), exit());
        }
        return this.emit(alu32Reg(op, A, X));
      }
      case "neg": return this.emit(insn(Cls.ALU | AluOp.NEG, A));
      case "ld_abs": return isAncillary(f.k) ? this.ancillary(pc, f) : this.emit(ldAbs(def.bytes!, k));
      case "ld_ind": return this.emit(ldInd(def.bytes!, k));
      case "ld_len": return this.emit(ldxw(A, CTX, skbField("len")));
      case "ldx_len": return this.emit(ldxw(X, CTX, skbField("len")));
      case "ld_imm": return this.emit(mov32Imm(A, k));
      case "ldx_imm": return this.emit(mov32Imm(X, k));
      case "ld_mem": return this.emit(ldxw(A, R10, scratch(f.k)));
      case "ldx_mem": return this.emit(ldxw(X, R10, scratch(f.k)));
      case "st": return this.emit(stxw(R10, A, scratch(f.k)));
      case "stx": return this.emit(stxw(R10, X, scratch(f.k)));
      case "tax": return this.emit(mov64Reg(X, A));
      case "txa": return this.emit(mov64Reg(A, X));
      case "ldx_msh":
        // X = 4 * (pkt[k] & 0xf). LD_ABS writes r0 (= A) and clobbers r1-r5, so A waits in X.
        return this.emit(mov64Reg(X, A), ldAbs(1, k), alu32Imm(AluOp.AND, A, 0xf), alu32Imm(AluOp.LSH, A, 2), mov64Reg(TMP, X), mov64Reg(X, A), mov64Reg(A, TMP));
      case "ret_k": return this.emit(mov32Imm(A, k), exit());
      case "ret_a": return this.emit(exit());
      case "ja": return this.jump(insn(Cls.JMP | JmpOp.JA), pc + 1 + (f.k >>> 0));
      case "jcond": return this.conditional(f, pc, def);
    }
  }

  private ancillary(pc: number, f: SockFilter): void {
    const n = ancillaryIndex(f.k);
    const how = n === undefined ? undefined : ANCILLARY[n];
    if (how === undefined) this.fail(pc, `unknown ancillary load SKF_AD_OFF + ${(f.k | 0) + 0x1000}`);
    if (typeof how === "string") this.fail(pc, `ancillary load SKF_AD_OFF + ${n} cannot be translated: ${how}`);
    this.emit(...how());
  }

  /** The kernel's mapping: one jump when jf (or, negated, jt) falls through, else a jump and a ja. */
  private conditional(f: SockFilter, pc: number, def: CbpfDef): void {
    const op = JMP_OP[def.cond!]!;
    let src: number = Src.K;
    let srcReg = 0;
    let imm = f.k | 0;
    if (def.x) {
      src = Src.X;
      srcReg = X;
      imm = 0;
    } else if ((f.k | 0) < 0) {
      // eBPF immediates are sign-extended to 64 bits and A is a zero-extended 32-bit value:
      // compare against the constant zero-extended into a register instead.
      this.emit(mov32Imm(TMP, f.k | 0));
      src = Src.X;
      srcReg = TMP;
      imm = 0;
    }
    const cond = (code: number): Insn => insn(Cls.JMP | code | src, A, srcReg, 0, imm);
    if (f.jf === 0) return this.jump(cond(op), pc + 1 + f.jt);
    const negated = NEGATED[def.cond!];
    if (f.jt === 0 && negated !== undefined) return this.jump(cond(negated), pc + 1 + f.jf);
    this.jump(cond(op), pc + 1 + f.jt);
    this.jump(insn(Cls.JMP | JmpOp.JA), pc + 1 + f.jf);
  }

  private resolveJumps(): void {
    for (const j of this.jumps) {
      const off = this.addrs[j.target]! - (j.at + 1);
      if (off > 0x7fff) throw new BpfError(`classic BPF program too long to translate: a jump of ${off} eBPF instructions does not fit in 16 bits`);
      this.out[j.at] = { ...this.out[j.at]!, off };
    }
  }
}

/**
 * Check a classic program (Linux's rules, see check.ts) and translate it to eBPF instruction
 * slots for a socket filter: r1 = __sk_buff, r0 at exit = bytes to keep (0 = drop).
 */
export function translateClassic(filter: readonly SockFilter[]): Insn[] {
  checkClassic(filter);
  return new Translator(filter).run();
}

/**
 * translateClassic for a program given as text (tcpdump -dd, -ddd or the one-line comma form):
 * every refusal names the text line, the checker's and the translator's too.
 */
export function translateClassicText(text: string): Insn[] {
  return atTextLines(readClassicText(text), translateClassic);
}
