// xdp_adjust_head (44), xdp_adjust_meta (54) and xdp_adjust_tail (65) in wasm, the twins of
// ../xdp-adjust.ts for JIT code (./index.ts says why twins; jit/lower/packet.ts calls them). They
// move the xdp_md's addresses exactly as the TypeScript helpers do, inside the CPU's packet slot,
// whose bounds the JIT passes: `record` is the CPU's run record (its scratch area; the packet
// slot follows it), `slotEnd` the slot's end. SLOW (touching nothing) where the TypeScript helper
// would throw — a ctx outside the memory, a packet outside the slot — and for a frame with
// fragments (adjust_tail's other path, ../xdp-adjust.ts adjustFragsTail).

import { REC_XDP_EXPOSED, REC_XDP_FRAGS, REC_XDP_FRAGS_END } from "../../../runtime/record-abi";
import { SLOW, inMemory } from "./memory";

// vm/helpers/packet/context.ts, uapi.ts, xdp-frags.ts; vm/memory/layout.ts
const XDP_DATA: u32 = 0;
const XDP_DATA_END: u32 = 4;
const XDP_DATA_META: u32 = 8;
const SCRATCH_SIZE: u32 = 256;
const PACKET_HEADROOM: u32 = 256;
const XDP_FRAME_SIZE: i64 = 40;
const XDP_HARD_END: i64 = 3776;
const XDP_META_MAX: i64 = 255;
const ETH_HLEN: i64 = 14;
const EINVAL: i64 = -22;
const EACCES: i64 = -13;
const ENOTSUPP: i64 = -524;

// The buffer of the call, as ../xdp-adjust.ts xdpBuff reads it (set by xdpBuff()).
let ctxAt: usize = 0;
let recordAt: usize = 0;
let data: i64 = 0;
let end: i64 = 0;
let meta: i64 = 0;
let frameEnd: i64 = 0;
let hardEnd: i64 = 0;

/** xdpBuff: the ctx inside the memory and the packet inside the CPU's slot, else false. */
function xdpBuff(ctx: u64, record: u32, slotEnd: u32): bool {
  if (!inMemory(ctx, XDP_DATA_META + 4)) return false;
  ctxAt = <usize>ctx;
  recordAt = <usize>record;
  data = <i64>load<u32>(ctxAt + XDP_DATA);
  end = <i64>load<u32>(ctxAt + XDP_DATA_END);
  meta = <i64>load<u32>(ctxAt + XDP_DATA_META);
  const slot = <i64>(record + SCRATCH_SIZE);
  if (!(slot <= data && data <= end && end <= <i64>slotEnd)) return false;
  frameEnd = slot + XDP_FRAME_SIZE;
  hardEnd = min(<i64>slotEnd, slot + XDP_HARD_END);
  return true;
}

/** xdp_data_meta_unsupported: data_meta = data + 1. */
@inline function metaUnsupported(): bool {
  return meta > data;
}

/** ../xdp-adjust.ts exposeHeadroom: zero the headroom this run exposes for the first time. */
function exposeHeadroom(lowest: i64): void {
  const placed = <i64>(recordAt + SCRATCH_SIZE + PACKET_HEADROOM); // the CPU's packetData
  const mark = load<u32>(recordAt + REC_XDP_EXPOSED);
  const low = mark ? <i64>mark : placed;
  if (lowest >= low) return;
  memory.fill(<usize>lowest, 0, <usize>(low - lowest));
  store<u32>(recordAt + REC_XDP_EXPOSED, <u32>lowest);
}

/** bpf_xdp_adjust_head: data += offset; the metadata moves with it. */
export function xdp_adjust_head(ctx: u64, offsetReg: u64, record: u32, slotEnd: u32): i64 {
  if (!xdpBuff(ctx, record, slotEnd)) return SLOW;
  const offset = <i64><i32>offsetReg;
  const metalen = metaUnsupported() ? 0 : data - meta;
  const next = data + offset;
  if (next < frameEnd + metalen || next > end - ETH_HLEN) return EINVAL;
  exposeHeadroom(next - metalen);
  if (metalen) memory.copy(<usize>(meta + offset), <usize>meta, <usize>metalen);
  store<u32>(ctxAt + XDP_DATA_META, <u32>(meta + offset));
  store<u32>(ctxAt + XDP_DATA, <u32>next);
  return 0;
}

/** bpf_xdp_adjust_meta: data_meta += offset, a multiple of 4 up to 255 bytes before data. */
export function xdp_adjust_meta(ctx: u64, offsetReg: u64, record: u32, slotEnd: u32): i64 {
  if (!xdpBuff(ctx, record, slotEnd)) return SLOW;
  if (metaUnsupported()) return ENOTSUPP;
  const next = meta + <i64><i32>offsetReg;
  if (next < frameEnd || next > data) return EINVAL;
  const metalen = data - next;
  if (metalen & 3 || metalen > XDP_META_MAX) return EACCES;
  exposeHeadroom(next);
  store<u32>(ctxAt + XDP_DATA_META, <u32>next);
  return 0;
}

/** bpf_xdp_adjust_tail of a linear frame: data_end += offset; grown bytes are zeroed. */
export function xdp_adjust_tail(ctx: u64, offsetReg: u64, record: u32, slotEnd: u32): i64 {
  if (!xdpBuff(ctx, record, slotEnd)) return SLOW;
  // xdp-frags.ts xdpFrags: fragments follow this data_end.
  if (load<u32>(record + REC_XDP_FRAGS) != 0 && <i64>load<u32>(record + REC_XDP_FRAGS_END) == end) return SLOW;
  const offset = <i64><i32>offsetReg;
  const next = end + offset;
  if (next > hardEnd || next < data + ETH_HLEN) return EINVAL;
  if (offset > 0) memory.fill(<usize>end, 0, <usize>offset);
  store<u32>(ctxAt + XDP_DATA_END, <u32>next);
  return 0;
}
