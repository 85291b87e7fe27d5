// Output helpers: trace_printk (6), trace_vprintk (177) and perf_event_output (25).
//
// trace_printk: the kernel writes the message to the tracing ring buffer (read from
// /sys/kernel/tracing/trace_pipe); ours appends it to the machine's TraceLog, which user space
// reads as lines (or receives through a callback). The message is exactly what the kernel
// formats (./trace/bprintf.ts), at most 1023 bytes; the return value is the length of the whole
// formatted message, as bstr_printf returns it, or -EINVAL / -ENOSPC for a bad format.
//
// perf_event_output: the kernel writes a record to the perf ring buffer of the
// BPF_MAP_TYPE_PERF_EVENT_ARRAY slot `flags & BPF_F_INDEX_MASK` (BPF_F_CURRENT_CPU: this CPU's).
// The records go to a PerfEventSink, one per machine (the user-space end of libbpf's perf_buffer,
// one list tagged by CPU): each record is the `data` bytes followed by the first `flags >> 32`
// bytes of the packet (BPF_F_CTXLEN_MASK), tagged with the CPU, the slot index and the map
// pointer the program passed. Which slots have an event, and on which CPU, is the map's
// (vm/maps/perf-event-array.ts, opened by user space): past max_entries -E2BIG, an empty slot
// -ENOENT, an event on another CPU -EOPNOTSUPP, as __bpf_perf_event_output answers.
// A map pointer that is not a PERF_EVENT_ARRAY (hand-written programs that the verifier cannot
// type: a raw address) falls back to the sink's own slots: slot i holds an event on CPU i for
// every i < `entries`.

import type { HelperDef, HelperImpl } from "./registry.js";
import { type PacketView, skbPacket, xdpPacket } from "./packet/context.js";
import { memOf, u32, type Mem } from "./packet/memory.js";
import { BPF_F_CTXLEN_MASK, BPF_F_CURRENT_CPU, BPF_F_INDEX_MASK, E2BIG, EFAULT, EINVAL, ENOSPC, EOPNOTSUPP, errno } from "./packet/uapi.js";
import { xdpBufferLength } from "./packet/xdp-frags.js";
import { bprintf } from "./trace/bprintf.js";
import type { Layout } from "../memory/layout.js";

export { bprintf, MAX_BPRINTF_BUF } from "./trace/bprintf.js";

// ---- trace_printk -----------------------------------------------------------------------------

export interface TraceLine {
  readonly cpu: number;
  /** The formatted message (UTF-8 decoded), as the kernel would print it after "bpf_trace_printk: ". */
  readonly text: string;
}

export interface TraceLogOptions {
  /** Lines kept; older ones are dropped first, as in the kernel's ring buffer. Default 10000. */
  readonly capacity?: number;
  /** Called with every message as it is printed. */
  readonly onLine?: (line: TraceLine) => void;
}

/** Where trace_printk's messages go: the machine's trace_pipe. */
export class TraceLog {
  readonly capacity: number;
  private lines: TraceLine[] = [];
  /** Messages dropped because the log was full. */
  dropped = 0;
  private readonly onLine: ((line: TraceLine) => void) | undefined;

  constructor(options: TraceLogOptions = {}) {
    this.capacity = options.capacity ?? 10_000;
    if (!(Number.isInteger(this.capacity) && this.capacity > 0)) throw new RangeError(`trace log capacity must be a positive integer, got ${this.capacity}`);
    this.onLine = options.onLine;
  }

  push(line: TraceLine): void {
    if (this.lines.length >= this.capacity) {
      this.lines.shift();
      this.dropped++;
    }
    this.lines.push(line);
    this.onLine?.(line);
  }

  /** The messages so far (oldest first), without removing them. */
  get texts(): string[] {
    return this.lines.map((l) => l.text);
  }

  /** Every line so far, removing them (as reading trace_pipe consumes). */
  take(): TraceLine[] {
    const out = this.lines;
    this.lines = [];
    return out;
  }

  clear(): void {
    this.lines = [];
    this.dropped = 0;
  }
}

const MAX_TRACE_PRINTK_VARARGS = 3;
const MAX_BPRINTF_VARARGS = 12;
const decoder = new TextDecoder();

function printk(log: TraceLog, mem: Mem, cpu: number, helper: string, fmtReg: bigint, fmtSizeReg: bigint, args: readonly bigint[]): bigint {
  const size = u32(fmtSizeReg);
  const at = mem.span(helper, "fmt", fmtReg, size);
  const result = bprintf(mem, mem.bytes.slice(at, at + size), args);
  if (!result.ok) return errno(result.errno);
  log.push({ cpu, text: decoder.decode(result.bytes) });
  return BigInt(result.length);
}

/** trace_printk (6) and trace_vprintk (177), writing to `log`. */
export function traceHelpers(log: TraceLog): HelperDef[] {
  return [
    {
      id: 6,
      name: "trace_printk",
      args: ["ptr_to_mem", "const_size", "anything", "anything", "anything"],
      ret: "integer",
      impl: (ctx, fmt, fmtSize, a1, a2, a3) => printk(log, memOf(ctx.memory), ctx.cpu, "trace_printk", fmt, fmtSize, [a1, a2, a3].slice(0, MAX_TRACE_PRINTK_VARARGS)),
    },
    {
      id: 177,
      name: "trace_vprintk",
      // The kernel's data is ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY (NULL with data_len 0).
      args: ["ptr_to_mem", "const_size", "ptr_to_mem_or_null", "const_size_or_zero"],
      ret: "integer",
      impl: (ctx, fmt, fmtSize, data, dataLenReg) => {
        const mem = memOf(ctx.memory);
        const dataLen = u32(dataLenReg);
        if (dataLen & 7 || dataLen > MAX_BPRINTF_VARARGS * 8 || (dataLen && data === 0n)) return errno(EINVAL);
        const at = dataLen ? mem.span("trace_vprintk", "data", data, dataLen) : 0;
        const args = Array.from({ length: dataLen / 8 }, (_, k) => mem.view.getBigUint64(at + 8 * k, true));
        return printk(log, mem, ctx.cpu, "trace_vprintk", fmt, fmtSize, args);
      },
    },
  ];
}

// ---- perf_event_output --------------------------------------------------------------------------

export interface PerfRecord {
  readonly cpu: number;
  /** The PERF_EVENT_ARRAY slot the record went to. */
  readonly index: number;
  /** The map pointer the program passed (r2). */
  readonly map: number;
  /** `data` bytes, then the packet bytes asked for in BPF_F_CTXLEN_MASK. */
  readonly data: Uint8Array;
}

export interface PerfEventSinkOptions {
  /** max_entries of the emulated PERF_EVENT_ARRAY: slot i is an event on CPU i. Default 1. */
  readonly entries?: number;
  /** Records kept before -ENOSPC (a full perf ring buffer); counted in `lost`. Default 65536. */
  readonly capacity?: number;
  readonly onRecord?: (record: PerfRecord) => void;
}

/** The user-space end of perf_event_output (a perf_buffer with one ring per CPU). */
export class PerfEventSink {
  readonly entries: number;
  readonly capacity: number;
  private list: PerfRecord[] = [];
  /** Records refused because the sink was full (-ENOSPC to the program). */
  lost = 0;
  private readonly onRecord: ((record: PerfRecord) => void) | undefined;

  constructor(options: PerfEventSinkOptions = {}) {
    this.entries = options.entries ?? 1;
    this.capacity = options.capacity ?? 65_536;
    for (const [name, v] of [["entries", this.entries], ["capacity", this.capacity]] as const) {
      if (!(Number.isInteger(v) && v > 0)) throw new RangeError(`perf event sink ${name} must be a positive integer, got ${v}`);
    }
    this.onRecord = options.onRecord;
  }

  /** Store a record; false when full. */
  push(record: PerfRecord): boolean {
    if (this.list.length >= this.capacity) {
      this.lost++;
      return false;
    }
    this.list.push(record);
    this.onRecord?.(record);
    return true;
  }

  get records(): readonly PerfRecord[] {
    return this.list;
  }

  /** Every record so far, removing them (as perf_buffer__poll consumes). */
  take(): PerfRecord[] {
    const out = this.list;
    this.list = [];
    return out;
  }
}

/** The packet a ctx names, on `cpu`: [data, end) = the bytes perf_event_output may append. */
type PacketOf = (mem: Mem, helper: string, ctxReg: bigint, cpu: number) => PacketView;

/**
 * The PERF_EVENT_ARRAY slot a record goes to: the CPU of its event, or a negative errno as a
 * signed bigint (-E2BIG, -ENOENT); undefined when `map` is not a PERF_EVENT_ARRAY (the sink's slots decide).
 */
export type PerfSlot = (map: number, index: number) => bigint | undefined;

/** The sink's own slots (no PERF_EVENT_ARRAY): slot i is an event on CPU i, i < entries. */
function sinkSlot(sink: PerfEventSink, index: number): bigint {
  return index >= sink.entries ? BigInt(-E2BIG) : BigInt(index);
}

/**
 * bpf_xdp_event_output / bpf_skb_event_output → bpf_event_output → __bpf_perf_event_output:
 * flag bits outside CTXLEN and INDEX → -EINVAL; a ctx length beyond the packet → -EFAULT; the
 * slot checks; then the record.
 */
function eventOutput(sink: PerfEventSink, packetOf: PacketOf, slotOf: PerfSlot | undefined): HelperImpl {
  return (ctx, ctxReg, mapReg, flags, dataReg, sizeReg) => {
    if (flags & ~(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK)) return errno(EINVAL);
    const mem = memOf(ctx.memory);
    const packet = packetOf(mem, "perf_event_output", ctxReg, ctx.cpu);
    const ctxLen = Number((flags & BPF_F_CTXLEN_MASK) >> 32n);
    if (ctxLen > packet.end - packet.data) return errno(EFAULT);
    const size = Number(sizeReg <= 0xffffffffn ? sizeReg : 0xffffffffn);
    const data = size ? mem.span("perf_event_output", "data", dataReg, size) : 0;
    let index = Number(flags & BPF_F_INDEX_MASK);
    if (BigInt(index) === BPF_F_CURRENT_CPU) index = ctx.cpu;
    const map = u32(mapReg);
    const eventCpu = slotOf?.(map, index) ?? sinkSlot(sink, index);
    if (eventCpu < 0n) return BigInt.asUintN(64, eventCpu); // a signed -errno, as r0
    if (eventCpu !== BigInt(ctx.cpu)) return errno(EOPNOTSUPP); // event->oncpu != this CPU
    const record = new Uint8Array(size + ctxLen);
    record.set(mem.bytes.subarray(data, data + size));
    record.set(mem.bytes.subarray(packet.data, packet.data + ctxLen), size);
    return sink.push({ cpu: ctx.cpu, index, map, data: record }) ? 0n : errno(ENOSPC);
  };
}

const PERF_ARGS = ["ptr_to_ctx", "const_map_ptr", "anything", "ptr_to_mem", "const_size_or_zero"] as const;

/**
 * perf_event_output for XDP programs: the packet is xdp_md.data .. data_end and, with a `layout`,
 * the fragments after it (bpf_xdp_event_output copies xdp_get_buff_len bytes at most).
 */
export function xdpPerfEventOutput(sink: PerfEventSink, slotOf?: PerfSlot, layout?: Layout): HelperDef {
  const packetOf: PacketOf = (mem, helper, ctxReg, cpu) => {
    const p = xdpPacket(mem, helper, ctxReg);
    return layout ? { ...p, end: p.data + xdpBufferLength(mem, layout, cpu, p.data, p.end) } : p;
  };
  return { id: 25, name: "perf_event_output", args: PERF_ARGS, ret: "integer", impl: eventOutput(sink, packetOf, slotOf) };
}

/** perf_event_output for skb programs (socket filter, tc). */
export function skbPerfEventOutput(sink: PerfEventSink, slotOf?: PerfSlot): HelperDef {
  return { id: 25, name: "perf_event_output", args: PERF_ARGS, ret: "integer", impl: eventOutput(sink, skbPacket, slotOf) };
}
