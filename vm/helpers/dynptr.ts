// The dynptr helpers of bpf_base_func_proto (kernel/bpf/helpers.c): bpf_dynptr_from_mem (197),
// bpf_dynptr_read (201), bpf_dynptr_write (202), bpf_dynptr_data (203). The ring buffer's
// bpf_ringbuf_reserve_dynptr / submit_dynptr / discard_dynptr (198-200) are with the other ring
// buffer helpers (maps.ts), the dynptr kfuncs (bpf_dynptr_from_xdp / _from_skb, the slices, ...)
// in kfunc/dynptr.ts; all use the layout below. The verifier's side is vm/verifier/dynptr.ts.
// An skb or xdp dynptr's data is the program's context: its bytes are the packet's
// (packet/dynptr-packet.ts), which a machine's layout locates.
//
// A struct bpf_dynptr (16 bytes on the program's stack, opaque to the program: the verifier
// refuses reads of it) holds the kernel's struct bpf_dynptr_kern:
//   u64 data    the address of the memory it views (0: a null dynptr, which every helper refuses)
//   u32 size    bits 0-23 the size (DYNPTR_SIZE_MASK), 28-30 the type, 31 read-only
//   u32 offset  where the view starts in that memory
// On a failure the making helpers leave a null dynptr (bpf_dynptr_set_null), which the others
// answer with -EINVAL (read, write) or NULL (data), as in the kernel.

import { BpfRuntimeError } from "../errors.js";
import type { HelperDef } from "./registry.js";
import type { PacketDynptrAccess } from "./packet/dynptr-packet.js";
import { DYNPTR_SIZE, DynptrType } from "./dynptr-type.js";
import { memOf, u32, type Mem } from "./packet/memory.js";
import { E2BIG, EFAULT, EINVAL, errno } from "./packet/uapi.js";

const SIZE_MASK = 0xffffff;
const TYPE_SHIFT = 28;
const RDONLY_BIT = 0x80000000;
/** DYNPTR_MAX_SIZE: the largest size a dynptr may have. */
const MAX_SIZE = SIZE_MASK;

export interface Dynptr {
  /** 0n: a null dynptr. */
  readonly data: bigint;
  readonly size: number;
  readonly type: number;
  readonly rdonly: boolean;
  readonly offset: number;
}

/** The dynptr at `reg` (checked to lie in the memory). */
export function dynptrAt(mem: Mem, helper: string, reg: bigint): Dynptr {
  const at = mem.span(helper, "dynptr", reg, DYNPTR_SIZE);
  const meta = mem.u32(at + 8);
  return {
    data: mem.view.getBigUint64(at, true),
    size: meta & SIZE_MASK,
    type: (meta & ~RDONLY_BIT) >>> TYPE_SHIFT,
    rdonly: (meta & RDONLY_BIT) !== 0,
    offset: mem.u32(at + 12),
  };
}

/** bpf_dynptr_init: a dynptr of `type` over [data, data + size) (or its packet, `data` its ctx), read-only if asked. */
export function initDynptr(mem: Mem, at: number, data: number, type: number, size: number, rdonly = false): void {
  mem.setU32(at, data);
  mem.setU32(at + 4, 0);
  mem.setU32(at + 8, (size | (type << TYPE_SHIFT) | (rdonly ? RDONLY_BIT : 0)) >>> 0);
  mem.setU32(at + 12, 0);
}

/** bpf_dynptr_adjust's change: the view starts `start` bytes further on and has `size` bytes. */
export function narrowDynptr(mem: Mem, at: number, start: number, size: number): void {
  mem.setU32(at + 8, ((mem.u32(at + 8) & ~SIZE_MASK) | size) >>> 0);
  mem.setU32(at + 12, mem.u32(at + 12) + start);
}

/** bpf_dynptr_set_null. */
export function setNullDynptr(mem: Mem, at: number): void {
  mem.bytes.fill(0, at, at + DYNPTR_SIZE);
}

/** bpf_dynptr_check_size: -E2BIG past DYNPTR_MAX_SIZE, else 0. */
export const checkDynptrSize = (size: number): number => (size > MAX_SIZE ? E2BIG : 0);

/** The dynptr struct a making helper writes (its last argument), checked to lie in the memory. */
export const dynptrOut = (mem: Mem, helper: string, reg: bigint): number => mem.span(helper, "dynptr", reg, DYNPTR_SIZE);

/** bpf_dynptr_check_off_len. */
export const outOfRange = (d: Dynptr, offset: number, len: number): boolean => len > d.size || offset > d.size - len;

/** The address of byte `offset` of a LOCAL or RINGBUF dynptr's view, checked to have `len` bytes in the memory. */
export function memoryView(mem: Mem, helper: string, d: Dynptr, offset: number, len: number): number {
  return mem.span(helper, "dynptr data", d.data + BigInt(d.offset) + BigInt(offset), len);
}

export const isMemory = (d: Dynptr): boolean => d.type === DynptrType.LOCAL || d.type === DynptrType.RINGBUF;
export const isPacket = (d: Dynptr): boolean => d.type === DynptrType.SKB || d.type === DynptrType.XDP;

/** The packet access of a machine, for skb and xdp dynptrs (which only a machine's kfuncs make). */
export function packetAccess(access: PacketDynptrAccess | undefined, helper: string): PacketDynptrAccess {
  if (!access) throw new BpfRuntimeError(`${helper}: an skb or xdp dynptr needs a machine's packet (this helper table has none)`);
  return access;
}

/** A packet dynptr as packet/dynptr-packet.ts takes it: its ctx and type. */
export const packetOf = (d: Dynptr) => ({ ctx: d.data, type: d.type });

/** bpf_dynptr_from_mem(data, size, flags, ptr): a LOCAL dynptr over map value memory; 0, -E2BIG, -EINVAL. */
const dynptrFromMem: HelperDef = {
  id: 197,
  name: "dynptr_from_mem",
  args: ["ptr_to_uninit_mem", "const_size_or_zero", "anything", "ptr_to_uninit_dynptr_local"],
  ret: "integer",
  impl: (ctx, dataReg, sizeReg, flags, ptr) => {
    const mem = memOf(ctx.memory);
    const at = dynptrOut(mem, "dynptr_from_mem", ptr);
    const size = u32(sizeReg);
    const data = mem.span("dynptr_from_mem", "data", dataReg, size);
    const err = checkDynptrSize(size) || (flags !== 0n ? EINVAL : 0);
    if (err) {
      setNullDynptr(mem, at);
      return errno(err);
    }
    initDynptr(mem, at, data, DynptrType.LOCAL, size);
    return 0n;
  },
};

/** bpf_dynptr_read(dst, len, src, offset, flags): copy len bytes of the dynptr's view; 0, -EINVAL, -E2BIG. */
const dynptrRead = (access: PacketDynptrAccess | undefined): HelperDef => ({
  id: 201,
  name: "dynptr_read",
  args: ["ptr_to_uninit_mem", "const_size_or_zero", "ptr_to_dynptr", "anything", "anything"],
  ret: "integer",
  impl: (ctx, dstReg, lenReg, src, offsetReg, flags) => {
    const mem = memOf(ctx.memory);
    const len = u32(lenReg);
    const dst = mem.span("dynptr_read", "dst", dstReg, len);
    const d = dynptrAt(mem, "dynptr_read", src);
    const offset = u32(offsetReg);
    if (d.data === 0n || flags !== 0n) return errno(EINVAL);
    if (outOfRange(d, offset, len)) return errno(E2BIG);
    if (isPacket(d)) return packetAccess(access, "dynptr_read").read(mem, ctx, packetOf(d), d.offset + offset, dst, len);
    if (!isMemory(d)) return errno(EFAULT); // the kernel's WARN for a type it does not know
    const from = memoryView(mem, "dynptr_read", d, offset, len);
    mem.bytes.copyWithin(dst, from, from + len); // memmove: the two may overlap
    return 0n;
  },
});

/** bpf_dynptr_write(dst, offset, src, len, flags): copy len bytes into the dynptr's view; 0, -EINVAL, -E2BIG. */
const dynptrWrite = (access: PacketDynptrAccess | undefined): HelperDef => ({
  id: 202,
  name: "dynptr_write",
  args: ["ptr_to_dynptr", "anything", "ptr_to_mem", "const_size_or_zero", "anything"],
  ret: "integer",
  impl: (ctx, dstReg, offsetReg, srcReg, lenReg, flags) => {
    const mem = memOf(ctx.memory);
    const len = u32(lenReg);
    const src = mem.span("dynptr_write", "src", srcReg, len);
    const d = dynptrAt(mem, "dynptr_write", dstReg);
    const offset = u32(offsetReg);
    if (d.data === 0n || d.rdonly) return errno(EINVAL);
    if (outOfRange(d, offset, len)) return errno(E2BIG);
    switch (d.type) {
      case DynptrType.SKB: // skb_store_bytes's flags
        return packetAccess(access, "dynptr_write").write(mem, ctx, packetOf(d), d.offset + offset, src, len, flags);
      case DynptrType.XDP:
        return flags !== 0n ? errno(EINVAL) : packetAccess(access, "dynptr_write").write(mem, ctx, packetOf(d), d.offset + offset, src, len, 0n);
      case DynptrType.LOCAL:
      case DynptrType.RINGBUF: {
        if (flags !== 0n) return errno(EINVAL);
        const to = memoryView(mem, "dynptr_write", d, offset, len);
        mem.bytes.copyWithin(to, src, src + len); // memmove
        return 0n;
      }
      default:
        return errno(EFAULT); // the kernel's WARN for a type it does not know
    }
  },
});

/** bpf_dynptr_data(ptr, offset, len): a pointer to len bytes of the dynptr's view, or NULL (skb and xdp dynptrs have bpf_dynptr_slice). */
const dynptrData: HelperDef = {
  id: 203,
  name: "dynptr_data",
  args: ["ptr_to_dynptr", "anything", "const_alloc_size_or_zero"],
  ret: "ptr_to_dynptr_mem_or_null",
  impl: (ctx, ptr, offsetReg, lenReg) => {
    const mem = memOf(ctx.memory);
    const d = dynptrAt(mem, "dynptr_data", ptr);
    const offset = u32(offsetReg);
    const len = u32(lenReg);
    if (d.data === 0n || outOfRange(d, offset, len) || d.rdonly || !isMemory(d)) return 0n;
    return BigInt(memoryView(mem, "dynptr_data", d, offset, len));
  },
};

/** The dynptr helpers; `access` (a machine's) reads and writes skb and xdp dynptrs. */
export const dynptrHelpers = (access?: PacketDynptrAccess): HelperDef[] => [dynptrFromMem, dynptrRead(access), dynptrWrite(access), dynptrData];
