// Per-CPU values (PERCPU_ARRAY, PERCPU_HASH, LRU_PERCPU_HASH) seen from user space: one value
// per CPU, as libbpf returns them. The syscall-side buffer holds ncpus values at a stride of
// round_up(value_size, 8); programs on CPU c see only the c-th.

import { BpfError } from "../errors.js";
import { bytesToBigInt, writeBytes, type MapBytes, type MemoryView } from "./codec.js";
import { BpfMap, type ValueCodec } from "./map.js";

/** Every CPU's value (an array of ncpus), or one value that every CPU gets. */
export type PerCpuInput = MapBytes | readonly MapBytes[];

export type PerCpuMap = BpfMap<Uint8Array[], PerCpuInput>;

export function perCpuValues(valueSize: number, ncpus: number): ValueCodec<Uint8Array[], PerCpuInput> {
  const stride = Math.ceil(valueSize / 8) * 8;
  return {
    bufferSize: stride * ncpus,
    write(view: MemoryView, addr: number, input: PerCpuInput, what: string): void {
      if (Array.isArray(input)) {
        if (input.length !== ncpus) {
          throw new BpfError(`${what} of a per-CPU map needs ${ncpus} values (one per CPU), got ${input.length}`);
        }
        input.forEach((v: MapBytes, cpu) => writeBytes(view, addr + cpu * stride, v, valueSize, `${what} for CPU ${cpu}`));
      } else {
        for (let cpu = 0; cpu < ncpus; cpu++) writeBytes(view, addr + cpu * stride, input as MapBytes, valueSize, what);
      }
    },
    lookup: (rt, map, keyAddr, bufAddr) => (rt.sys_lookup_percpu(map, keyAddr, bufAddr) === 0 ? bufAddr : 0),
    read: (view, addr) => Array.from({ length: ncpus }, (_, cpu) => view.read(addr + cpu * stride, valueSize)),
  };
}

/** Sum of every CPU's value read as a little-endian unsigned integer (counters). */
export function sumPerCpu(values: readonly Uint8Array[]): bigint {
  return values.reduce((total, v) => total + bytesToBigInt(v), 0n);
}
