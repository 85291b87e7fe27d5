// The network model (vm/net/model.ts) and bpf_fib_lookup's lookup on it (vm/net/fib.ts), by hand:
// a few lookups whose answers are worked out from the kernel's rules, and the model's refusals.
// test/kernel/fib-lookup.test.ts compares thousands of lookups with the kernel's.

import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import { fibLookup } from "../../vm/net/fib.js";
import { AF_INET, AF_INET6, BPF_FIB_LOOKUP_DIRECT, BPF_FIB_LOOKUP_OUTPUT, BPF_FIB_LOOKUP_SKIP_NEIGH, BPF_FIB_LOOKUP_SRC, BPF_FIB_LOOKUP_TBID, FibRet } from "../../vm/net/fib-uapi.js";
import { Network, type NetworkModel } from "../../vm/net/model.js";
import { loadMapsModule } from "../../vm/maps/load.node.js";
import { attachMachine, createMachine, describeMachine } from "../../vm/runtime/machine.js";

const MODEL: NetworkModel = {
  devices: [
    { ifindex: 1, name: "lo", forwarding: true },
    { ifindex: 2, name: "eth0", mac: "02:00:00:00:00:02", addresses: ["10.0.0.1/24", "2001:db8::1/64"], forwarding: true },
    { ifindex: 3, name: "eth1", mac: "02:00:00:00:00:03", mtu: 1400, addresses: ["192.168.1.1/24"], forwarding: false },
  ],
  routes: [
    { dst: "0.0.0.0/0", via: "10.0.0.254" },
    { dst: "172.16.0.0/12", via: "192.168.1.2" },
    { dst: "172.16.9.0/24", type: "prohibit" },
    { dst: "198.51.100.0/24", via: "10.0.0.254", table: 7 },
    { dst: "::/0", via: "2001:db8::fe" },
  ],
  neighbours: [
    { ifindex: 2, ip: "10.0.0.254", mac: "02:ff:00:00:00:fe" },
    { ifindex: 2, ip: "2001:db8::fe", mac: "02:ff:00:00:06:fe" },
  ],
};

const net = new Network(MODEL);

function request(family: number, dst: number[], ifindex: number, totLen = 0, tbid = 0): DataView {
  const p = new DataView(new ArrayBuffer(64));
  p.setUint8(0, family);
  p.setUint16(6, totLen, true);
  p.setUint32(8, ifindex, true);
  new Uint8Array(p.buffer).set(dst, 32);
  p.setUint32(48, tbid, true);
  return p;
}

const bytes = (p: DataView, at: number, n: number): number[] => [...new Uint8Array(p.buffer, at, n)];

describe("bpf_fib_lookup on a network model", () => {
  it("forwards via the default route: next hop, device, MACs, MTU", () => {
    const p = request(AF_INET, [8, 8, 8, 8], 2, 1500);
    expect(fibLookup(net, p, 0, true)).toBe(FibRet.SUCCESS);
    expect(p.getUint32(8, true)).toBe(2);
    expect(bytes(p, 32, 4)).toEqual([10, 0, 0, 254]);
    expect(bytes(p, 58, 6)).toEqual([2, 0xff, 0, 0, 0, 0xfe]); // dmac: the gateway's
    expect(bytes(p, 52, 6)).toEqual([2, 0, 0, 0, 0, 2]); // smac: eth0's
    expect(p.getUint16(6, true)).toBe(1500); // mtu_result
  });

  it("answers FRAG_NEEDED with the MTU and writes nothing else", () => {
    const p = request(AF_INET, [172, 16, 1, 1], 2, 1401);
    expect(fibLookup(net, p, 0, true)).toBe(FibRet.FRAG_NEEDED);
    expect(p.getUint16(6, true)).toBe(1400);
    expect(p.getUint32(8, true)).toBe(2); // ifindex untouched
  });

  it("NO_NEIGH after writing the route's fields; SKIP_NEIGH and SRC", () => {
    const p = request(AF_INET, [172, 16, 1, 1], 2, 0);
    expect(fibLookup(net, p, 0, true)).toBe(FibRet.NO_NEIGH);
    expect(p.getUint32(8, true)).toBe(3);
    expect(bytes(p, 32, 4)).toEqual([192, 168, 1, 2]);
    const q = request(AF_INET, [172, 16, 1, 1], 2, 0);
    expect(fibLookup(net, q, BPF_FIB_LOOKUP_SKIP_NEIGH | BPF_FIB_LOOKUP_SRC, true)).toBe(FibRet.SUCCESS);
    expect(bytes(q, 16, 4)).toEqual([192, 168, 1, 1]);
  });

  it("route types, forwarding, devices, OUTPUT's device filter, TBID", () => {
    expect(fibLookup(net, request(AF_INET, [172, 16, 9, 1], 2), 0, true)).toBe(FibRet.PROHIBIT);
    expect(fibLookup(net, request(AF_INET, [10, 0, 0, 1], 2), 0, true)).toBe(FibRet.NOT_FWDED); // local
    expect(fibLookup(net, request(AF_INET, [10, 0, 0, 255], 2), 0, true)).toBe(FibRet.NOT_FWDED); // broadcast
    expect(fibLookup(net, request(AF_INET, [8, 8, 8, 8], 3), 0, true)).toBe(FibRet.FWD_DISABLED);
    expect(fibLookup(net, request(AF_INET, [8, 8, 8, 8], 9), 0, true)).toBe(-19);
    expect(fibLookup(net, request(7, [8, 8, 8, 8], 2), 0, true)).toBe(-97);
    // OUTPUT from eth1: the default route leaves by eth0, so nothing matches.
    expect(fibLookup(net, request(AF_INET, [8, 8, 8, 8], 3), BPF_FIB_LOOKUP_OUTPUT, true)).toBe(FibRet.FWD_DISABLED);
    expect(fibLookup(net, request(AF_INET, [8, 8, 8, 8], 1), BPF_FIB_LOOKUP_OUTPUT, true)).toBe(FibRet.NOT_FWDED);
    const t = request(AF_INET, [198, 51, 100, 7], 2, 0, 7);
    expect(fibLookup(net, t, BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_TBID, true)).toBe(FibRet.SUCCESS);
    expect(fibLookup(net, request(AF_INET, [198, 51, 100, 7], 2, 0, 8), BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_TBID, true)).toBe(FibRet.NOT_FWDED);
  });

  it("IPv6: link-local destinations are never forwarded; the default route", () => {
    const fe80 = [0xfe, 0x80, ...Array<number>(13).fill(0), 1];
    expect(fibLookup(net, request(AF_INET6, fe80, 99), 0, true)).toBe(FibRet.NOT_FWDED); // before the device check
    const p = request(AF_INET6, [0x26, 0x06, 0x47, 0, ...Array<number>(11).fill(0), 1], 2, 1280);
    expect(fibLookup(net, p, BPF_FIB_LOOKUP_SRC, true)).toBe(FibRet.SUCCESS);
    expect(bytes(p, 32, 16)).toEqual([0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 0xfe]);
    expect(bytes(p, 16, 16)).toEqual([0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 1]);
    expect(p.getUint32(12, true)).toBe(1024); // rt_metric of a user route
  });

  it("refuses a model the kernel would not build", () => {
    const bad = (model: NetworkModel, message: RegExp) => expect(() => new Network(model)).toThrow(message);
    bad({ devices: [{ ifindex: 0 }] }, /ifindex 0 is not in 1\.\.2\^31-1/);
    bad({ devices: [{ ifindex: 2 }, { ifindex: 2 }] }, /two devices with ifindex 2/);
    bad({ devices: [{ ifindex: 2, addresses: ["10.0.0.300/24"] }] }, /'10\.0\.0\.300' is not an IPv4 or IPv6 address/);
    bad({ devices: [{ ifindex: 2, mtu: 1000, addresses: ["2001:db8::1/64"] }] }, /MTU 1000 < 1280/);
    bad({ devices: [{ ifindex: 2, addresses: ["10.0.0.1/24"] }], routes: [{ dst: "10.9.0.0/16", via: "10.1.0.1" }] }, /needs a device/);
    bad({ devices: [{ ifindex: 2, addresses: ["10.0.0.1/24"] }], routes: [{ dst: "10.9.0.0/16", dev: 2 }, { dst: "10.9.0.0/16", dev: 2 }] }, /exists twice/);
    bad({ devices: [{ ifindex: 2, addresses: ["10.0.0.1/24"] }], routes: [{ dst: "10.9.0.0/16", dev: 2, src: "10.0.0.9" }] }, /src 10\.0\.0\.9 is not an address of a device/);
    bad({ devices: [{ ifindex: 2 }], neighbours: [{ ifindex: 3, ip: "10.0.0.2", mac: "02:00:00:00:00:01" }] }, /no device with ifindex 3/);
    bad({ devices: [{ ifindex: 2 }], neighbours: [{ ifindex: 2, ip: "10.0.0.2", mac: "02:00:00:00:01" }] }, /is not a MAC address/);
    expect(() => new Network({ devices: [{ ifindex: 2, mac: "zz" }] })).toThrow(BpfError);
    // Namespace cookies (get_netns_cookie): the kernel's generators start at 1.
    bad({ devices: [], cookie: 0 }, /network\.cookie: 0 is not a namespace cookie/);
    bad({ devices: [], cookie: 5, initCookie: 2 ** 53 }, /network\.initCookie: 9007199254740992 is not a namespace cookie/);
    expect(new Network({ devices: [], cookie: 5 }).initCookie).toBe(5n);
  });

  it("a machine keeps its network for its workers, and check_mtu gets its devices", () => {
    const machine = createMachine({ type: "xdp", mapsModule: loadMapsModule(false), network: MODEL });
    expect(machine.devices.get(3)?.mtu).toBe(1400);
    const description = describeMachine(machine);
    expect(description.network).toEqual(MODEL);
    const copy = attachMachine(description, machine.memory, loadMapsModule(false));
    expect(copy.network).toEqual(MODEL);
  });
});
