// One program on one CPU of a worker: runs a span of corpus packets [start, start + count) and
// adds each packet's verdict to the CPU's histogram (and its r0 to the results array when asked).
//
//   - JIT, XDP: the wasm driver (driver.ts) — one JS→wasm call per span;
//   - JIT, __sk_buff types (socket filter, tc, cgroup_skb): the driver too, placing each packet
//     from the contexts the corpus precomputed with the runtime's ContextWriter (placements.ts);
//   - everything else (the interpreter; a corpus without precomputed contexts): a JS loop, one
//     run() per packet, ContextWriter placing each packet.
// In place (ProgramRef.inPlace) the packet pointers are the corpus bytes; otherwise each packet
// is first copied to the CPU's packet slot (vm/runtime/README.md §2), as the runtime's
// PacketRunner places it.

import type { LoadedProgram, Region } from "../engine.js";
import { BpfError } from "../errors.js";
import type { CpuRegion } from "../memory/layout.js";
import { setXdpFrame } from "../helpers/packet/xdp-frags.js";
import { ctxRegions } from "../runtime/run.js";
import { clearRecord } from "../runtime/record.js";
import { ContextWriter } from "../runtime/context.js";
import type { RuntimeMachine } from "../runtime/machine.js";
import { histAddress, histBin, type SharedCorpusInfo } from "./corpus.js";
import { instantiateDriver, type DriverExports } from "./driver.js";

export interface SpanRunner {
  run(corpus: SharedCorpusInfo, start: number, count: number, results: boolean): void;
}

const EMPTY = new Uint8Array(0);

/**
 * Write the ctx fields that are the same for every packet: placing an empty packet writes the
 * whole xdp_md (ingress_ifindex 1 = lo, rx_queue_index 0, egress_ifindex 0: BPF_PROG_TEST_RUN's
 * values, vm/runtime/README.md §3); data/data_end/data_meta are then written per packet.
 */
const writeTemplate = (writer: ContextWriter): void => void writer.place(EMPTY);

/** The JIT on XDP: the wasm driver calls the module's `run` for each packet. */
export class DriverSpanRunner implements SpanRunner {
  private readonly driver: DriverExports;
  private readonly slot: number;
  private readonly writer: ContextWriter;

  constructor(
    private readonly machine: RuntimeMachine,
    private readonly cpu: CpuRegion,
    run: (...args: never[]) => unknown,
    inPlace: boolean,
    /** Turns a trap or helper error of the program into a BpfRuntimeError naming the instruction. */
    private readonly translate: (err: unknown) => unknown = (err) => err,
  ) {
    if (machine.type.ctx?.name !== "xdp_md") throw new BpfError(`the packet driver runs XDP programs, not ${machine.type.name}`);
    this.driver = instantiateDriver(machine.memory, run);
    this.slot = inPlace ? 0 : cpu.packetData;
    this.writer = new ContextWriter(machine.type, cpu, machine.memory, machine.layout);
  }

  run(corpus: SharedCorpusInfo, start: number, count: number, results: boolean): void {
    writeTemplate(this.writer);
    if (this.slot) checkFits(corpus, this.machine, this.cpu);
    const c = this.cpu;
    try {
      this.driver.xdp(corpus.desc, start, count, c.ctx, c.stackTop, this.slot, results ? corpus.results : 0, histAddress(corpus, c.cpu), c.cpu, c.scratch);
    } catch (err) {
      throw this.translate(err);
    }
  }
}

/**
 * The JIT on an __sk_buff type: the wasm driver's `skb`, placing each packet from the corpus's
 * precomputed contexts (placements.ts); a corpus without them (placementNote says why) runs in
 * the JS loop, placed by ContextWriter.
 */
export class SkbDriverSpanRunner implements SpanRunner {
  private readonly driver: DriverExports;

  constructor(
    private readonly cpu: CpuRegion,
    memory: WebAssembly.Memory,
    run: (...args: never[]) => unknown,
    private readonly loop: LoopSpanRunner,
    private readonly machine: RuntimeMachine,
    private readonly translate: (err: unknown) => unknown,
  ) {
    this.driver = instantiateDriver(memory, run);
  }

  run(corpus: SharedCorpusInfo, start: number, count: number, results: boolean): void {
    if (corpus.placement === undefined) return this.loop.run(corpus, start, count, results);
    checkFits(corpus, this.machine, this.cpu);
    const c = this.cpu;
    try {
      this.driver.skb(corpus.desc, start, count, c.ctx, c.stackTop, c.packetData, results ? corpus.results : 0, histAddress(corpus, c.cpu), c.cpu, c.scratch, corpus.placement);
    } catch (err) {
      throw this.translate(err);
    }
  }
}

function checkFits(corpus: SharedCorpusInfo, machine: RuntimeMachine, cpu: CpuRegion): void {
  if (corpus.maxLength > machine.layout.packetMax) {
    throw new BpfError(`CPU ${cpu.cpu}: a corpus packet of ${corpus.maxLength} bytes does not fit the packet slot (packetMax ${machine.layout.packetMax})`);
  }
}

/** One packet at a time from JS: `runOne(r1)` runs the program with r1 = ctx on this CPU. */
export class LoopSpanRunner implements SpanRunner {
  private readonly writer: ContextWriter;
  private readonly u8: Uint8Array;
  private readonly dv: DataView;
  private readonly hist: BigUint64Array;
  private readonly slotRegions: readonly Region[];
  /** In place: two region lists used in turn (the interpreter re-reads a list only when it is a new array). */
  private readonly placeRegions: Array<{ list: Region[]; packet: { start: number; end: number; writable: boolean; name: string } }>;
  private turn = 0;
  private readonly isXdp: boolean;

  constructor(
    private readonly machine: RuntimeMachine,
    private readonly cpu: CpuRegion,
    private readonly program: LoadedProgram,
    private readonly inPlace: boolean,
  ) {
    const { memory, layout, type } = machine;
    if (!type.ctx) throw new BpfError(`the pool runs packet programs; the ${type.name} type has no context`);
    this.writer = new ContextWriter(type, cpu, memory, layout);
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
    this.hist = new BigUint64Array(memory.buffer);
    this.isXdp = type.ctx.name === "xdp_md";
    if (inPlace && !this.isXdp) throw new BpfError(`only XDP programs run in place (a ${type.name} context is written per packet by the runtime)`);
    const fixed: Region[] = [
      ...ctxRegions(type.ctx, cpu.ctx),
      { start: layout.mapsBase, end: layout.mapsBase + layout.mapsSize, writable: true, name: "maps" },
    ];
    this.slotRegions = [...fixed, { start: cpu.packetSlot, end: cpu.packetEnd, writable: true, name: "packet slot" }];
    // The corpus is read-only to a program that runs in place: the interpreter checks it.
    this.placeRegions = [0, 1].map(() => {
      const packet = { start: 0, end: 0, writable: false, name: "packet (corpus, in place)" };
      return { list: [...fixed, packet], packet };
    });
  }

  run(corpus: SharedCorpusInfo, start: number, count: number, results: boolean): void {
    const { u8, dv, cpu } = this;
    if (!this.inPlace) checkFits(corpus, this.machine, cpu);
    if (this.isXdp) writeTemplate(this.writer);
    const hist = histAddress(corpus, cpu.cpu) / 8;
    const args = [BigInt(cpu.ctx)];
    for (let i = start; i < start + count; i++) {
      const ptr = dv.getUint32(corpus.desc + 8 * i, true);
      const len = dv.getUint32(corpus.desc + 8 * i + 4, true);
      let regions = this.slotRegions;
      // The record first, as PacketRunner: placing an XDP frame with fragments writes there.
      clearRecord(u8, cpu);
      if (this.inPlace) {
        // As the driver and ContextWriter.place: past 3520 bytes an XDP frame is multi-buffer.
        dv.setUint32(cpu.ctx, ptr, true);
        dv.setUint32(cpu.ctx + 4, setXdpFrame(dv, cpu, ptr, len), true);
        dv.setUint32(cpu.ctx + 8, ptr, true);
        const place = this.placeRegions[(this.turn ^= 1)]!;
        place.packet.start = ptr;
        place.packet.end = ptr + len;
        regions = place.list;
      } else {
        this.writer.place(u8.subarray(ptr, ptr + len), dv.getUint32(corpus.wire + 4 * i, true));
      }
      const r0 = this.program.run({ cpu: cpu.cpu, args, regions });
      if (results) dv.setBigUint64(corpus.results + 8 * i, r0, true);
      this.hist[hist + histBin(r0)]! += 1n;
    }
  }
}
