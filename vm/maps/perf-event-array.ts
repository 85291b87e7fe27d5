// The user-space side of a BPF_MAP_TYPE_PERF_EVENT_ARRAY. In the kernel user space opens a perf
// event (perf_event_open with PERF_COUNT_SW_BPF_OUTPUT on one CPU) and stores its fd in a slot;
// libbpf's perf_buffer opens slot i on CPU i. Here `open(index, cpu)` stores that CPU in the
// slot (./as/perf.ts), and bpf_perf_event_output's records for an open slot go to the machine's
// PerfEventSink (vm/helpers/trace.ts), which user space drains. A slot nobody opened gives the
// program -ENOENT, as in the kernel.

import { BpfError } from "../errors.js";
import { BpfMap } from "./map.js";

const u32le = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

export class PerfEventArray extends BpfMap {
  /** Open slot `index` with an event on CPU `cpu` (default: CPU `index`, as perf_buffer does). */
  open(index: number, cpu: number = index): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu > 0xffffffff) throw new BpfError(`map '${this.name}': open: cpu must be a CPU number, got ${cpu}`);
    this.update(u32le(index), u32le(cpu));
  }

  /** Open every slot i on CPU i (libbpf's perf_buffer__new with the default options). */
  openAll(): void {
    for (let i = 0; i < Math.min(this.maxEntries, this.descriptor.ncpus); i++) this.open(i);
  }

  /** Close slot `index` (delete the event fd): false when it was not open. */
  close(index: number): boolean {
    return this.delete(u32le(index));
  }

  /** The CPU of slot `index`'s event, or undefined when the slot is not open. */
  cpuOf(index: number): number | undefined {
    const v = this.lookup(u32le(index));
    return v ? new DataView(v.buffer, v.byteOffset).getUint32(0, true) - 1 : undefined;
  }
}
