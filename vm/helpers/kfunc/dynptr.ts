// The dynptr kfuncs (net/core/filter.c, kernel/bpf/helpers.c):
//
//   bpf_dynptr_from_xdp(struct xdp_md *x, u64 flags, struct bpf_dynptr *ptr__uninit)     XDP
//   bpf_dynptr_from_skb(struct __sk_buff *s, u64 flags, struct bpf_dynptr *ptr__uninit)  skb types
//   void *bpf_dynptr_slice(const struct bpf_dynptr *p, u32 offset, void *buffer__opt, u32 buffer__szk)
//   void *bpf_dynptr_slice_rdwr(...)                                   the same, writable
//   int bpf_dynptr_adjust(const struct bpf_dynptr *p, u32 start, u32 end)
//   bool bpf_dynptr_is_null(const struct bpf_dynptr *p), bool bpf_dynptr_is_rdonly(...)
//   __u32 bpf_dynptr_size(const struct bpf_dynptr *p)
//   int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit): the same
//     view, a dynptr of its own (adjust one, not the other); a ring buffer one shares the record's
//     reference (submitting either releases both)
//
// An skb or xdp dynptr views the packet through the program's context (../packet/dynptr-packet.ts):
// its size is the packet's length when it is made, and bpf_dynptr_read / _write / the slices
// reach the packet as it is then. An skb dynptr is read-only where the program type may not
// write packet data (socket filters, cgroup_skb, lwt_in / lwt_out: bpf_dynptr_from_skb_rdonly).
// A slice points into the data when the bytes are in one piece, else (xdp fragments) the kfunc
// copies them into the buffer and returns that, or NULL without one.

import { BpfRuntimeError } from "../../errors.js";
import type { ProgramTypeName } from "../../programs/types.js";
import { checkDynptrSize, dynptrAt, dynptrOut, initDynptr, isMemory, isPacket, memoryView, narrowDynptr, outOfRange, packetAccess, packetOf, setNullDynptr, type Dynptr } from "../dynptr.js";
import { DYNPTR_SIZE, DynptrType } from "../dynptr-type.js";
import { memOf, u32 } from "../packet/memory.js";
import type { PacketDynptrAccess } from "../packet/dynptr-packet.js";
import { EINVAL, ERANGE, errno } from "../packet/uapi.js";
import type { HelperImpl } from "../registry.js";
import type { KfuncDef, KfuncProto } from "./defs.js";
import { KFUNC_IDS } from "./ids.js";

/** The program types whose kfunc id set holds bpf_dynptr_from_skb (bpf_kfunc_set_skb) among ours. */
export const DYNPTR_SKB_TYPES: readonly ProgramTypeName[] = ["socket_filter", "sched_cls", "cgroup_skb", "lwt_in", "lwt_out", "lwt_xmit", "lwt_seg6local"];

const kfunc = (name: string, proto: KfuncProto, impl: HelperImpl): KfuncDef => ({
  id: KFUNC_IDS[name]!,
  name,
  args: proto.params.map(() => "anything"),
  ret: "integer",
  proto,
  impl,
});

/**
 * The dynptr kfuncs of a machine: `access` reaches its packets (none for a table that only
 * verifies: a run of a packet dynptr then stops with an error), `skbReadOnly` makes
 * bpf_dynptr_from_skb's dynptrs read-only (the program type may not write packet data).
 */
export function dynptrKfuncs(access: PacketDynptrAccess | undefined, skbReadOnly: boolean): KfuncDef[] {
  const fromPacket = (name: string, type: number, types: readonly ProgramTypeName[], rdonly: boolean): KfuncDef =>
    kfunc(name, { params: ["ctx", "scalar", "dynptr_uninit"], ret: "int", dynptr: type === DynptrType.XDP ? "xdp" : "skb", types }, (ctx, r1, flags, ptr) => {
      const mem = memOf(ctx.memory);
      const at = dynptrOut(mem, name, ptr);
      if (flags !== 0n) {
        setNullDynptr(mem, at);
        return errno(EINVAL);
      }
      const size = packetAccess(access, name).length(mem, ctx, { ctx: r1, type });
      if (checkDynptrSize(size)) throw new BpfRuntimeError(`${name}: a packet of ${size} bytes is past a dynptr's size`);
      initDynptr(mem, at, Number(r1), type, size, rdonly);
      return 0n;
    });
  const slice = (name: string, writable: boolean): KfuncDef =>
    kfunc(name, { params: ["dynptr", "scalar", "buffer_opt", "buffer_size"], ret: writable ? "dynptr_slice_rdwr" : "dynptr_slice" }, (ctx, p, offsetReg, bufferReg, sizeReg) => {
      const mem = memOf(ctx.memory);
      const d = dynptrAt(mem, name, p);
      const offset = u32(offsetReg);
      const len = u32(sizeReg);
      if (d.data === 0n || (writable && d.rdonly) || outOfRange(d, offset, len)) return 0n;
      if (isMemory(d)) return BigInt(memoryView(mem, name, d, offset, len));
      if (!isPacket(d)) return 0n;
      const buffer = bufferReg === 0n ? 0 : mem.span(name, "buffer", bufferReg, len);
      return BigInt(packetAccess(access, name).slice(mem, ctx, packetOf(d), d.offset + offset, len, buffer));
    });
  const query = (name: string, answer: (d: Dynptr) => bigint): KfuncDef =>
    kfunc(name, { params: ["dynptr"], ret: "int" }, (ctx, p) => answer(dynptrAt(memOf(ctx.memory), name, p)));
  return [
    fromPacket("bpf_dynptr_from_xdp", DynptrType.XDP, ["xdp"], false),
    fromPacket("bpf_dynptr_from_skb", DynptrType.SKB, DYNPTR_SKB_TYPES, skbReadOnly),
    slice("bpf_dynptr_slice", false),
    slice("bpf_dynptr_slice_rdwr", true),
    kfunc("bpf_dynptr_adjust", { params: ["dynptr", "scalar", "scalar"], ret: "int" }, (ctx, p, startReg, endReg) => {
      const mem = memOf(ctx.memory);
      const d = dynptrAt(mem, "bpf_dynptr_adjust", p);
      const [start, end] = [u32(startReg), u32(endReg)];
      if (d.data === 0n) return errno(EINVAL);
      if (start > d.size || end > d.size) return errno(ERANGE);
      if (start > end) return errno(EINVAL);
      narrowDynptr(mem, dynptrOut(mem, "bpf_dynptr_adjust", p), start, end - start);
      return 0n;
    }),
    kfunc("bpf_dynptr_clone", { params: ["dynptr", "dynptr_uninit"], ret: "int" }, (ctx, p, cloneReg) => {
      const mem = memOf(ctx.memory);
      const from = dynptrOut(mem, "bpf_dynptr_clone", p);
      const to = dynptrOut(mem, "bpf_dynptr_clone", cloneReg);
      if (dynptrAt(mem, "bpf_dynptr_clone", p).data === 0n) {
        setNullDynptr(mem, to);
        return errno(EINVAL);
      }
      mem.bytes.copyWithin(to, from, from + DYNPTR_SIZE);
      return 0n;
    }),
    query("bpf_dynptr_is_null", (d) => (d.data === 0n ? 1n : 0n)),
    query("bpf_dynptr_is_rdonly", (d) => (d.data !== 0n && d.rdonly ? 1n : 0n)),
    // __u32: -EINVAL for a null dynptr comes back as its low 32 bits.
    query("bpf_dynptr_size", (d) => (d.data === 0n ? errno(EINVAL) & 0xffffffffn : BigInt(d.size))),
  ];
}
