// Running a program over packets: for each one, place it and its ctx on the runner's CPU
// (context.ts), run, and read back what the kernel would act on — the verdict, r0, the packet
// as it is now, and a recorded redirect target (vm/runtime/README.md §7).

import { BpfError } from "../errors.js";
import type { Engine, LoadedProgram, Program, Region, RunInput } from "../engine.js";
import type { CpuRegion } from "../memory/layout.js";
import type { CtxLayout } from "../programs/context.js";
import type { Packet } from "../packets/packet.js";
import { ContextWriter, type ContextOptions, type Placed } from "./context.js";
import type { RuntimeMachine } from "./machine.js";
import { clearRecord, readClones, readRedirect, redirectKey, redirectOfKey, redirectTarget, type Redirect } from "./record.js";
import { testRunSocketRegion } from "./test-run-socket.js";

export interface RunnerOptions extends ContextOptions {
  /** The CPU the runner's packets run on (its stack, ctx, packet slot, per-CPU values). Default 0. */
  readonly cpu?: number;
}

/** A packet to run: bare bytes (wire length = their length) or a captured Packet. */
export type PacketInput = Uint8Array | Pick<Packet, "data" | "origLen">;

export interface PacketResult {
  /** ProgramType.verdict(r0): XDP_PASS, TC_ACT_SHOT, accept, drop, ... */
  readonly verdict: string;
  /** r0 as an unsigned 64-bit value. */
  readonly retval: bigint;
  /**
   * The packet after the run (a copy): [ctx.data, ctx.data_end), then an XDP frame's fragments;
   * an accepting socket filter's cut to (u32) r0 bytes.
   */
  readonly packet: Uint8Array;
  /** The redirect target, when the verdict is a redirect and a helper recorded one. */
  readonly redirect?: Redirect;
  /** Clones bpf_clone_redirect sent during the run (tc), when there were any. */
  readonly clones?: number;
}

export interface BatchResult {
  readonly packets: number;
  /** Runs per verdict name. */
  readonly verdicts: Record<string, number>;
  /** Per-packet results, in order, when asked for. */
  readonly results?: PacketResult[];
  /** Redirect verdicts by recorded target (redirectTarget: "ifindex 3", "tx[1] -> ifindex 3"). */
  readonly redirects?: Record<string, number>;
}

const REDIRECT_VERDICTS = new Set(["XDP_REDIRECT", "TC_ACT_REDIRECT", "BPF_REDIRECT"]);

/** The ctx split into read-only and writable regions by the type's CtxField.writable. */
export function ctxRegions(layout: CtxLayout, base: number): Region[] {
  const regions: Region[] = [];
  let start = 0;
  let writable = layout.fields[0]?.writable ?? false;
  const flush = (end: number): void => {
    if (end > start) regions.push({ start: base + start, end: base + end, writable, name: `ctx (${layout.name}${writable ? ", writable fields" : ""})` });
  };
  for (const field of layout.fields) {
    if (field.writable !== writable) {
      flush(field.offset);
      start = field.offset;
      writable = field.writable;
    }
  }
  flush(layout.size);
  // An skb's socket (`__sk_buff.sk`), which the context writer puts in the scratch area.
  if (layout.fields.some((f) => f.name === "sk")) regions.push(testRunSocketRegion(base));
  return regions;
}

export class PacketRunner {
  readonly cpu: CpuRegion;
  private readonly writer: ContextWriter;
  private readonly input: RunInput;
  private readonly regions: readonly Region[];
  private readonly u8: Uint8Array;
  private readonly view: DataView;
  private readonly isSocketFilter: boolean;
  private placed: Placed = { data: 0, dataEnd: 0, len: 0 };

  constructor(
    readonly machine: RuntimeMachine,
    readonly program: LoadedProgram,
    options: RunnerOptions = {},
  ) {
    const { layout, memory, type } = machine;
    this.cpu = layout.cpu(options.cpu ?? 0);
    this.writer = new ContextWriter(type, this.cpu, memory, layout, options);
    this.u8 = new Uint8Array(memory.buffer);
    this.view = new DataView(memory.buffer);
    this.isSocketFilter = type.name === "socket_filter";
    const cpu = this.cpu;
    this.regions = [
      ...(type.ctx ? ctxRegions(type.ctx, cpu.ctx) : []),
      { start: cpu.packetSlot, end: cpu.packetEnd, writable: true, name: "packet slot" },
      { start: layout.mapsBase, end: layout.mapsBase + layout.mapsSize, writable: true, name: "maps" },
    ];
    // One RunInput for every packet of a program with a ctx: the interpreter keeps its regions.
    this.input = { cpu: cpu.cpu, args: [BigInt(cpu.ctx)], regions: this.regions };
  }

  /** Run one packet. */
  run(packet: PacketInput): PacketResult {
    const retval = this.runOnly(packet);
    return this.result(retval);
  }

  /** Run packets in order; `results: true` keeps each one's PacketResult (copies of the packets). */
  runBatch(packets: Iterable<PacketInput>, options: { readonly results?: boolean } = {}): BatchResult {
    const byRetval = new Map<bigint, number>();
    const results: PacketResult[] | undefined = options.results ? [] : undefined;
    const byRecord = new Map<string, number>();
    let count = 0;
    for (const packet of packets) {
      const retval = this.runOnly(packet);
      count++;
      if (results) results.push(this.result(retval));
      byRetval.set(retval, (byRetval.get(retval) ?? 0) + 1);
      if (this.isRedirect(retval)) {
        const key = redirectKey(this.view, this.cpu);
        byRecord.set(key, (byRecord.get(key) ?? 0) + 1);
      }
    }
    const verdicts: Record<string, number> = {};
    for (const [retval, n] of byRetval) {
      const name = this.machine.type.verdict(retval);
      verdicts[name] = (verdicts[name] ?? 0) + n;
    }
    const base = results ? { packets: count, verdicts, results } : { packets: count, verdicts };
    if (byRecord.size === 0) return base;
    const redirects: Record<string, number> = {};
    for (const [key, n] of byRecord) {
      const r = redirectOfKey(key, this.machine.maps);
      const target = r ? redirectTarget(r) : "unrecorded";
      redirects[target] = (redirects[target] ?? 0) + n;
    }
    return { ...base, redirects };
  }

  /**
   * Is r0 a redirect verdict? Memoised (the last r0, then a small map: programs return few
   * distinct values) to keep verdict() off the per-packet path.
   */
  private readonly redirectByRetval = new Map<bigint, boolean>();
  private lastRetval = -1n;
  private lastIsRedirect = false;
  private isRedirect(retval: bigint): boolean {
    if (retval === this.lastRetval) return this.lastIsRedirect;
    let is = this.redirectByRetval.get(retval);
    if (is === undefined) {
      is = REDIRECT_VERDICTS.has(this.machine.type.verdict(retval));
      if (this.redirectByRetval.size < 64) this.redirectByRetval.set(retval, is);
    }
    this.lastRetval = retval;
    this.lastIsRedirect = is;
    return is;
  }

  /** Place, run, return r0. */
  private runOnly(packet: PacketInput): bigint {
    const bytes = packet instanceof Uint8Array ? packet : packet.data;
    const origLen = packet instanceof Uint8Array ? bytes.length : packet.origLen;
    // The record first: placing an XDP frame with fragments writes their length there.
    clearRecord(this.u8, this.cpu);
    const placed = (this.placed = this.writer.place(bytes, origLen));
    const input = this.machine.type.ctx
      ? this.input
      : { cpu: this.cpu.cpu, args: [BigInt(placed.data), BigInt(placed.dataEnd - placed.data)], regions: this.regions };
    return this.program.run(input);
  }

  private result(retval: bigint): PacketResult {
    const type = this.machine.type;
    const verdict = type.verdict(retval);
    // Without a ctx (conformance type) the memory stays where it was placed, at its length.
    const { data, dataEnd, frags } = type.ctx ? this.writer.packetBounds() : { ...this.placed, frags: 0 };
    // An XDP frame's fragments follow its linear part in the slot (xdp-frags.ts).
    let end = dataEnd + frags;
    // sk_filter_trim_cap / packet_rcv: a socket filter that accepts keeps r0 bytes of the
    // packet (a drop, r0 = 0, trims nothing: the packet is not delivered at all).
    // The kernel takes the return value as a u32 (bpf_prog_run_save_cb → unsigned int).
    if (this.isSocketFilter) {
      const keep = Number(retval & 0xffffffffn);
      if (keep !== 0 && keep < dataEnd - data) end = data + keep;
    }
    const packet = this.u8.slice(data, end);
    const redirect = REDIRECT_VERDICTS.has(verdict) ? readRedirect(this.view, this.cpu, this.machine.maps) : undefined;
    const clones = readClones(this.view, this.cpu);
    return { verdict, retval, packet, ...(redirect ? { redirect } : {}), ...(clones ? { clones } : {}) };
  }

  /**
   * A ctx field as the last run left it (e.g. __sk_buff.mark that a tc program set), read as an
   * unsigned number (u64 fields as a bigint would lose nothing below 2^53).
   */
  field(name: string): number {
    const layout = this.machine.type.ctx;
    if (!layout) throw new BpfError(`the ${this.machine.type.name} program type has no context`);
    const field = layout.fields.find((f) => f.name === name);
    if (!field) throw new BpfError(`${layout.name} has no field '${name}'`);
    const at = this.cpu.ctx + field.offset;
    if (field.size === 8) return Number(this.view.getBigUint64(at, true));
    return field.size === 1 ? this.view.getUint8(at) : this.view.getUint32(at, true);
  }

  dispose(): void {
    this.program.dispose();
  }
}

/** Load `program` with `engine` on `machine` and wrap it in a runner. */
export async function loadRunner(engine: Engine, program: Program, machine: RuntimeMachine, options: RunnerOptions = {}): Promise<PacketRunner> {
  if (machine.type.name === "conformance" && (options.skb || options.vlanOffload)) {
    throw new BpfError("conformance programs get no context: skb and vlanOffload options do not apply");
  }
  return new PacketRunner(machine, await engine.load(program, machine), options);
}
