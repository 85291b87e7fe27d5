// redirect (23) and redirect_map (51): a program names where its packet should go and returns
// XDP_REDIRECT / TC_ACT_REDIRECT; the kernel keeps the target in a per-CPU bpf_redirect_info
// that xdp_do_redirect / skb_do_redirect consume after the program returns. Ours is the run
// record at the start of the CPU's scratch area (vm/runtime/record.ts, vm/runtime/README.md §2),
// which the runner zeroes before a packet and reads after it:
//   kind 1 (redirect): target = ifindex, flags = BPF_F_INGRESS or 0
//   kind 2 (redirect_map): target = the key, map = the map pointer, flags = the helper's flags
//          when they hold BPF_F_BROADCAST, else 0 (what the kernel keeps in ri->flags)
//
// Maps: the kernel's redirect_map takes a DEVMAP / DEVMAP_HASH / CPUMAP / XSKMAP (the verifier
// refuses others), each with its own map_redirect: DEVMAPs accept BPF_F_BROADCAST and
// BPF_F_EXCLUDE_INGRESS, CPUMAP and XSKMAP no flag besides the fallback action. The slot is found
// with the maps runtime's lookup, which answers 0 for an empty DEVMAP / CPUMAP / XSKMAP slot.
// Unverified code may pass another map (an ARRAY or HASH with 4-byte keys): it is taken as a
// DEVMAP whose value's first u32 is the ifindex, 0 = empty (no device has index 0). The key for
// the lookup is written to scratch + RECORD_SIZE, the part of scratch helpers may use during a call.

import { BpfRuntimeError } from "../../errors.js";
import { BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP, H_TYPE } from "../../maps/abi.js";
import type { Layout } from "../../memory/layout.js";
import { RECORD_SIZE, RedirectKind, writeRedirect } from "../../runtime/record.js";
import type { HelperDef } from "../registry.js";
import { memOf, u32 } from "./memory.js";
import { withTwin } from "./twins.js";
import {
  BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_F_INGRESS, TC_ACT_REDIRECT, TC_ACT_SHOT, XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX,
} from "./uapi.js";

/** The maps runtime's lookup: the value address for the key at `key`, or 0 (MapsExports.map_lookup). */
export type MapLookup = (map: number, key: number, cpu: number) => number;

/** redirect for XDP (bpf_xdp_redirect): any flag → XDP_ABORTED, else XDP_REDIRECT to ifindex. */
export function xdpRedirect(layout: Layout): HelperDef {
  return withTwin({
    id: 23,
    name: "redirect",
    args: ["anything", "anything"],
    ret: "integer",
    impl: (ctx, ifindex, flags) => {
      if (flags !== 0n) return BigInt(XDP_ABORTED);
      writeRedirect(memOf(ctx.memory).view, layout.cpu(ctx.cpu), RedirectKind.IFINDEX, u32(ifindex), 0);
      return BigInt(XDP_REDIRECT);
    },
  }, "xdp_redirect");
}

/**
 * redirect for tc (bpf_redirect): flags other than BPF_F_INGRESS → TC_ACT_SHOT, else
 * TC_ACT_REDIRECT to ifindex (to its ingress with BPF_F_INGRESS).
 */
export function tcRedirect(layout: Layout): HelperDef {
  return withTwin({
    id: 23,
    name: "redirect",
    args: ["anything", "anything"],
    ret: "integer",
    impl: (ctx, ifindex, flags) => {
      if (flags & ~BPF_F_INGRESS) return BigInt(TC_ACT_SHOT);
      writeRedirect(memOf(ctx.memory).view, layout.cpu(ctx.cpu), RedirectKind.IFINDEX, u32(ifindex), Number(flags));
      return BigInt(TC_ACT_REDIRECT);
    },
  }, "tc_redirect");
}

/** The low bits of redirect_map's flags: the verdict when the key is not in the map. */
const ACTION_MASK = BigInt(XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX);
/** The flags a DEVMAP accepts besides the fallback action. */
const DEVMAP_FLAGS = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;

/**
 * cpu_map_redirect / xsk_map_redirect: no flags besides the fallback action (flag_mask 0), and
 * a slot the lookup finds is a target whatever it holds (an XSKMAP socket's queue_id may be 0).
 */
const SLOT_MAPS: ReadonlySet<number> = new Set([BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_XSKMAP]);

/**
 * redirect_map for XDP (__bpf_xdp_redirect_map, with the map type's flag mask): unknown flags →
 * XDP_ABORTED; a key with no target → the record is cleared and the verdict is `flags & 3`
 * (the program's fallback action); otherwise XDP_REDIRECT. BPF_F_BROADCAST (DEVMAPs only)
 * redirects to the whole map whatever the key.
 */
export function xdpRedirectMap(layout: Layout, lookup: MapLookup | undefined): HelperDef {
  const def: HelperDef = {
    id: 51,
    name: "redirect_map",
    args: ["const_map_ptr", "anything", "anything"],
    ret: "integer",
    impl: (ctx, mapReg, keyReg, flags) => {
      const mem = memOf(ctx.memory);
      const map = u32(mapReg);
      const slotMap = lookup !== undefined && mem.valid(map + H_TYPE, 4) && SLOT_MAPS.has(mem.u32(map + H_TYPE));
      if (flags & ~(slotMap ? ACTION_MASK : ACTION_MASK | DEVMAP_FLAGS)) return BigInt(XDP_ABORTED);
      if (!lookup) throw new BpfRuntimeError("redirect_map: this machine has no maps runtime to look the key up in");
      const cpu = layout.cpu(ctx.cpu);
      const key = u32(keyReg); // the map's lookup takes a u32 key
      const keyAt = cpu.scratch + RECORD_SIZE;
      mem.view.setBigUint64(keyAt, BigInt(key), true);
      const value = lookup(map, keyAt, ctx.cpu);
      const found = slotMap ? value !== 0 : value !== 0 && mem.valid(value, 4) && mem.u32(value) !== 0;
      const broadcast = (flags & BPF_F_BROADCAST) !== 0n;
      if (!found && !broadcast) {
        // The kernel clears the state "so that if an eBPF program performs multiple lookups, the
        // last one always takes precedence".
        writeRedirect(mem.view, cpu, RedirectKind.NONE, 0, 0);
        return flags & ACTION_MASK;
      }
      writeRedirect(mem.view, cpu, RedirectKind.MAP, key, broadcast ? Number(flags) : 0, map);
      return BigInt(XDP_REDIRECT);
    },
  };
  // The twin looks the key up in the runtime too: only where this helper has one to call.
  return lookup ? withTwin(def, "xdp_redirect_map") : def;
}
