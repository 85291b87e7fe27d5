// redirect (23) and redirect_map (51) in wasm, the twins of ../redirect.ts for JIT code (see
// ./index.ts for why twins, and jit/lower/packet.ts for when the JIT calls them). They record
// the target in the CPU's run record (vm/runtime/record.ts) exactly as the TypeScript helpers
// do; `record` is that record's address (the start of the CPU's scratch area), `cpu` the running
// CPU. The JIT calls xdp_redirect_map only for a map pointer it knows is one of the machine's
// maps, so, unlike the other twins, these have no slow path.

import { BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP } from "../../../maps/abi";
import { mapType } from "../../../maps/as/header";
import { map_lookup } from "../../../maps/as/index";
import {
  RECORD_SIZE, REC_REDIRECT_FLAGS, REC_REDIRECT_KIND, REC_REDIRECT_MAP, REC_REDIRECT_TARGET, REDIRECT_IFINDEX, REDIRECT_MAP,
  REDIRECT_NONE,
} from "../../../runtime/record-abi";

// vm/helpers/packet/uapi.ts
const XDP_ABORTED: i64 = 0;
const XDP_REDIRECT: i64 = 4;
const TC_ACT_SHOT: i64 = 2;
const TC_ACT_REDIRECT: i64 = 7;
const BPF_F_INGRESS: u64 = 1 << 0;
const BPF_F_BROADCAST: u64 = 1 << 3;
const BPF_F_EXCLUDE_INGRESS: u64 = 1 << 4;
/** The low bits of redirect_map's flags: the verdict when the key has no target (XDP_ABORTED..XDP_TX). */
const ACTION_MASK: u64 = 3;
const DEVMAP_FLAGS = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;

/** vm/runtime/record.ts writeRedirect. */
@inline function writeRedirect(record: u32, kind: u32, target: u32, flags: u32, map: u32): void {
  store<u32>(record + REC_REDIRECT_KIND, kind);
  store<u32>(record + REC_REDIRECT_FLAGS, flags);
  store<u32>(record + REC_REDIRECT_TARGET, target);
  store<u32>(record + REC_REDIRECT_MAP, map);
}

/** bpf_xdp_redirect: any flag → XDP_ABORTED, else XDP_REDIRECT to ifindex. */
export function xdp_redirect(ifindex: u64, flags: u64, record: u32): i64 {
  if (flags != 0) return XDP_ABORTED;
  writeRedirect(record, REDIRECT_IFINDEX, <u32>ifindex, 0, 0);
  return XDP_REDIRECT;
}

/** bpf_redirect for tc: flags other than BPF_F_INGRESS → TC_ACT_SHOT, else TC_ACT_REDIRECT. */
export function tc_redirect(ifindex: u64, flags: u64, record: u32): i64 {
  if (flags & ~BPF_F_INGRESS) return TC_ACT_SHOT;
  writeRedirect(record, REDIRECT_IFINDEX, <u32>ifindex, <u32>flags, 0);
  return TC_ACT_REDIRECT;
}

/**
 * bpf_redirect_map for XDP on the machine's map `map` (../redirect.ts xdpRedirectMap): the key
 * goes to record + RECORD_SIZE for the runtime's lookup, as there.
 */
export function xdp_redirect_map(map: u32, keyReg: u64, flags: u64, record: u32, cpu: u32): i64 {
  const type = mapType(map);
  const slotMap = type == BPF_MAP_TYPE_CPUMAP || type == BPF_MAP_TYPE_XSKMAP;
  if (flags & ~(slotMap ? ACTION_MASK : ACTION_MASK | DEVMAP_FLAGS)) return XDP_ABORTED;
  const key = <u32>keyReg;
  const keyAt = record + RECORD_SIZE;
  store<u64>(keyAt, <u64>key);
  const value = map_lookup(map, keyAt, cpu);
  const found = slotMap ? value != 0 : value != 0 && load<u32>(value) != 0;
  const broadcast = (flags & BPF_F_BROADCAST) != 0;
  if (!found && !broadcast) {
    writeRedirect(record, REDIRECT_NONE, 0, 0, 0);
    return <i64>(flags & ACTION_MASK);
  }
  writeRedirect(record, REDIRECT_MAP, key, broadcast ? <u32>flags : 0, map);
  return XDP_REDIRECT;
}
