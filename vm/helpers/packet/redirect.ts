// redirect (23) and redirect_map (51): a program names where its packet should go and returns
// XDP_REDIRECT / TC_ACT_REDIRECT; the kernel keeps the target in a per-CPU bpf_redirect_info
// that xdp_do_redirect / skb_do_redirect consume after the program returns. Ours is the run
// record at the start of the CPU's scratch area (vm/runtime/record.ts, vm/runtime/README.md §2),
// which the runner zeroes before a packet and reads after it:
//   kind 1 (redirect): target = ifindex, flags = BPF_F_INGRESS or 0
//   kind 2 (redirect_map): target = the key, map = the map pointer, flags = the helper's flags
//          when they hold BPF_F_BROADCAST, else 0 (what the kernel keeps in ri->flags)
//
// Maps: the kernel's redirect_map takes a DEVMAP / DEVMAP_HASH / CPUMAP / XSKMAP, which the maps
// runtime does not have. We emulate a DEVMAP with any map the lookup function can search (an
// ARRAY or HASH with 4-byte keys): the value's first u32 is the target ifindex, and a missing
// key or an ifindex of 0 is an empty slot (a devmap slot never holds ifindex 0). The key for the
// lookup is written to scratch + RECORD_SIZE, the part of scratch helpers may use during a call.

import { BpfRuntimeError } from "../../errors.js";
import type { Layout } from "../../memory/layout.js";
import { RECORD_SIZE, RedirectKind, writeRedirect } from "../../runtime/record.js";
import type { HelperDef } from "../registry.js";
import { memOf, u32 } from "./memory.js";
import {
  BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_F_INGRESS, TC_ACT_REDIRECT, TC_ACT_SHOT, XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX,
} from "./uapi.js";

/** The maps runtime's lookup: the value address for the key at `key`, or 0 (MapsExports.map_lookup). */
export type MapLookup = (map: number, key: number, cpu: number) => number;

/** redirect for XDP (bpf_xdp_redirect): any flag → XDP_ABORTED, else XDP_REDIRECT to ifindex. */
export function xdpRedirect(layout: Layout): HelperDef {
  return {
    id: 23,
    name: "redirect",
    args: ["anything", "anything"],
    ret: "integer",
    impl: (ctx, ifindex, flags) => {
      if (flags !== 0n) return BigInt(XDP_ABORTED);
      writeRedirect(memOf(ctx.memory).view, layout.cpu(ctx.cpu), RedirectKind.IFINDEX, u32(ifindex), 0);
      return BigInt(XDP_REDIRECT);
    },
  };
}

/**
 * redirect for tc (bpf_redirect): flags other than BPF_F_INGRESS → TC_ACT_SHOT, else
 * TC_ACT_REDIRECT to ifindex (to its ingress with BPF_F_INGRESS).
 */
export function tcRedirect(layout: Layout): HelperDef {
  return {
    id: 23,
    name: "redirect",
    args: ["anything", "anything"],
    ret: "integer",
    impl: (ctx, ifindex, flags) => {
      if (flags & ~BPF_F_INGRESS) return BigInt(TC_ACT_SHOT);
      writeRedirect(memOf(ctx.memory).view, layout.cpu(ctx.cpu), RedirectKind.IFINDEX, u32(ifindex), Number(flags));
      return BigInt(TC_ACT_REDIRECT);
    },
  };
}

/** The low bits of redirect_map's flags: the verdict when the key is not in the map. */
const ACTION_MASK = BigInt(XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX);
/** The flags a DEVMAP accepts besides the fallback action. */
const DEVMAP_FLAGS = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;

/**
 * redirect_map for XDP (__bpf_xdp_redirect_map, with the DEVMAP flag mask): unknown flags →
 * XDP_ABORTED; a key with no device → the record is cleared and the verdict is `flags & 3`
 * (the program's fallback action); otherwise XDP_REDIRECT. BPF_F_BROADCAST redirects to the
 * whole map whatever the key.
 */
export function xdpRedirectMap(layout: Layout, lookup: MapLookup | undefined): HelperDef {
  return {
    id: 51,
    name: "redirect_map",
    args: ["const_map_ptr", "anything", "anything"],
    ret: "integer",
    impl: (ctx, mapReg, keyReg, flags) => {
      if (flags & ~(ACTION_MASK | DEVMAP_FLAGS)) return BigInt(XDP_ABORTED);
      if (!lookup) throw new BpfRuntimeError("redirect_map: this machine has no maps runtime to look the key up in");
      const mem = memOf(ctx.memory);
      const cpu = layout.cpu(ctx.cpu);
      const map = u32(mapReg);
      const key = u32(keyReg); // __dev_map_lookup_elem takes a u32 key
      const keyAt = cpu.scratch + RECORD_SIZE;
      mem.view.setBigUint64(keyAt, BigInt(key), true);
      const value = lookup(map, keyAt, ctx.cpu);
      const ifindex = value && mem.valid(value, 4) ? mem.u32(value) : 0;
      const broadcast = (flags & BPF_F_BROADCAST) !== 0n;
      if (ifindex === 0 && !broadcast) {
        // The kernel clears the state "so that if an eBPF program performs multiple lookups, the
        // last one always takes precedence".
        writeRedirect(mem.view, cpu, RedirectKind.NONE, 0, 0);
        return flags & ACTION_MASK;
      }
      writeRedirect(mem.view, cpu, RedirectKind.MAP, key, broadcast ? Number(flags) : 0, map);
      return BigInt(XDP_REDIRECT);
    },
  };
}
