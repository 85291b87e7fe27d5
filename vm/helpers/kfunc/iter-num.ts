// The open-coded numeric iterator (kernel/bpf/bpf_iter.c: bpf_iter_num_new / _next / _destroy),
// what libbpf's bpf_for(i, start, end) and bpf_repeat(n) expand to:
//
//   struct bpf_iter_num it;                        8 bytes on the program's stack, opaque
//   bpf_iter_num_new(&it, start, end);             0, or -EINVAL (start > end) / -E2BIG (more than
//                                                  BPF_MAX_LOOPS); the iterator is then empty
//   while ((p = bpf_iter_num_next(&it))) ... *p    start, start + 1, ..., end - 1, then NULL for good
//   bpf_iter_num_destroy(&it);
//
// The state is the kernel's struct bpf_iter_num_kern, { int cur; int end; } (cur = the value
// next() returned last, inclusive; end exclusive), so next() returns the address of `cur` in the
// program's stack slot. Programs cannot read or write the slot (the verifier refuses it), so the
// layout only has to agree with itself; it is the kernel's anyway. The verifier proves r1 is
// such a slot; the engines also run unverified programs, so the address is checked here.

import { NULL_GUARD } from "../../memory/layout.js";
import { E2BIG, EINVAL } from "../packet/uapi.js";
import { MAX_LOOPS } from "../loop.js";
import type { HelperContext } from "../registry.js";
import type { KfuncDef } from "./defs.js";
import { KFUNC_IDS } from "./ids.js";

/** sizeof(struct bpf_iter_num) (vmlinux BTF: one u64 of __opaque, 8-aligned). */
export const ITER_NUM_SIZE = 8;

/** The iterator's address (8-aligned, inside the memory past the null guard), or a thrown error. */
function stateAt(ctx: HelperContext, r1: bigint, name: string): DataView {
  const addr = r1 >= 0n && r1 <= 0xffffffffn ? Number(r1) : -1;
  if (addr < NULL_GUARD || addr + ITER_NUM_SIZE > ctx.memory.buffer.byteLength || addr % 8 !== 0) {
    throw new Error(`${name}: R1 (0x${r1.toString(16)}) is not an 8-byte aligned struct bpf_iter_num in the memory`);
  }
  return new DataView(ctx.memory.buffer, addr, ITER_NUM_SIZE);
}

const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
const CUR = 0;
const END = 4;

function empty(it: DataView): void {
  it.setInt32(CUR, 0, true);
  it.setInt32(END, 0, true);
}

export const iterNumNew: KfuncDef = {
  id: KFUNC_IDS.bpf_iter_num_new!,
  name: "bpf_iter_num_new",
  args: ["anything", "anything", "anything"],
  ret: "integer",
  proto: { params: ["iter", "scalar", "scalar"], ret: "int", iter: { type: "num", size: ITER_NUM_SIZE, role: "new" } },
  impl: (ctx, r1, r2, r3) => {
    const it = stateAt(ctx, r1, "bpf_iter_num_new");
    const start = s32(r2);
    const end = s32(r3);
    // start == end is an empty range (next() gives NULL at once), not an error.
    if (start > end) {
      empty(it);
      return BigInt(-EINVAL);
    }
    if (end - start > MAX_LOOPS) {
      empty(it);
      return BigInt(-E2BIG);
    }
    // next() steps first, so cur starts one below (wrapping at INT_MIN, as the kernel's int does).
    it.setInt32(CUR, start - 1, true);
    it.setInt32(END, end, true);
    return 0n;
  },
};

export const iterNumNext: KfuncDef = {
  id: KFUNC_IDS.bpf_iter_num_next!,
  name: "bpf_iter_num_next",
  args: ["anything"],
  ret: "integer",
  proto: { params: ["iter"], ret: "int_ptr_or_null", iter: { type: "num", size: ITER_NUM_SIZE, role: "next" } },
  impl: (ctx, r1) => {
    const it = stateAt(ctx, r1, "bpf_iter_num_next");
    // cur + 1 in the kernel's int, which wraps (it is built with -fno-strict-overflow): a range
    // from INT_MIN starts at cur = INT_MAX. Done (or never started) is sticky: the state is
    // emptied and every later call gives NULL too.
    const next = (it.getInt32(CUR, true) + 1) | 0;
    if (next >= it.getInt32(END, true)) {
      empty(it);
      return 0n;
    }
    it.setInt32(CUR, next, true);
    return r1;
  },
};

export const iterNumDestroy: KfuncDef = {
  id: KFUNC_IDS.bpf_iter_num_destroy!,
  name: "bpf_iter_num_destroy",
  args: ["anything"],
  ret: "void",
  proto: { params: ["iter"], ret: "void", iter: { type: "num", size: ITER_NUM_SIZE, role: "destroy" } },
  impl: (ctx, r1) => {
    empty(stateAt(ctx, r1, "bpf_iter_num_destroy"));
    return 0n;
  },
};
