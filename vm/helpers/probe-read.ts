// bpf_probe_read_kernel (113), bpf_probe_read_kernel_str (115), bpf_probe_read_user (112),
// bpf_probe_read_user_str (114): bpf_base_func_proto's copies from an address the verifier knows
// nothing about (ARG_ANYTHING), offered to every type when the loader has CAP_PERFMON (root).
// XDP and tc programs use them to copy a variable-length part of the packet or of a map value.
//
// The model: every byte of the machine's memory (above the null guard) is kernel memory, mapped
// and readable; there is no user memory. So a kernel read inside the memory copies; a user read
// fails with -EFAULT (copy_from_user_nofault: not a user address, or nothing mapped there; only
// 0 bytes at a user-half address pass, as access_ok lets them). A kernel read outside
// the memory answers as the kernel's copy_from_kernel_nofault does on x86-64 for an address
// that is not ours: -ERANGE for the user half and for non-canonical addresses
// (copy_from_kernel_nofault_allowed; NULL among them), -EFAULT for the kernel half (nothing of
// ours is mapped there). On any failure the destination is zeroed. Checked against 6.18
// (test/helpers/probe-read.test.ts). What differs from the kernel: an address of our memory is
// a user-half address there (-ERANGE), and a kernel address of the kernel's is not ours.

import type { HelperDef } from "./registry.js";
import { memOf, u32, type Mem } from "./packet/memory.js";
import { EFAULT, ERANGE, errno } from "./packet/uapi.js";

/** TASK_SIZE_MAX + PAGE_SIZE on x86-64 with 4-level paging ((1 << 47) - 4096 + 4096): below it is user space. */
const USER_END = 1n << 47n;
/** The vsyscall page, user space to copy_from_kernel_nofault_allowed although it is high. */
const VSYSCALL_PAGE = 0xffffffffff600000n >> 12n;

/** -ERANGE or -EFAULT for an address outside the memory (see above). */
function outside(addr: bigint): number {
  const high = addr >> 47n; // bits 63..47: all zero (user half) or all one (kernel half) when canonical
  if (addr < USER_END || high !== 0x1ffffn || addr >> 12n === VSYSCALL_PAGE) return ERANGE;
  return EFAULT;
}

/** The address in the memory, or undefined when [addr, addr + len) is not all of it. */
function inMemory(mem: Mem, addr: bigint, len: number): number | undefined {
  const at = addr <= 0xffffffffn ? Number(addr) : -1;
  return mem.valid(at, Math.max(len, 1)) ? at : undefined;
}

/** Zero dst (the kernel's memset on failure) and return -e. */
function fail(mem: Mem, dst: number, size: number, e: number): bigint {
  mem.bytes.fill(0, dst, dst + size);
  return errno(e);
}

const ARGS = ["ptr_to_uninit_mem", "const_size_or_zero", "anything"] as const;

/** bpf_probe_read_kernel: copy_from_kernel_nofault of size bytes; 0. */
export const probeReadKernel: HelperDef = {
  id: 113,
  name: "probe_read_kernel",
  args: ARGS,
  ret: "integer",
  impl: (ctx, dstReg, sizeReg, src) => {
    const mem = memOf(ctx.memory);
    const size = u32(sizeReg);
    const dst = mem.span("probe_read_kernel", "dst", dstReg, size);
    const at = inMemory(mem, src, size);
    if (at === undefined) {
      const e = inMemory(mem, src, 1) === undefined ? outside(src) : EFAULT;
      // copy_from_kernel_nofault_allowed refuses even 0 bytes (-ERANGE); 0 bytes never fault.
      return size === 0 && e === EFAULT ? 0n : fail(mem, dst, size, e);
    }
    mem.bytes.copyWithin(dst, at, at + size);
    return 0n;
  },
};

/**
 * bpf_probe_read_kernel_str: strncpy_from_kernel_nofault — up to size - 1 bytes and a NUL,
 * stopping after the string's NUL; the bytes copied with the NUL (size when cut). Running off
 * the memory before the NUL is a fault (-EFAULT).
 */
export const probeReadKernelStr: HelperDef = {
  id: 115,
  name: "probe_read_kernel_str",
  args: ARGS,
  ret: "integer",
  impl: (ctx, dstReg, sizeReg, src) => {
    const mem = memOf(ctx.memory);
    const size = u32(sizeReg);
    const dst = mem.span("probe_read_kernel_str", "dst", dstReg, size);
    if (size === 0) return 0n;
    const at = inMemory(mem, src, 1);
    if (at === undefined) return fail(mem, dst, size, outside(src));
    const bytes = mem.bytes;
    let n = 0;
    for (; n < size - 1; n++) {
      if (at + n >= bytes.length) return fail(mem, dst, size, EFAULT);
      const b = bytes[at + n]!;
      bytes[dst + n] = b;
      if (b === 0) return BigInt(n + 1);
    }
    bytes[dst + n] = 0;
    return BigInt(size);
  },
};

/** TASK_SIZE_MAX: access_ok takes [addr, addr + size) below it. */
const TASK_SIZE_MAX = USER_END - 4096n;

/**
 * bpf_probe_read_user: no user memory here, so -EFAULT — except 0 bytes at a user-half address
 * that is not ours, which access_ok lets through and nothing reads (0). Our memory is kernel
 * memory: access_ok refuses it even for 0 bytes.
 */
export const probeReadUser: HelperDef = {
  id: 112,
  name: "probe_read_user",
  args: ARGS,
  ret: "integer",
  impl: (ctx, dstReg, sizeReg, src) => {
    const mem = memOf(ctx.memory);
    const size = u32(sizeReg);
    const dst = mem.span("probe_read_user", "dst", dstReg, size);
    if (size === 0 && inMemory(mem, src, 1) === undefined && src <= TASK_SIZE_MAX) return 0n;
    return fail(mem, dst, size, EFAULT);
  },
};

/** bpf_probe_read_user_str: 0 for 0 bytes (strncpy_from_user_nofault's first check), else -EFAULT. */
export const probeReadUserStr: HelperDef = {
  id: 114,
  name: "probe_read_user_str",
  args: ARGS,
  ret: "integer",
  impl: (ctx, dstReg, sizeReg) => {
    const mem = memOf(ctx.memory);
    const size = u32(sizeReg);
    const dst = mem.span("probe_read_user_str", "dst", dstReg, size);
    return size === 0 ? 0n : fail(mem, dst, size, EFAULT);
  },
};

export const probeReadHelpers = (): HelperDef[] => [probeReadUser, probeReadKernel, probeReadUserStr, probeReadKernelStr];
