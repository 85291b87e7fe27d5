// xdp_get_buff_len (188), xdp_load_bytes (189) and xdp_store_bytes (190) in wasm, the twins of
// ../xdp-bytes.ts for JIT code (./index.ts says why twins). The frame is [data, data_end) and the
// fragment bytes after it, whose length the CPU's run record keeps (../xdp-frags.ts); `record` is
// that record. SLOW (touching nothing) where the TypeScript helper would throw: a ctx, packet or
// buffer outside the memory.

import { REC_XDP_FRAGS, REC_XDP_FRAGS_END } from "../../../runtime/record-abi";
import { SLOW, inMemory } from "./memory";

// vm/helpers/packet/context.ts; vm/helpers/packet/uapi.ts
const XDP_DATA: u32 = 0;
const XDP_DATA_END: u32 = 4;
const EFAULT: i64 = -14;
const EINVAL: i64 = -22;
/** The largest offset and length bpf_xdp_pointer takes. */
const MAX_OFF: u32 = 0xffff;

// The frame of the call (set by xdpBuffer()).
let data: u32 = 0;
let length: u64 = 0;

/** ../xdp-bytes.ts xdpBuffer: the ctx and its packet inside the memory, and the frame's length with fragments. */
function xdpBuffer(ctx: u64, record: u32): bool {
  if (!inMemory(ctx, XDP_DATA_END + 4)) return false;
  data = load<u32>(<usize>ctx + XDP_DATA);
  const end = load<u32>(<usize>ctx + XDP_DATA_END);
  if (!(data <= end && inMemory(data, end - data))) return false;
  const frags = load<u32>(record + REC_XDP_FRAGS);
  length = <u64>(end - data) + (frags != 0 && load<u32>(record + REC_XDP_FRAGS_END) == end ? frags : 0);
  return true;
}

/** BPF_FUNC_xdp_get_buff_len: the linear part and the fragments. */
export function xdp_get_buff_len(ctx: u64, record: u32): i64 {
  return xdpBuffer(ctx, record) ? <i64>length : SLOW;
}

/** bpf_xdp_pointer's checks: where [offset, offset + len) of the frame starts, or its error (< 0). */
function xdpOffset(offsetReg: u64, len: u32): i64 {
  const offset = <u32>offsetReg;
  if (offset > MAX_OFF || len > MAX_OFF) return EFAULT;
  if (<u64>offset + len > length) return EINVAL;
  return <i64>data + offset;
}

/** xdp_load_bytes (frame → buf) and xdp_store_bytes (buf → frame): the same checks, one copy in the helper's direction. */
@inline function xdpCopy(ctx: u64, offsetReg: u64, buf: u64, lenReg: u64, record: u32, load: bool): i64 {
  const len = <u32>lenReg;
  if (!xdpBuffer(ctx, record) || !inMemory(buf, len)) return SLOW;
  const at = xdpOffset(offsetReg, len);
  if (at < 0) return at;
  if (load) memory.copy(<usize>buf, <usize>at, len);
  else memory.copy(<usize>at, <usize>buf, len);
  return 0;
}

/** BPF_FUNC_xdp_load_bytes: len bytes of the frame at offset into buf (left as it was on an error). */
export function xdp_load_bytes(ctx: u64, offsetReg: u64, buf: u64, lenReg: u64, record: u32): i64 {
  return xdpCopy(ctx, offsetReg, buf, lenReg, record, true);
}

/** BPF_FUNC_xdp_store_bytes: len bytes from buf into the frame at offset. */
export function xdp_store_bytes(ctx: u64, offsetReg: u64, buf: u64, lenReg: u64, record: u32): i64 {
  return xdpCopy(ctx, offsetReg, buf, lenReg, record, false);
}
