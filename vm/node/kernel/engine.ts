// The `kernel` engine: the Linux kernel as one more Engine (vm/engine.ts), for differential
// tests and as the native reference in benchmarks. A program is run as a conformance program
// (r1 = memory, r2 = length) through the XDP wrapper of wrap.ts; the memory it touches is read
// from and written back to the Machine's memory, so a caller sees the same effects as with the
// interpreter or the JIT. What is not comparable is listed in wrap.ts (the stack, mainly).
//
// Real program types (XDP / SCHED_CLS / SOCKET_FILTER with their own context, maps) go through
// KernelBridge directly: bridge.ts.

import { BpfError } from "../../errors.js";
import type { Engine, LoadedProgram, Machine, Program, Region, RunInput } from "../../engine.js";
import { KernelBridge, kernelBridge, KernelError, ProgType, type Availability, type KernelProgram } from "./bridge.js";
import { conformancePacket, conformanceResult, MAX_CAPACITY, TRAILER_SIZE, WRAPPER_LENGTH, wrapConformance, XDP_PASS } from "./wrap.js";

export { KernelBridge, kernelBridge, kernelMapSpec, KernelError, KernelMap, KernelProgram, MapType, ProgType, verifierStats } from "./bridge.js";
export { behindSocketHeader, SOCKET_HEADER_LEN } from "./socket-frame.js";
export type { Availability, KernelMapSpec, RingDrain, KernelProgramInfo, LoadOptions, PacketResult, TestRunManyOptions, TestRunOptions, TestRunResult, VerifierStats } from "./bridge.js";

export interface KernelEngineOptions {
  /** Memory bytes the wrapper hands the program (the verifier's bound). Default 2048. */
  readonly capacity?: number;
  readonly bridge?: KernelBridge;
}

export interface KernelRun {
  readonly r0: bigint;
  /** The kernel's average ns per run over `repeat` runs (BPF_PROG_TEST_RUN duration). */
  readonly ns: number;
}

/** A program loaded into the kernel; `run` follows LoadedProgram, `runTimed` adds the kernel's timing. */
export class KernelLoadedProgram implements LoadedProgram {
  constructor(
    private readonly prog: KernelProgram,
    private readonly machine: Machine,
    private readonly capacity: number,
    readonly name: string,
  ) {}

  run(input: RunInput = {}): bigint {
    return this.runTimed(input, 1).r0;
  }

  /**
   * Run `repeat` times in the kernel. The kernel reuses one packet buffer for all repeats, so a
   * program that writes its memory sees its own writes from the previous run; the memory copied
   * back is the state after the last one.
   */
  runTimed(input: RunInput = {}, repeat = 1): KernelRun {
    const args = input.args ?? [];
    const { bytes, at, writable } = this.inputMemory(args[0], input.regions ?? []);
    const out = this.prog.testRun({ data: conformancePacket(bytes, args, this.capacity), repeat, dataOutSize: this.capacity + TRAILER_SIZE });
    if (out.retval !== XDP_PASS) {
      throw new BpfError(`kernel engine: wrapper of '${this.name}' returned ${out.retval}, not XDP_PASS (packet shorter than capacity?)`);
    }
    if (writable && at !== undefined) {
      new Uint8Array(this.machine.memory.buffer, at, bytes.length).set(out.data.subarray(0, bytes.length));
    }
    return { r0: conformanceResult(out.data, this.capacity), ns: out.duration };
  }

  /** The bytes r1 points at: from r1 to the end of the region holding it, at most `capacity`. */
  private inputMemory(r1: bigint | undefined, regions: readonly Region[]): { bytes: Uint8Array; at?: number; writable: boolean } {
    const addr = r1 === undefined ? -1 : Number(BigInt.asUintN(64, r1) & 0xffffffffffffn);
    const region = regions.find((r) => addr >= r.start && addr < r.end);
    if (!region) return { bytes: new Uint8Array(0), writable: false };
    const len = region.end - addr;
    if (len > this.capacity) {
      throw new BpfError(`kernel engine: region '${region.name}' has ${len} bytes from r1, more than the capacity ${this.capacity}`, { addr });
    }
    return { bytes: new Uint8Array(this.machine.memory.buffer, addr, len).slice(), at: addr, writable: region.writable };
  }

  dispose(): void {
    this.prog.close();
  }
}

export class KernelEngine implements Engine {
  readonly name = "kernel";
  /** The stack is not mirrored into the Machine's memory (wrap.ts says why). */
  readonly stackVisible = false;
  readonly capacity: number;
  private readonly bridge: KernelBridge;

  constructor(options: KernelEngineOptions = {}) {
    this.capacity = options.capacity ?? 2048;
    this.bridge = options.bridge ?? kernelBridge();
    if (!Number.isInteger(this.capacity) || this.capacity < 0 || this.capacity > MAX_CAPACITY) {
      throw new RangeError(`kernel engine capacity must be 0..${MAX_CAPACITY} bytes, got ${this.capacity}`);
    }
  }

  available(): Availability {
    return this.bridge.available();
  }

  async load(program: Program, machine: Machine): Promise<KernelLoadedProgram> {
    return this.loadSync(program, machine);
  }

  /** Load without a promise (the kernel answers synchronously anyway). */
  loadSync(program: Program, machine: Machine): KernelLoadedProgram {
    const status = this.bridge.available();
    if (!status.ok) throw new BpfError(`kernel engine unavailable: ${status.reason}`);
    const name = program.name ?? "program";
    const wrapped = wrapConformance(program.insns, this.capacity);
    try {
      const prog = this.bridge.load(wrapped, { type: ProgType.XDP, name });
      return new KernelLoadedProgram(prog, machine, this.capacity, name);
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
      // Name the program's own instruction, not the wrapped one.
      const at = err.where.insn === undefined ? undefined : err.where.insn - WRAPPER_LENGTH;
      const where = at === undefined ? "" : at >= 0 ? ` at insn ${at}` : " in the conformance wrapper";
      const note = `(verifier log numbers instructions from the XDP wrapper: subtract ${WRAPPER_LENGTH})`;
      throw new KernelError(`${err.message}${where} ${note}`, err.errno, err.log, at !== undefined && at >= 0 ? at : undefined);
    }
  }
}

/** The engine registered as `kernel` in vm/engines.ts. */
export function kernelEngine(options: KernelEngineOptions = {}): KernelEngine {
  return new KernelEngine(options);
}
