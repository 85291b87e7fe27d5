// Runs for the device and tunnel helper tests (check_mtu, skb_*_tunnel_*): the same assembly on
// the kernel (BPF_PROG_TEST_RUN, optionally with a ctx_in naming the device) and on the runtime's
// PacketRunner (the machine's DeviceTable, the runner's ifindex option), on each engine.

import { readdirSync, readFileSync } from "node:fs";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import type { Device } from "../../vm/helpers/packet/devices.js";
import { kernelBridge, ProgType, type PacketResult } from "../../vm/node/kernel/engine.js";
import { ctxField, SK_BUFF_TC, XDP_MD } from "../../vm/programs/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import type { EngineName } from "./harness.js";

export type DevType = "xdp" | "sched_cls";

/** What one run left: r0 (u64) and the packet. */
export interface Run {
  readonly retval: bigint;
  readonly packet: Uint8Array;
}

/**
 * The machine's Ethernet and loopback devices from /sys/class/net (their hard_header_len is
 * ETH_HLEN, as devices.ts assumes): the device model a test needs to agree with the kernel on
 * every ifindex it names.
 */
export function sysDevices(): Device[] {
  const devices: Device[] = [];
  let names: string[] = [];
  try {
    names = readdirSync("/sys/class/net");
  } catch {
    return devices;
  }
  for (const name of names) {
    try {
      const read = (f: string): number => Number(readFileSync(`/sys/class/net/${name}/${f}`, "utf8").trim());
      const type = read("type");
      if (type === 1 || type === 772) devices.push({ ifindex: read("ifindex"), mtu: read("mtu"), name });
    } catch {
      // a device that went away while we read it: not in the model
    }
  }
  return devices;
}

/** Every ifindex /sys/class/net lists, whatever its type (ifindexes a test may call absent must not be here). */
export function sysIfindexes(): Set<number> {
  try {
    return new Set(readdirSync("/sys/class/net").map((n) => Number(readFileSync(`/sys/class/net/${n}/ifindex`, "utf8").trim())));
  } catch {
    return new Set();
  }
}

/** __sk_buff fields a test sets in both runs (gso_size, gso_segs): the kernel's ctx_in, our runner's `skb` option. */
export type SkbFields = Readonly<Record<string, number>>;

/**
 * A ctx_in for the kernel naming the packet's device (xdp_md.ingress_ifindex / __sk_buff.ifindex)
 * and setting `skb` fields.
 */
export function ctxFor(type: DevType, ifindex: number, skb: SkbFields = {}): Uint8Array {
  const layout = type === "xdp" ? XDP_MD : SK_BUFF_TC;
  const ctx = new Uint8Array(layout.size);
  const view = new DataView(ctx.buffer);
  view.setUint32(ctxField(layout, type === "xdp" ? "ingress_ifindex" : "ifindex").offset, ifindex, true);
  for (const [name, value] of Object.entries(skb)) view.setUint32(ctxField(layout, name).offset, value, true);
  return ctx;
}

/** The kernel's runs (a ctx_in naming `ifindex` when it is not lo, or when `skb` sets fields). */
export function kernelRuns(type: DevType, source: string, packets: readonly Uint8Array[], ifindex = 1, skb: SkbFields = {}): PacketResult[] {
  const prog = kernelBridge().load(assemble(source), { type: type === "xdp" ? ProgType.XDP : ProgType.SCHED_CLS, name: "h3_dev" });
  try {
    return prog.testRunMany(packets, ifindex === 1 && Object.keys(skb).length === 0 ? {} : { ctx: ctxFor(type, ifindex, skb) });
  } finally {
    prog.close();
  }
}

/** Our runs on one engine: a machine with `devices`, packets on `ifindex`. */
export async function ourRuns(type: DevType, source: string, packets: readonly Uint8Array[], engine: EngineName, options: { devices?: readonly Device[]; ifindex?: number; skb?: SkbFields } = {}): Promise<Run[]> {
  const machine = createNodeMachine({ type, cpus: 1, packetMax: 8192, ...(options.devices ? { devices: options.devices } : {}) });
  const prog = await (await getEngine(engine)).load({ insns: assemble(source), name: "h3_dev" }, machine);
  try {
    const runner = new PacketRunner(machine, prog, { ifindex: options.ifindex ?? 1, ...(options.skb ? { skb: options.skb } : {}) });
    return packets.map((p) => {
      const r = runner.run(p);
      return { retval: r.retval, packet: r.packet };
    });
  } finally {
    prog.dispose();
  }
}

/** The frame every test packet starts with: 14 bytes of Ethernet, an EtherType nothing parses. */
export function etherFrame(length: number): Uint8Array {
  const f = new Uint8Array(length);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5]);
  return f;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
