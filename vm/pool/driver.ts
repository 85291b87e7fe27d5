// The packet loop of a worker, as a small hand-assembled wasm module: one JS→wasm call runs a
// program over a range of corpus packets, calling the JIT module's `run` export wasm-to-wasm (an
// import bound to the other instance's export: no JavaScript, no BigInt per packet).
//
//   xdp(desc, first, count, ctx, fp, slot, results, hist, cpu, record)   all i32 (and skb's
//                                                                        place, ignored)
//     for i in [first, first + count):
//       record = 0 (RECORD_SIZE bytes)                          as the runtime's runner does
//       ptr, len = descriptor i (u32 pair at desc + 8i)
//       if slot: memory.copy(slot, ptr, len); ptr = slot        the per-CPU copy
//       linear = min(len, 3520)                                 a longer frame is multi-buffer:
//       record.frags = len - linear, .fragsEnd = ptr + linear     the rest are fragments
//                                                               (vm/helpers/packet/xdp-frags.ts)
//       xdp_md.data = ptr, .data_end = ptr + linear, .data_meta = ptr  (vm/runtime/README.md §2)
//       r0 = run(r1 = ctx, 0, 0, 0, 0, fp[, cpu])
//       if results: results[i] = r0                             u64 per packet
//       hist[bin(u32 r0)] += 1                                  u64 × 16 per CPU (corpus.ts)
//
//   skb(desc, first, count, ctx, fp, slot, results, hist, cpu, record, place)   all i32
//     the same loop for __sk_buff program types, placing each packet from its precomputed
//     context (placements.ts; `place` is the corpus's descriptor, corpus.ts writePlacement):
//       memory.copy(slot, ptr, len)                             always a copy
//       memory.copy(ctx, template, extent)                      what every packet shares
//       ctx[word k] = value[i][k] (+ slot for a pointer word)   what differs per packet
//       record[offset] = value for each scratch word place() writes
//       r0 = run(...); results; hist                            as xdp
//
// The JIT's own `runBatch` export does the in-place half of this too; the driver adds the copy,
// data_meta, the verdict histogram and a start index, and it works for any module that exports
// `run(r1..r5: i64, fp: i32) -> i64` or `run(r1..r5: i64, fp: i32, cpu: i32) -> i64` (jit/entry.ts;
// the arity of the export says which). It imports the memory as shared with maximum 65536 pages,
// which any shared memory satisfies.

import { XDP_LINEAR_MAX } from "../helpers/packet/xdp-frags.js";
import { RECORD_SIZE, REC_XDP_FRAGS, REC_XDP_FRAGS_END } from "../runtime/record.js";
import { HIST_MINUS_ONE, HIST_OTHER } from "./corpus.js";

const enc = new TextEncoder();

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const name = (s: string): number[] => [...uleb(enc.encode(s).length), ...enc.encode(s)];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

const I32 = 0x7f;
const I64 = 0x7e;
const Op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, call: 0x10,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i64Load: 0x29, i32Store: 0x36, i64Store: 0x37,
  i32Const: 0x41, i64Const: 0x42, i32Eq: 0x46, i32LtS: 0x48, i32GeU: 0x4f, i32LtU: 0x49, i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32And: 0x71,
  i32Shl: 0x74, select: 0x1b,
  i64Add: 0x7c, i32WrapI64: 0xa7, i64ExtendI32U: 0xad, void: 0x40,
} as const;
const memoryCopy = [0xfc, ...uleb(10), 0x00, 0x00];

// Parameters of `xdp` and `skb` (one signature: xdp ignores `place`), and their locals.
const DESC = 0, FIRST = 1, COUNT = 2, CTX = 3, FP = 4, SLOT = 5, RESULTS = 6, HIST = 7, CPU = 8, RECORD = 9, PLACE = 10;
const PARAMS = 11;
const I = 11, END = 12, PTR = 13, LEN = 14, D = 15, K = 16, LINEAR = 17, R0 = 18;

const get = (l: number): number[] => [Op.localGet, l];
const set = (l: number): number[] => [Op.localSet, l];
const i32 = (v: number): number[] => [Op.i32Const, ...sleb32(v)];
const mem = (op: number, align: number, offset: number): number[] => [op, align, ...uleb(offset)];

function sleb32(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function xdpBody(withCpu: boolean): number[] {
  const code = [
    ...loopHead(),
    ...get(SLOT), Op.if, Op.void,
    ...get(SLOT), ...get(PTR), ...get(LEN), ...memoryCopy,
    ...get(SLOT), ...set(PTR),
    Op.end,
    ...get(LEN), ...i32(XDP_LINEAR_MAX), ...get(LEN), ...i32(XDP_LINEAR_MAX), Op.i32LtU, Op.select, ...set(LINEAR),
    ...get(RECORD), ...get(LEN), ...get(LINEAR), Op.i32Sub, ...mem(Op.i32Store, 2, REC_XDP_FRAGS),
    ...get(RECORD), ...get(PTR), ...get(LINEAR), Op.i32Add, ...mem(Op.i32Store, 2, REC_XDP_FRAGS_END),
    ...get(CTX), ...get(PTR), ...mem(Op.i32Store, 2, 0),
    ...get(CTX), ...get(PTR), ...get(LINEAR), Op.i32Add, ...mem(Op.i32Store, 2, 4),
    ...get(CTX), ...get(PTR), ...mem(Op.i32Store, 2, 8),
    ...runAndCount(withCpu),
  ];
  return functionBody(vec([[7, I32], [1, I64]]), code); // i, end, ptr, len, d, k, linear: i32; r0: i64
}

// The placement descriptor's words (corpus.ts writePlacement), loaded into locals of `skb`.
const TMPL = 19, EXTENT = 20, VALS = 21, NW = 22, WORDS = 23, NR = 24, REC = 25, ROW = 26, J = 27, W = 28;

/**
 * `skb`: the packet copied to the slot, the precomputed context (placements.ts): the template,
 * then the packet's varying words (pointers relocated to this CPU's packet start), and the
 * scratch words place() writes; then the run.
 */
function skbBody(withCpu: boolean): number[] {
  const descriptor = [TMPL, EXTENT, VALS, NW, WORDS, NR, REC].flatMap((local, k) => [...get(PLACE), ...mem(Op.i32Load, 2, 4 * k), ...set(local)]);
  const code = [
    ...descriptor,
    ...loopHead(),
    ...get(SLOT), ...get(PTR), ...get(LEN), ...memoryCopy,
    ...get(CTX), ...get(TMPL), ...get(EXTENT), ...memoryCopy,
    ...get(VALS), ...get(I), ...get(NW), Op.i32Mul, ...i32(2), Op.i32Shl, Op.i32Add, ...set(ROW),
    ...counted(NW, [
      ...get(WORDS), ...get(J), ...i32(2), Op.i32Shl, Op.i32Add, ...mem(Op.i32Load, 2, 0), ...set(W),
      ...get(CTX), ...get(W), ...i32(0x7fffffff), Op.i32And, Op.i32Add,
      ...get(ROW), ...get(J), ...i32(2), Op.i32Shl, Op.i32Add, ...mem(Op.i32Load, 2, 0),
      ...get(SLOT), ...i32(0), ...get(W), ...i32(0), Op.i32LtS, Op.select, Op.i32Add, // + slot for a pointer word (sign bit)
      ...mem(Op.i32Store, 2, 0),
    ]),
    ...counted(NR, [
      ...get(RECORD), ...get(REC), ...get(J), ...i32(3), Op.i32Shl, Op.i32Add, Op.localTee, W, ...mem(Op.i32Load, 2, 0), Op.i32Add,
      ...get(W), ...mem(Op.i32Load, 2, 4),
      ...mem(Op.i32Store, 2, 0),
    ]),
    ...runAndCount(withCpu),
  ];
  return functionBody(vec([[7, I32], [1, I64], [10, I32]]), code); // as xdp's, then the descriptor's and the loops'
}

const functionBody = (locals: number[], code: number[]): number[] => {
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
};

/** i from first to first + count; each turn clears the run record and reads descriptor i into ptr and len. The loop stays open. */
function loopHead(): number[] {
  return [
    ...get(FIRST), ...set(I),
    ...get(FIRST), ...get(COUNT), Op.i32Add, ...set(END),
    Op.block, Op.void,
    Op.loop, Op.void,
    ...get(I), ...get(END), Op.i32GeU, Op.brIf, 1,
    ...clearRecord(),
    ...get(DESC), ...get(I), ...i32(3), Op.i32Shl, Op.i32Add, ...set(D),
    ...get(D), ...mem(Op.i32Load, 2, 0), ...set(PTR),
    ...get(D), ...mem(Op.i32Load, 2, 4), ...set(LEN),
  ];
}

/**
 * record = 0, as the runtime's PacketRunner clears it before each packet (vm/runtime/record.ts):
 * a run's helpers read only what its own earlier calls wrote there (bpf_get_local_storage's
 * marks: a storage is zeroed at a run's first call). RECORD_SIZE / 8 inline u64 stores:
 * memory.fill would be a call out of the compiled code on every packet.
 */
function clearRecord(): number[] {
  if (RECORD_SIZE % 8 !== 0) throw new Error(`driver: RECORD_SIZE ${RECORD_SIZE} is not a multiple of 8`);
  return Array.from({ length: RECORD_SIZE / 8 }, (_, k) => [...get(RECORD), Op.i64Const, 0, ...mem(Op.i64Store, 3, 8 * k)]).flat();
}

/** `body` for J from 0 to local `n` - 1. */
function counted(n: number, body: number[]): number[] {
  return [
    ...i32(0), ...set(J),
    Op.block, Op.void,
    Op.loop, Op.void,
    ...get(J), ...get(n), Op.i32GeU, Op.brIf, 1,
    ...body,
    ...get(J), ...i32(1), Op.i32Add, ...set(J),
    Op.br, 0,
    Op.end,
    Op.end,
  ];
}

/** The run of the packet, its r0 and verdict bin, and the loop's end (loopHead opened it). */
function runAndCount(withCpu: boolean): number[] {
  return [
    ...get(CTX), Op.i64ExtendI32U, Op.i64Const, 0, Op.i64Const, 0, Op.i64Const, 0, Op.i64Const, 0, ...get(FP),
    ...(withCpu ? get(CPU) : []),
    Op.call, 0, ...set(R0),
    ...get(RESULTS), Op.if, Op.void,
    ...get(RESULTS), ...get(I), ...i32(3), Op.i32Shl, Op.i32Add, ...get(R0), ...mem(Op.i64Store, 3, 0),
    Op.end,
    // The verdict bin of u32 r0 (corpus.ts histBin): r0 below 14 itself, 0xffffffff (-1,
    // TC_ACT_UNSPEC) 15, anything else 14.
    ...get(R0), Op.i32WrapI64, ...set(K),
    ...get(K), ...i32(HIST_OTHER), Op.i32LtU, Op.if, Op.void, Op.else,
    ...get(K), ...i32(-1), Op.i32Eq, Op.if, I32, ...i32(HIST_MINUS_ONE), Op.else, ...i32(HIST_OTHER), Op.end, ...set(K),
    Op.end,
    ...get(HIST), ...get(K), ...i32(3), Op.i32Shl, Op.i32Add, Op.localTee, K,
    ...get(K), ...mem(Op.i64Load, 3, 0), Op.i64Const, 1, Op.i64Add, ...mem(Op.i64Store, 3, 0),
    ...get(I), ...i32(1), Op.i32Add, ...set(I),
    Op.br, 0,
    Op.end,
    Op.end,
    Op.end,
  ];
}

/** `run`'s parameter count: 6 (r1..r5, fp) or 7 (r1..r5, fp, cpu). */
export type RunArity = 6 | 7;

/** The driver's binary for a `run` of `arity` parameters. */
export function driverBinary(arity: RunArity): Uint8Array<ArrayBuffer> {
  const runParams = [[I64], [I64], [I64], [I64], [I64], [I32], ...(arity === 7 ? [[I32]] : [])];
  const runType = [0x60, ...vec(runParams), ...vec([[I64]])];
  const spanType = [0x60, ...vec(Array.from({ length: PARAMS }, () => [I32])), 0x00];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([runType, spanType])),
    ...section(2, vec([
      [...name("env"), ...name("memory"), 0x02, 0x03, ...uleb(1), ...uleb(65536)],
      [...name("prog"), ...name("run"), 0x00, 0x00],
    ])),
    ...section(3, vec([[1], [1]])),
    ...section(7, vec([[...name("xdp"), 0x00, 1], [...name("skb"), 0x00, 2]])),
    ...section(10, vec([xdpBody(arity === 7), skbBody(arity === 7)])),
  ];
  return new Uint8Array(bytes);
}

export interface DriverExports {
  xdp(desc: number, first: number, count: number, ctx: number, fp: number, slot: number, results: number, hist: number, cpu: number, record: number): void;
  /** `slot`: the CPU's packet start (always a copy); `record`: its scratch area; `place`: the corpus's placement descriptor. */
  skb(desc: number, first: number, count: number, ctx: number, fp: number, slot: number, results: number, hist: number, cpu: number, record: number, place: number): void;
}

const compiled = new Map<RunArity, WebAssembly.Module>();

export function driverModule(arity: RunArity): WebAssembly.Module {
  let module = compiled.get(arity);
  if (!module) {
    module = new WebAssembly.Module(driverBinary(arity));
    compiled.set(arity, module);
  }
  return module;
}

/** A driver bound to one program instance's `run` export (a wasm exported function). */
export function instantiateDriver(memory: WebAssembly.Memory, run: (...args: never[]) => unknown): DriverExports {
  const arity = run.length;
  if (arity !== 6 && arity !== 7) throw new Error(`the program's run export takes ${arity} parameters; the driver knows 6 (r1..r5, fp) and 7 (+ cpu)`);
  const instance = new WebAssembly.Instance(driverModule(arity), { env: { memory }, prog: { run } });
  return instance.exports as unknown as DriverExports;
}
