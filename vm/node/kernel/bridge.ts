// KernelBridge: the Linux kernel's bpf(2) as a library — create maps, load programs (verifier
// log on refusal), BPF_PROG_TEST_RUN them, read and write map elements (push / peek / pop for
// QUEUE and STACK; RINGBUF records drained through the map's mmap()ed pages), close. It talks to
// build/bpf-runner (bpf_runner.c) over a synchronous channel (channel.ts).
//
// Only loading and test-running: nothing here attaches a program to anything.

import { existsSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { BpfError } from "../../errors.js";
import { packageRoot } from "../package-root.js";
import { encode, type Insn } from "../../isa/instruction.js";
import { Cls, JmpOp, Mode } from "../../isa/opcodes.js";
import { funcInfo, type FuncInfo } from "../../program/func-info.js";
import { callbackStarts, subprogramStarts } from "../../program/subprograms.js";
import { RunnerChannel } from "./channel.js";
import { hasPerCpuValues } from "../../maps/types.js";
import { valueMapBtf } from "./map-btf.js";
import { forKernel } from "./kfunc-btf.js";
import { FrameWriter, Op, type OpCode } from "./protocol.js";
import type { FrameReader } from "./protocol.js";

/** enum bpf_prog_type (linux/bpf.h): the program types the kernel engine test-runs. */
export const ProgType = {
  SOCKET_FILTER: 1,
  SCHED_CLS: 3,
  XDP: 6,
  CGROUP_SKB: 8,
  LWT_IN: 10,
  LWT_OUT: 11,
  LWT_XMIT: 12,
} as const;
export type ProgTypeName = keyof typeof ProgType;

/** enum bpf_map_type (linux/bpf.h). */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  QUEUE: 22,
  STACK: 23,
  RINGBUF: 27,
  BLOOM_FILTER: 30,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
} as const;

/** Maps with no key (key_size 0): user space pushes, pops and peeks. */
const KEYLESS_TYPES: ReadonlySet<number> = new Set([MapType.QUEUE, MapType.STACK]);
/** Keyless maps user space pushes to: queues and stacks, and bloom filters (bloom_map_push_elem). */
const PUSH_TYPES: ReadonlySet<number> = new Set([...KEYLESS_TYPES, MapType.BLOOM_FILTER]);
const RINGBUF_TYPES: ReadonlySet<number> = new Set([MapType.RINGBUF]);

/**
 * What createMap takes of a map as the verifier (VerifierMap) or a loader (MapSpec) describes
 * it: type, sizes, flags, name, and the offsets of a bpf_spin_lock or bpf_timer in the value
 * (which make createMap give the map BTF). An inner template is the caller's to add.
 */
export function kernelMapSpec(m: {
  readonly type: number; readonly keySize: number; readonly valueSize: number; readonly maxEntries: number;
  readonly flags?: number; readonly name?: string; readonly spinLock?: number; readonly timer?: number; readonly mapExtra?: number;
}): KernelMapSpec {
  return {
    type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0,
    ...(m.name !== undefined ? { name: m.name } : {}),
    ...(m.mapExtra ? { mapExtra: m.mapExtra } : {}),
    ...(m.spinLock !== undefined ? { spinLock: m.spinLock } : {}),
    ...(m.timer !== undefined ? { timer: m.timer } : {}),
  };
}

export interface Availability {
  readonly ok: boolean;
  /** Why not (or a one-line description of what is there when ok). */
  readonly reason: string;
  readonly kernel?: string;
  readonly possibleCpus?: number;
  readonly jit?: boolean;
  /** The CPU test runs execute on (the runner pins itself), when pinned. */
  readonly cpu?: number;
}

export interface KernelMapSpec {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly name?: string;
  /** BPF_MAP_CREATE's map_extra (a BLOOM_FILTER's number of hash functions); 0 when absent. */
  readonly mapExtra?: number;
  /**
   * ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map template. createMap creates it, passes its fd
   * as inner_map_fd and closes it once the outer map exists, as libbpf does with the template of
   * a `__array(values, struct inner)` definition; slots then take fds of maps like it (update
   * with the inner map's fd as the 4-byte value; lookups answer its map id).
   */
  readonly inner?: KernelMapSpec;
  /**
   * Offset of a `struct bpf_spin_lock` in the value: the map is created with BTF saying so
   * (map-btf.ts), as the kernel finds the lock only through the map's BTF (map_check_btf).
   */
  readonly spinLock?: number;
  /** Offset of a `struct bpf_timer` in the value: also said by the map's BTF (map-btf.ts). */
  readonly timer?: number;
}

export interface LoadOptions {
  readonly type: number;
  readonly expectedAttachType?: number;
  /** prog_flags (BPF_F_*). */
  readonly flags?: number;
  /**
   * Maps to create before loading. An `lddw` with src BPF_PSEUDO_MAP_FD (1) or
   * BPF_PSEUDO_MAP_VALUE (2) names a map by its index in this list; the runner patches in the fd.
   */
  readonly maps?: readonly KernelMapSpec[];
  /**
   * Instead of `maps`: maps already created (createMap) that the program refers to by index, as
   * several programs of one object do (a tail-call chain and its PROG_ARRAY). They stay open
   * when the program closes: their creator closes them.
   */
  readonly sharedMaps?: readonly KernelMap[];
  /**
   * Keep the verifier log of an accepted program too (slower: the verifier writes it): true or 1
   * for the summary, 2 for every instruction with its register state (BPF_LOG_LEVEL2), 4
   * (BPF_LOG_STATS) for the statistics alone — "verification time N usec", "processed N insns"
   * (see verifierStats) — without the cost of the instruction log. Levels combine as bits (5 = 1|4).
   */
  readonly log?: boolean | number;
  readonly name?: string;
  /**
   * BTF and func_info (one record per subprogram) to load the program with: an object's own, as
   * libbpf sends them (vm/elf/load/kernel-btf.ts programFuncInfo). Without it, a program that
   * needs func_info (needsFuncInfo) gets the minimal BTF of vm/program/func-info.ts.
   */
  readonly funcInfo?: FuncInfo;
}

export interface TestRunOptions {
  /** data_in: the packet. */
  readonly data?: Uint8Array;
  /** ctx_in (xdp_md / __sk_buff), where the program type takes one. */
  readonly ctx?: Uint8Array;
  /** Runs to average `duration` over (BPF_PROG_TEST_RUN repeat); default 1. */
  readonly repeat?: number;
  readonly flags?: number;
  /** Capacity for data_out; default data length + XDP_OUT_EXTRA (programs may grow packets). */
  readonly dataOutSize?: number;
  /** Capacity for ctx_out; default the ctx length. */
  readonly ctxOutSize?: number;
}

export interface TestRunResult {
  /** The program's return value as the kernel reports it: a u32 (attr.test.retval). */
  readonly retval: number;
  /** The kernel's average nanoseconds per run over `repeat` runs. */
  readonly duration: number;
  /** The packet afterwards: for XDP the frame from xdp_md.data (the metadata is in `meta`). */
  readonly data: Uint8Array;
  /** XDP: the metadata in front of the frame (bpf_xdp_adjust_meta); empty otherwise. */
  readonly meta: Uint8Array;
  readonly ctx: Uint8Array;
}

export interface TestRunManyOptions {
  /** ctx_in for every packet (XDP: an xdp_md whose data_end the runner sets to each packet's length). */
  readonly ctx?: Uint8Array;
  readonly repeat?: number;
  readonly flags?: number;
  /**
   * Output room beyond each packet's length (programs may grow packets). Default 256, and for XDP
   * XDP_OUT_EXTRA: a frame may gain its whole headroom and, with fragments, a page at its tail;
   * with less room the kernel cuts data_out and the run reports ENOSPC as if it had failed.
   */
  readonly dataOutExtra?: number;
}

/** XDP's default dataOutExtra: 256 bytes of headroom (adjust_head) + one page (adjust_tail). */
export const XDP_OUT_EXTRA = 256 + 4096;

/** One packet's result of testRunMany: `errno` 0, or why the kernel refused that run. */
export interface PacketResult {
  readonly errno: number;
  readonly retval: number;
  readonly duration: number;
  /** The packet afterwards: for XDP the frame from xdp_md.data (the metadata is in `meta`). */
  readonly data: Uint8Array;
  /** XDP: the metadata in front of the frame (bpf_xdp_adjust_meta); empty otherwise. */
  readonly meta: Uint8Array;
}

/** The kernel refused a program or a map: errno, and the verifier's log when there is one. */
export class KernelError extends BpfError {
  constructor(
    message: string,
    readonly errno: number,
    readonly log = "",
    insn?: number,
  ) {
    super(message, insn === undefined ? {} : { insn });
    this.name = "KernelError";
  }

  /** True when the verifier refused the program (as opposed to bpf() itself failing). */
  get verifierRefused(): boolean {
    return this.log.length > 0;
  }
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
export const errnoName = (err: number): string => ERRNO_NAMES.get(err) ?? `errno ${err}`;

/** Where build/bpf-runner is: $EBPF_WASM_BPF_RUNNER, or build/ at the package root. */
export function runnerPath(): string {
  return process.env["EBPF_WASM_BPF_RUNNER"] || join(packageRoot(), "build", "bpf-runner");
}

/** What one RINGBUF drain read: the submitted records, and the positions after it. */
export interface RingDrain {
  /** Each submitted record's bytes, oldest first (discarded ones are skipped, as libbpf does). */
  readonly records: Uint8Array[];
  /** The consumer position after the drain (published to the kernel), in bytes since creation. */
  readonly consumerPos: bigint;
  /** The producer position: equal to consumerPos unless a record was still BUSY (reserved). */
  readonly producerPos: bigint;
}

/** A map created in the kernel, read and written through the runner. */
export class KernelMap {
  /** Bytes a lookup returns: per-CPU maps return one 8-byte-aligned value per possible CPU. */
  readonly lookupSize: number;

  constructor(
    private readonly bridge: KernelBridge,
    readonly fd: number,
    readonly spec: KernelMapSpec,
    possibleCpus: number,
  ) {
    this.lookupSize = hasPerCpuValues(spec.type) ? Math.ceil(spec.valueSize / 8) * 8 * possibleCpus : spec.valueSize;
  }

  private label(): string {
    return `kernel map ${this.spec.name ? `'${this.spec.name}'` : `fd ${this.fd}`}`;
  }

  private checkKey(key: Uint8Array): void {
    if (key.length !== this.spec.keySize) {
      throw new BpfError(`${this.label()}: key is ${key.length} bytes, the map's keys are ${this.spec.keySize}`);
    }
  }

  /** The value under `key`, or undefined when absent. */
  lookup(key: Uint8Array, flags = 0n): Uint8Array | undefined {
    this.checkKey(key);
    const frame = new FrameWriter(Op.MAP_LOOKUP).u32(this.fd).u32(key.length).u32(this.lookupSize).u64(flags).raw(key);
    const res = this.bridge.request(Op.MAP_LOOKUP, frame, [osConstants.errno.ENOENT]);
    return res.err ? undefined : res.payload.rest();
  }

  /** BPF_MAP_UPDATE_ELEM with flags BPF_ANY (0), BPF_NOEXIST (1) or BPF_EXIST (2). */
  update(key: Uint8Array, value: Uint8Array, flags = 0n): void {
    this.checkKey(key);
    if (value.length !== this.lookupSize) {
      throw new BpfError(`${this.label()}: value is ${value.length} bytes, the map takes ${this.lookupSize}`);
    }
    const frame = new FrameWriter(Op.MAP_UPDATE).u32(this.fd).u32(key.length).u32(value.length).u64(flags).raw(key).raw(value);
    this.bridge.request(Op.MAP_UPDATE, frame);
  }

  /**
   * BPF_MAP_FREEZE: user space can no longer change the map (updates fail with EPERM); the
   * verifier reads a frozen BPF_F_RDONLY_PROG array's values as constants.
   */
  freeze(): void {
    this.bridge.request(Op.MAP_FREEZE, new FrameWriter(Op.MAP_FREEZE).u32(this.fd));
  }

  /** Delete `key`; false when it was not there. */
  delete(key: Uint8Array): boolean {
    this.checkKey(key);
    const frame = new FrameWriter(Op.MAP_DELETE).u32(this.fd).u32(key.length).raw(key);
    return this.bridge.request(Op.MAP_DELETE, frame, [osConstants.errno.ENOENT]).err === 0;
  }

  /** The key after `key` (the first key when undefined); undefined at the end. */
  nextKey(key?: Uint8Array): Uint8Array | undefined {
    if (key) this.checkKey(key);
    const frame = new FrameWriter(Op.MAP_NEXT_KEY).u32(this.fd).u32(this.spec.keySize).u32(key ? 1 : 0);
    if (key) frame.raw(key);
    const res = this.bridge.request(Op.MAP_NEXT_KEY, frame, [osConstants.errno.ENOENT]);
    return res.err ? undefined : res.payload.rest();
  }

  /** Every key, in the kernel's iteration order. */
  *keys(): Generator<Uint8Array> {
    for (let key = this.nextKey(); key; key = this.nextKey(key)) yield key;
  }

  private requireType(types: ReadonlySet<number>, what: string): void {
    if (!types.has(this.spec.type)) throw new BpfError(`${this.label()}: ${what} (its type is ${this.spec.type})`);
  }

  /**
   * QUEUE / STACK / BLOOM_FILTER push: BPF_MAP_UPDATE_ELEM with no key. Flags BPF_ANY (0) or,
   * for a queue or stack, BPF_EXIST (2: a full map drops its oldest value); a full map without
   * BPF_EXIST throws E2BIG.
   */
  push(value: Uint8Array, flags = 0n): void {
    this.requireType(PUSH_TYPES, "push is for QUEUE, STACK and BLOOM_FILTER maps");
    this.update(new Uint8Array(0), value, flags);
  }

  /** QUEUE / STACK pop (BPF_MAP_LOOKUP_AND_DELETE_ELEM, no key): the next value, or undefined when empty. */
  pop(): Uint8Array | undefined {
    this.requireType(KEYLESS_TYPES, "pop is for QUEUE and STACK maps");
    const frame = new FrameWriter(Op.MAP_LOOKUP_AND_DELETE).u32(this.fd).u32(0).u32(this.lookupSize).u64(0n);
    const res = this.bridge.request(Op.MAP_LOOKUP_AND_DELETE, frame, [osConstants.errno.ENOENT]);
    return res.err ? undefined : res.payload.rest();
  }

  /** QUEUE / STACK peek (BPF_MAP_LOOKUP_ELEM, no key): the next value left in place, or undefined. */
  peek(): Uint8Array | undefined {
    this.requireType(KEYLESS_TYPES, "peek is for QUEUE and STACK maps");
    return this.lookup(new Uint8Array(0));
  }

  /** QUEUE / STACK: pop until empty, in pop order. */
  popAll(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let v = this.pop(); v; v = this.pop()) out.push(v);
    return out;
  }

  /**
   * RINGBUF: consume up to `limit` submitted records (all when 0), as a libbpf ring_buffer
   * consumer would, and say where the consumer and producer positions stand afterwards.
   */
  drainRing(limit = 0): RingDrain {
    this.requireType(RINGBUF_TYPES, "drain is for RINGBUF maps");
    const res = this.bridge.request(Op.RINGBUF_DRAIN, new FrameWriter(Op.RINGBUF_DRAIN).u32(this.fd).u32(limit));
    const consumerPos = res.payload.u64();
    const producerPos = res.payload.u64();
    const count = res.payload.u32();
    const records: Uint8Array[] = [];
    for (let k = 0; k < count; k++) records.push(res.payload.bytesOf(res.payload.u32()));
    return { records, consumerPos, producerPos };
  }

  /** RINGBUF: every submitted record available now, consumed (RingBuf.drain's counterpart). */
  drain(limit = 0): Uint8Array[] {
    return this.drainRing(limit).records;
  }

  close(): void {
    this.bridge.closeFd(this.fd);
  }
}

/** BPF_OBJ_GET_INFO_BY_FD figures of a loaded program. */
export interface KernelProgramInfo {
  /** The verifier's processed instructions for this load (bpf_prog_info.verified_insns, Linux >= 5.16). */
  readonly verifiedInsns: number;
  /** Bytes of the program after the verifier's rewrites, and of its native code. */
  readonly xlatedLen: number;
  readonly jitedLen: number;
  /** When it was loaded, ns since boot. */
  readonly loadTime: bigint;
}

/** What the kernel verifier's BPF_LOG_STATS lines say (print_verification_stats). */
export interface VerifierStats {
  /** "verification time N usec": bpf_check() from its start to the end of its fix-ups. */
  readonly usec: number;
  /** "processed N insns". */
  readonly processedInsns: number;
  readonly totalStates: number;
  readonly peakStates: number;
  readonly maxStatesPerInsn: number;
  /** "stack depth A+B+...": bytes per subprogram. */
  readonly stackDepth: readonly number[];
}

/** Parse the statistics lines of a verifier log (any level with BPF_LOG_STATS, 4, set). */
export function verifierStats(log: string): VerifierStats | undefined {
  const time = /verification time (\d+) usec/.exec(log);
  const processed = /processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+)/.exec(log);
  if (!time || !processed) return undefined;
  const stack = /stack depth ([\d+]+)/.exec(log);
  return {
    usec: Number(time[1]),
    processedInsns: Number(processed[1]),
    maxStatesPerInsn: Number(processed[2]),
    totalStates: Number(processed[3]),
    peakStates: Number(processed[4]),
    stackDepth: stack ? stack[1]!.split("+").filter(Boolean).map(Number) : [],
  };
}

/** A program the kernel verifier accepted. */
export class KernelProgram {
  constructor(
    private readonly bridge: KernelBridge,
    readonly fd: number,
    readonly maps: readonly KernelMap[],
    /** The verifier log, when LoadOptions.log asked for it. */
    readonly log: string,
    /** The maps were created for this program (not LoadOptions.sharedMaps): close them with it. */
    private readonly ownsMaps = true,
    /** enum bpf_prog_type it was loaded as. */
    readonly type: number = ProgType.XDP,
  ) {}

  /** True for XDP: its test runs split the metadata from the frame (KernelBridge.testRun). */
  private get xdp(): boolean {
    return this.type === ProgType.XDP;
  }

  testRun(options: TestRunOptions = {}): TestRunResult {
    return this.bridge.testRun(this.fd, options, this.xdp);
  }

  /** BPF_OBJ_GET_INFO_BY_FD: the verifier's processed instructions and the program's sizes. */
  info(): KernelProgramInfo {
    return this.bridge.progInfo(this.fd);
  }

  /** Test-run every packet (one BPF_PROG_TEST_RUN each) in one round trip to the runner. */
  testRunMany(packets: readonly Uint8Array[], options: TestRunManyOptions = {}): PacketResult[] {
    return this.bridge.testRunMany(this.fd, packets, options, this.xdp);
  }

  /** Close the program and the maps created for it (shared maps stay open). */
  close(): void {
    this.bridge.closeFd(this.fd);
    if (this.ownsMaps) for (const map of this.maps) map.close();
  }
}

const TAIL_CALL = Cls.JMP | JmpOp.CALL; // src 0, imm BPF_FUNC_tail_call (12)
const BPF_FUNC_TAIL_CALL = 12;

/**
 * Whether the kernel refuses `insns` without BTF func_info: a callback's address (lddw func) is
 * typed only with it (check_ld_imm: "missing btf func_info"), and a tail call or LD_ABS / LD_IND
 * in a subprogram other than the main one needs it (check_abnormal_return: "tail_call is not
 * allowed in subprogs without BTF"). Otherwise none is sent: with only static functions it
 * changes nothing the verifier decides, and skips a BPF_BTF_LOAD per program.
 */
export function needsFuncInfo(insns: readonly Insn[]): boolean {
  if (callbackStarts(insns).length > 0) return true;
  const starts = subprogramStarts(insns);
  for (let i = starts[1] ?? insns.length; i < insns.length; i++) {
    const ins = insns[i]!;
    if (ins.opcode === TAIL_CALL && ins.src === 0 && ins.imm === BPF_FUNC_TAIL_CALL) return true;
    if ((ins.opcode & 0x07) === Cls.LD && ((ins.opcode & 0xe0) === Mode.ABS || (ins.opcode & 0xe0) === Mode.IND)) return true;
  }
  return false;
}

/** sizeof(struct xdp_md) (linux/bpf.h): data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex. */
const XDP_MD_SIZE = 24;

/** The xdp_md a test run without a ctx amounts to: the whole packet linear, no metadata. */
function xdpMd(length: number): Uint8Array {
  const md = new Uint8Array(XDP_MD_SIZE);
  new DataView(md.buffer).setUint32(4, length, true); // data_end
  return md;
}

/** The last "N: (op) ..." line of a verifier log: the instruction the verifier stopped at. */
function lastInsnOf(log: string): number | undefined {
  let found: number | undefined;
  for (const m of log.matchAll(/^(\d+): \([0-9a-f]{2}\)/gm)) found = Number(m[1]);
  return found;
}

/** The lines of a verifier log that say why, without the instruction trace. */
function verdictOf(log: string): string {
  const lines = log.trim().split("\n").filter((l) => l && !/^processed \d+ insns/.test(l));
  return lines.slice(-2).join(" | ");
}

export class KernelBridge {
  private channel: RunnerChannel | undefined;
  private status: Availability | undefined;

  /** `wrapper`: a command that starts the runner (RunnerChannel), e.g. in its own network namespace. */
  constructor(readonly binary = runnerPath(), readonly wrapper: readonly string[] = []) {}

  /** Can this process use bpf()? Asked once (it starts the runner and loads a 2-instruction program). */
  available(): Availability {
    if (!this.status) this.status = this.probe();
    return this.status;
  }

  private probe(): Availability {
    if (process.platform !== "linux") return { ok: false, reason: `bpf() is Linux-only, this is ${process.platform}` };
    if (!existsSync(this.binary)) {
      return { ok: false, reason: `${this.binary} not built (run \`npm run build:native\` in a checkout, or \`node ${join(packageRoot(), "vm", "node", "kernel", "build.mjs")}\` in an installed package; it needs a C compiler and <linux/bpf.h>)` };
    }
    try {
      this.channel = new RunnerChannel(this.binary, process.env["EBPF_WASM_KERNEL_PIN"] !== "0", this.wrapper);
      const res = this.channel.call(new FrameWriter(Op.PROBE).finish());
      const euid = res.payload.u32();
      const possibleCpus = res.payload.u32();
      const jit = res.payload.u32();
      const cpu = res.payload.u32() | 0;
      const kernel = res.payload.text();
      if (res.err) {
        this.close();
        const who = euid === 0 ? "root" : `uid ${euid}, not root`;
        const why = res.err === osConstants.errno.ENOSYS ? "the kernel has no bpf()" : `bpf(BPF_PROG_LOAD) failed with ${errnoName(res.err)}`;
        return { ok: false, reason: `${why} (running as ${who}, kernel ${kernel})`, kernel };
      }
      const where = cpu >= 0 ? `, runs on CPU ${cpu}` : "";
      const jitState = jit === 1 ? "on" : jit === 0 ? "off" : "unknown";
      return { ok: true, reason: `kernel ${kernel}, ${possibleCpus} possible CPUs, JIT ${jitState}${where}`, kernel, possibleCpus, jit: jit === 1, ...(cpu >= 0 ? { cpu } : {}) };
    } catch (err) {
      this.close();
      return { ok: false, reason: `bpf-runner did not start: ${(err as Error).message}` };
    }
  }

  /** The runner's process id while it runs (diagnostics, tests). */
  get runnerPid(): number | undefined {
    return this.channel?.alive ? this.channel.pid : undefined;
  }

  private requireChannel(): RunnerChannel {
    const status = this.available();
    if (!status.ok || !this.channel) throw new BpfError(`kernel engine unavailable: ${status.reason}`);
    return this.channel;
  }

  /** One round trip. A non-zero errno throws, unless it is one of `expected`. */
  request(op: OpCode, frame: FrameWriter, expected: readonly number[] = []): { err: number; payload: FrameReader } {
    const res = this.requireChannel().call(frame.finish());
    if (res.err && !expected.includes(res.err)) {
      const name = Object.entries(Op).find(([, v]) => v === op)?.[0] ?? `op ${op}`;
      throw new KernelError(`bpf-runner ${name}: ${errnoName(res.err)}`, res.err);
    }
    return res;
  }

  createMap(spec: KernelMapSpec): KernelMap {
    const template = spec.inner ? this.createMap({ ...spec.inner, name: spec.inner.name ?? `${spec.name ?? "map"}.inner` }) : undefined;
    const frame = new FrameWriter(Op.MAP_CREATE).u32(spec.type).u32(spec.keySize).u32(spec.valueSize).u32(spec.maxEntries).u32(spec.flags ?? 0);
    const fields = spec.spinLock !== undefined || spec.timer !== undefined;
    const extra = spec.mapExtra ?? 0;
    if (template || fields || extra) frame.u32(template?.fd ?? 0);
    if (fields) {
      const { btf, keyTypeId, valueTypeId } = valueMapBtf(spec.keySize, spec.valueSize, { spinLock: spec.spinLock, timer: spec.timer });
      frame.u32(btf.length).raw(btf).u32(keyTypeId).u32(valueTypeId);
    } else if (extra) frame.u32(0); // no BTF
    if (extra) frame.u64(BigInt(extra));
    let res: { err: number; payload: FrameReader };
    try {
      res = this.requireChannel().call(frame.finish());
    } finally {
      template?.close();
    }
    if (res.err) {
      throw new KernelError(
        `kernel refused map ${spec.name ? `'${spec.name}' ` : ""}(type ${spec.type}, key ${spec.keySize}, value ${spec.valueSize}, ${spec.maxEntries} entries): ${errnoName(res.err)}`,
        res.err,
      );
    }
    return new KernelMap(this, res.payload.u32(), spec, this.available().possibleCpus ?? 1);
  }

  /**
   * A cgroup v2 directory opened read-only by the runner: the fd a CGROUP_ARRAY slot takes
   * (KernelMap.update with it as the u32 value). Close it with closeFd once the slot is written
   * (the map holds the cgroup itself).
   */
  openCgroup(path: string): number {
    const bytes = new TextEncoder().encode(path);
    const res = this.request(Op.OPEN_CGROUP, new FrameWriter(Op.OPEN_CGROUP).u32(bytes.length).raw(bytes));
    return res.payload.u32();
  }

  /** Create the maps, load the program; refusal → KernelError with the verifier log. */
  load(insns: readonly Insn[], options: LoadOptions): KernelProgram {
    const owned = options.sharedMaps === undefined;
    const maps: KernelMap[] = owned ? [] : [...options.sharedMaps!];
    try {
      if (owned) for (const spec of options.maps ?? []) maps.push(this.createMap(spec));
      const frame = new FrameWriter(Op.PROG_LOAD)
        .u32(options.type)
        .u32(options.expectedAttachType ?? 0)
        .u32(options.flags ?? 0)
        .u32(options.log === true ? 1 : options.log || 0)
        .u32(maps.length);
      for (const map of maps) frame.u32(map.fd);
      // Kfunc calls carry this runtime's ids; the kernel wants its vmlinux BTF ids (kfunc-btf.ts).
      frame.u32(insns.length).raw(encode(forKernel(insns)));
      const info = options.funcInfo ?? (needsFuncInfo(insns) ? funcInfo(insns) : undefined);
      if (info) {
        frame.u32(info.btf.length).raw(info.btf).u32(info.records.length / 2);
        for (const v of info.records) frame.u32(v);
      }
      const res = this.requireChannel().call(frame.finish());
      if (res.err) {
        const log = res.payload.text();
        const what = options.name ? `program '${options.name}'` : "program";
        const why = log ? verdictOf(log) : errnoName(res.err);
        throw new KernelError(`kernel verifier refused ${what} (${errnoName(res.err)}): ${why}`, res.err, log, lastInsnOf(log));
      }
      const fd = res.payload.u32();
      return new KernelProgram(this, fd, maps, res.payload.text(), owned, options.type);
    } catch (err) {
      if (owned) for (const map of maps) map.close();
      throw err;
    }
  }

  progInfo(progFd: number): KernelProgramInfo {
    const res = this.request(Op.PROG_INFO, new FrameWriter(Op.PROG_INFO).u32(progFd));
    const verifiedInsns = res.payload.u32();
    const xlatedLen = res.payload.u32();
    const jitedLen = res.payload.u32();
    return { verifiedInsns, xlatedLen, jitedLen, loadTime: res.payload.u64() };
  }

  /**
   * One BPF_PROG_TEST_RUN. `xdp`: the program is XDP, whose data_out starts at data_meta
   * (net/bpf/test_run.c hands bpf_test_finish xdp.data_meta), so metadata the program pushed
   * (bpf_xdp_adjust_meta) would read as packet bytes. The metadata's length comes back only in
   * ctx_out (xdp_md.data = data - data_meta: xdp_convert_buff_to_md), which the kernel fills only
   * for a run given a ctx: without one, this sends the xdp_md the kernel would assume (data 0,
   * data_end = the packet's length), and splits data_out into `meta` and the frame.
   */
  testRun(progFd: number, options: TestRunOptions = {}, xdp = false): TestRunResult {
    const data = options.data ?? new Uint8Array(0);
    const ctx = options.ctx ?? (xdp ? xdpMd(data.length) : new Uint8Array(0));
    const frame = new FrameWriter(Op.TEST_RUN)
      .u32(progFd)
      .u32(options.repeat ?? 1)
      .u32(options.flags ?? 0)
      .u32(data.length)
      .u32(ctx.length)
      .u32(options.dataOutSize ?? data.length + XDP_OUT_EXTRA)
      .u32(Math.max(options.ctxOutSize ?? ctx.length, xdp ? XDP_MD_SIZE : 0))
      .raw(data)
      .raw(ctx);
    const res = this.requireChannel().call(frame.finish());
    if (res.err && res.err !== osConstants.errno.ENOSPC) {
      throw new KernelError(`BPF_PROG_TEST_RUN failed: ${errnoName(res.err)}`, res.err);
    }
    const retval = res.payload.u32();
    const duration = res.payload.u32();
    const dataLen = res.payload.u32();
    const ctxLen = res.payload.u32();
    const out = res.payload.bytesOf(dataLen);
    const ctxOut = res.payload.bytesOf(ctxLen);
    // ctx_out is zeroes when data_out did not fit (ENOSPC): then nothing is split off.
    const metaLen = xdp && ctxLen >= 4 && !res.err ? Math.min(new DataView(ctxOut.buffer, ctxOut.byteOffset).getUint32(0, true), dataLen) : 0;
    return { retval, duration, data: out.subarray(metaLen), meta: out.subarray(0, metaLen), ctx: ctxOut };
  }

  /** Packets per request: keeps one request well under the runner's 256 MiB frame limit. */
  private static readonly MANY_CHUNK_BYTES = 16 << 20;

  /** testRun for each packet in one round trip; `xdp` as for testRun (the runner splits per run). */
  testRunMany(progFd: number, packets: readonly Uint8Array[], options: TestRunManyOptions = {}, xdp = false): PacketResult[] {
    const results: PacketResult[] = [];
    const ctx = options.ctx ?? new Uint8Array(0);
    if (xdp && ctx.length > XDP_MD_SIZE) throw new BpfError(`testRunMany: an XDP ctx is a struct xdp_md (${XDP_MD_SIZE} bytes), got ${ctx.length}`);
    for (let start = 0; start < packets.length;) {
      let end = start;
      let bytes = 0;
      while (end < packets.length && (end === start || bytes + packets[end]!.length <= KernelBridge.MANY_CHUNK_BYTES)) bytes += packets[end++]!.length + 4;
      const frame = new FrameWriter(Op.TEST_RUN_MANY)
        .u32(progFd)
        .u32(options.repeat ?? 1)
        .u32(options.flags ?? 0)
        .u32(end - start)
        .u32(ctx.length)
        .u32(options.dataOutExtra ?? (xdp ? XDP_OUT_EXTRA : 256))
        .u32(xdp ? 1 : 0)
        .raw(ctx);
      for (let k = start; k < end; k++) frame.u32(packets[k]!.length).raw(packets[k]!);
      const res = this.request(Op.TEST_RUN_MANY, frame);
      for (let k = start; k < end; k++) {
        const errno = res.payload.u32();
        const retval = res.payload.u32();
        const duration = res.payload.u32();
        const metaLen = res.payload.u32();
        const out = res.payload.bytesOf(res.payload.u32());
        results.push({ errno, retval, duration, data: out.subarray(metaLen), meta: out.subarray(0, metaLen) });
      }
      start = end;
    }
    return results;
  }

  closeFd(fd: number): void {
    if (!this.channel?.alive) return; // the runner is gone and took its fds with it
    this.request(Op.CLOSE, new FrameWriter(Op.CLOSE).u32(fd));
  }

  /** Stop the runner: it closes every fd it still holds. */
  close(): void {
    this.channel?.close();
    this.channel = undefined;
    if (this.status?.ok) this.status = { ok: false, reason: "the kernel bridge was closed" };
  }
}

let shared: KernelBridge | undefined;

/** The process-wide bridge (one runner process serves every kernel program of this process). */
export function kernelBridge(): KernelBridge {
  shared ??= new KernelBridge();
  return shared;
}
