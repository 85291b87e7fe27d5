// Reading a map's header (see ../abi.ts for the layout). The map pointer is the header address.

import {
  H_TYPE, H_KEY_SIZE, H_VALUE_SIZE, H_MAX_ENTRIES, H_VALUE_STRIDE, H_NCPUS, H_CPU_STRIDE,
  H_VALUES, H_ELEMS, H_ELEM_SIZE, H_N_ELEMS, H_VALUE_OFF, H_SPIN_LOCK, H_TIMER, ALL_CPUS,
} from "../abi";
import { copyBytes } from "./bytes";

@inline export function mapType(m: usize): u32 { return load<u32>(m, H_TYPE); }
@inline export function keySize(m: usize): u32 { return load<u32>(m, H_KEY_SIZE); }
@inline export function valueSize(m: usize): u32 { return load<u32>(m, H_VALUE_SIZE); }
@inline export function maxEntries(m: usize): u32 { return load<u32>(m, H_MAX_ENTRIES); }
@inline export function valueStride(m: usize): u32 { return load<u32>(m, H_VALUE_STRIDE); }
@inline export function ncpus(m: usize): u32 { return load<u32>(m, H_NCPUS); }
@inline export function cpuStride(m: usize): u32 { return load<u32>(m, H_CPU_STRIDE); }
@inline export function values(m: usize): usize { return load<u32>(m, H_VALUES); }
@inline export function elems(m: usize): usize { return load<u32>(m, H_ELEMS); }
@inline export function elemSize(m: usize): u32 { return load<u32>(m, H_ELEM_SIZE); }
@inline export function nElems(m: usize): u32 { return load<u32>(m, H_N_ELEMS); }
@inline export function valueOff(m: usize): u32 { return load<u32>(m, H_VALUE_OFF); }
/** The value's bpf_spin_lock offset + 1; 0: no lock. */
@inline export function spinLockAt(m: usize): u32 { return load<u32>(m, H_SPIN_LOCK); }
/** The value's bpf_timer offset + 1; 0: no timer. */
@inline export function timerAt(m: usize): u32 { return load<u32>(m, H_TIMER); }

/** `cpu` names every CPU: a user-space call whose value buffer holds ncpus values. */
@inline export function isAllCpus(cpu: u32): bool { return cpu == <u32>ALL_CPUS; }

/**
 * Write one per-CPU value set, as the kernel's pcpu_copy_value / pcpu_init_value do.
 * `base` is CPU 0's copy; CPU c's is at base + c * cpu_stride.
 * - all CPUs (user space): CPU c gets the c-th value of the buffer (stride round_up(size, 8));
 * - one CPU (a program): that CPU's copy is written; when `fresh` (a new element), the other
 *   CPUs' copies are zeroed so a recycled element does not leak old values.
 */
export function writePerCpu(m: usize, base: usize, value: usize, cpu: u32, fresh: bool): void {
  const size = valueSize(m);
  const n = ncpus(m);
  const stride = cpuStride(m);
  const vstride = valueStride(m);
  if (isAllCpus(cpu)) {
    for (let c: u32 = 0; c < n; c++) copyBytes(base + c * stride, value + c * vstride, size);
    return;
  }
  if (fresh) {
    for (let c: u32 = 0; c < n; c++) {
      if (c != cpu) memory.fill(base + c * stride, 0, size);
    }
  }
  copyBytes(base + cpu * stride, value, size);
}

/** Copy every CPU's value out to a user buffer of ncpus × round_up(size, 8) bytes. */
export function readPerCpu(m: usize, base: usize, out: usize): void {
  const size = valueSize(m);
  const n = ncpus(m);
  const stride = cpuStride(m);
  const vstride = valueStride(m);
  for (let c: u32 = 0; c < n; c++) copyBytes(out + c * vstride, base + c * stride, size);
}
