// The network devices a machine knows: ifindex → MTU and link-layer header length. Nothing is
// attached to them; they exist so that helpers that ask the kernel about a device (check_mtu,
// net/core/filter.c __dev_via_ifindex → dev_get_by_index_rcu) get an answer, and so that the
// answer can match the kernel's test run. BPF_PROG_TEST_RUN runs a packet on the loopback device
// of the caller's namespace (ifindex 1, MTU 65536, hard_header_len 14 = ETH_HLEN: lo is set up
// as an Ethernet-like device), unless its ctx names another device (xdp_md.ingress_ifindex,
// __sk_buff.ifindex). The default table is that one device; a user adds the devices their
// programs name (an ifindex the table does not hold is "no such device", -ENODEV, as in the
// kernel). The table is plain data so that a pool's workers get the same one.

import { BpfError } from "../../errors.js";

/** One device: what the kernel's struct net_device holds that helpers read. */
export interface Device {
  readonly ifindex: number;
  /** dev->mtu: the largest L3 packet (bytes after the link-layer header). */
  readonly mtu: number;
  /** dev->hard_header_len: the link-layer header (14 for Ethernet and lo). Default 14. */
  readonly hardHeaderLen?: number;
  /** For messages and tools only ("lo", "eth0"). */
  readonly name?: string;
}

/** The loopback device as the kernel's test run sees it on this machine (`ip link`: lo, mtu 65536). */
export const LOOPBACK: Device = { ifindex: 1, mtu: 65536, hardHeaderLen: 14, name: "lo" };

/** ETH_HLEN: what a device without an explicit hardHeaderLen has. */
const ETH_HLEN = 14;

/** A machine's devices by ifindex. */
export class DeviceTable {
  private readonly byIndex = new Map<number, Device>();

  /** `devices` default: the loopback device only (ifindex 1, MTU 65536). */
  constructor(devices: readonly Device[] = [LOOPBACK]) {
    for (const device of devices) this.add(device);
  }

  /** Add or replace a device; a bad ifindex, MTU or header length is a BpfError naming it. */
  add(device: Device): this {
    const { ifindex, mtu } = device;
    const hhl = device.hardHeaderLen ?? ETH_HLEN;
    const what = `device ${device.name ?? ifindex}`;
    // dev->ifindex is a positive int; ifindex 0 means "the packet's own device" to helpers.
    if (!Number.isInteger(ifindex) || ifindex < 1 || ifindex > 0x7fffffff) throw new BpfError(`${what}: ifindex ${ifindex} is not in 1..2^31-1`);
    // dev->mtu is an unsigned int the kernel keeps within [min_mtu, max_mtu] (at most INT_MAX).
    if (!Number.isInteger(mtu) || mtu < 0 || mtu > 0x7fffffff) throw new BpfError(`${what}: mtu ${mtu} is not in 0..2^31-1`);
    // dev->hard_header_len is an unsigned short.
    if (!Number.isInteger(hhl) || hhl < 0 || hhl > 0xffff) throw new BpfError(`${what}: hardHeaderLen ${hhl} is not a u16`);
    this.byIndex.set(ifindex, { ...device, hardHeaderLen: hhl });
    return this;
  }

  /** The device with this ifindex, or undefined (the kernel's "no such device"). */
  get(ifindex: number): Required<Pick<Device, "ifindex" | "mtu" | "hardHeaderLen">> & Device | undefined {
    return this.byIndex.get(ifindex) as (Required<Pick<Device, "ifindex" | "mtu" | "hardHeaderLen">> & Device) | undefined;
  }

  /** Every device, by ifindex: plain data (a machine description for workers). */
  list(): Device[] {
    return [...this.byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  }
}
