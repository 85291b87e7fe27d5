// check_mtu (163) against BPF_PROG_TEST_RUN, for XDP and tc, on the interpreter and the JIT:
// every combination of ifindex (0 = the packet's device, lo, the machine's other Ethernet
// devices, ones that do not exist), *mtu_len on entry, len_diff (with garbage above the s32 the
// helper takes) and flags, over packets around the MTUs; on lo (the test run's default device)
// and on another device named by the ctx. r0 and *mtu_len afterwards are written into the packet,
// so the packets compare too. The device model is the machine's own devices, read from
// /sys/class/net (test/helpers/device-runtime.ts).

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { DeviceTable, LOOPBACK } from "../../vm/helpers/packet/devices.js";
import { verify } from "../../vm/verifier/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { BpfError } from "../../vm/errors.js";
import { ENGINES, kernel } from "./harness.js";
import { etherFrame, hex, kernelRuns, ourRuns, sysDevices, sysIfindexes, type DevType } from "./device-runtime.js";

const DATA: Record<DevType, [number, number]> = { xdp: [0, 4], sched_cls: [76, 80] };

/**
 * After the 14-byte Ethernet header: [+0] ifindex u32, [+4] *mtu_len u32, [+8] len_diff u64,
 * [+16] flags u64; the program writes [+24] r0 (u64) and [+32] *mtu_len after; returns r0.
 */
const DRIVER = (type: DevType): string => {
  const [data, end] = DATA[type];
  const reload = `
  ldxw %r7, [%r6+${data}]
  ldxw %r8, [%r6+${end}]
  mov %r1, %r7
  add %r1, 50
  jgt %r1, %r8, short`;
  return `
  mov %r6, %r1
${reload}
  ldxw %r1, [%r7+18]
  stxw [%r10-4], %r1
  ldxw %r2, [%r7+14]
  ldxdw %r4, [%r7+22]
  ldxdw %r5, [%r7+30]
  mov %r1, %r6
  mov %r3, %r10
  add %r3, -4
  call 163
  mov %r9, %r0
${reload}
  stxdw [%r7+38], %r9
  ldxw %r1, [%r10-4]
  stxw [%r7+46], %r1
  mov %r0, %r9
  exit
short:
  mov %r0, 0x77
  exit
`;
};

interface Case {
  readonly ifindex: number;
  readonly mtuIn: number;
  readonly lenDiff: bigint;
  readonly flags: bigint;
  readonly length: number;
}

function packetOf(c: Case): Uint8Array {
  const p = etherFrame(c.length);
  const v = new DataView(p.buffer);
  v.setUint32(14, c.ifindex, true);
  v.setUint32(18, c.mtuIn, true);
  v.setBigUint64(22, BigInt.asUintN(64, c.lenDiff), true);
  v.setBigUint64(30, c.flags, true);
  return p;
}

const devices = sysDevices();
const present = sysIfindexes();
/** ifindexes that name no device here (checked against /sys/class/net). */
const absent = [99, 0x7fffffff, 0x80000000, 0xffffffff].filter((i) => !present.has(i));
const others = devices.filter((d) => d.ifindex !== 1).slice(0, 3);
const eth = devices.find((d) => d.ifindex !== 1 && d.mtu < 9000);

function cases(type: DevType): Case[] {
  const ifindexes = [0, 1, ...others.map((d) => d.ifindex), ...absent];
  const mtus = [0, 1, 1400, 1401, 1500, 65522, 65536, 0x7fffffff, 0xffffffff];
  const diffs = [0n, 1n, -1n, 100n, -100n, 1400n, -1500n, 65536n, 0x7fffffffn, -0x80000000n, 0xdead_0000_0000_0010n];
  const flags = [0n, 1n, 2n, 1n << 32n];
  // Lengths around MTU + 14 of lo and of the devices; XDP also past the linear 3520 bytes.
  const lengths = [64, 1414, 1415, 1514, 1515, 3000, ...(type === "xdp" ? [3600] : [])];
  const out: Case[] = [];
  let k = 0;
  for (const ifindex of ifindexes) for (const mtuIn of mtus) for (const lenDiff of diffs) for (const flag of flags) {
    out.push({ ifindex, mtuIn, lenDiff, flags: flag, length: lengths[k++ % lengths.length]! });
  }
  return out;
}

const label = (c: Case): string => `ifindex ${c.ifindex} mtu_len ${c.mtuIn} len_diff ${c.lenDiff} flags ${c.flags} length ${c.length}`;

async function agree(type: DevType, on: number, skb?: Record<string, number>): Promise<Map<string, number>> {
  const source = DRIVER(type);
  const all = cases(type);
  const packets = all.map(packetOf);
  const want = kernelRuns(type, source, packets, on, skb);
  const codes = new Map<string, number>();
  for (const engine of ENGINES) {
    const got = await ourRuns(type, source, packets, engine, { devices, ifindex: on, ...(skb ? { skb } : {}) });
    all.forEach((c, k) => {
      expect(want[k]!.errno, `kernel refused ${label(c)}`).toBe(0);
      expect(Number(got[k]!.retval & 0xffffffffn), `${engine} on ifindex ${on}: r0 of ${label(c)}`).toBe(want[k]!.retval);
      expect(hex(got[k]!.packet), `${engine} on ifindex ${on}: packet of ${label(c)}`).toBe(hex(want[k]!.data));
    });
  }
  for (const w of want) {
    const r0 = w.retval | 0;
    const name = r0 === -22 ? "EINVAL" : r0 === -19 ? "ENODEV" : r0 === 0 ? "SUCCESS" : r0 === 1 ? "FRAG_NEEDED" : `r0 ${r0}`;
    codes.set(name, (codes.get(name) ?? 0) + 1);
  }
  return codes;
}

describe("check_mtu against the kernel", () => {
  for (const type of ["xdp", "sched_cls"] as const) {
    it.skipIf(!kernel.ok)(`${type}: ifindex, mtu_len, len_diff, flags over packets on lo`, async () => {
      const codes = await agree(type, 1);
      // Every outcome is exercised (and the comparison is not vacuous).
      for (const name of ["SUCCESS", "FRAG_NEEDED", "EINVAL", "ENODEV"]) expect(codes.get(name) ?? 0, `${name}: ${[...codes]}`).toBeGreaterThan(20);
    }, 60_000);

    it.skipIf(!kernel.ok || !eth)(`${type}: the packet's device named by the ctx (${eth ? `${eth.name}, MTU ${eth.mtu}` : "no Ethernet device here"})`, async () => {
      const codes = await agree(type, eth!.ifindex);
      expect(codes.get("FRAG_NEEDED") ?? 0).toBeGreaterThan(20);
    }, 60_000);
  }

  it.skipIf(!kernel.ok || !eth)("sched_cls: a GSO skb (ctx gso_size): over the MTU it passes, with BPF_MTU_CHK_SEGS -EINVAL", async () => {
    const codes = await agree("sched_cls", eth!.ifindex, { gso_size: 100, gso_segs: 2 });
    expect(codes.get("SUCCESS") ?? 0).toBeGreaterThan(20);
  }, 60_000);
});

describe("check_mtu's device model", () => {
  it("defaults to lo (ifindex 1, MTU 65536); refuses bad devices with a BpfError", () => {
    expect(new DeviceTable().list()).toEqual([{ ...LOOPBACK }]);
    expect(createNodeMachine({ type: "xdp" }).devices.get(1)?.mtu).toBe(65536);
    expect(() => new DeviceTable([{ ifindex: 0, mtu: 1500 }])).toThrow(BpfError);
    expect(() => new DeviceTable([{ ifindex: 2, mtu: -1 }])).toThrow(/mtu -1/);
    expect(() => new DeviceTable([{ ifindex: 2, mtu: 1500, hardHeaderLen: 70000 }])).toThrow(/hardHeaderLen/);
  });

  for (const engine of ENGINES) {
    it(`${engine}: a configured device answers by ifindex, an unknown one is -ENODEV, the packet's own device must exist`, async () => {
      const source = DRIVER("sched_cls");
      const mk = (ifindex: number, mtuIn = 0, lenDiff = 0n) => packetOf({ ifindex, mtuIn, lenDiff, flags: 0n, length: 200 });
      const devs = [LOOPBACK, { ifindex: 7, mtu: 150, name: "tun7" }, { ifindex: 8, mtu: 100, hardHeaderLen: 0 }];
      const runs = await ourRuns("sched_cls", source, [mk(7), mk(8), mk(0), mk(9), mk(7, 150), mk(7, 150, 1n), mk(8, 100)], engine, { devices: devs });
      const r0 = runs.map((r) => Number(BigInt.asIntN(64, r.retval)));
      // 200 > 150 + 14; 200 > 100 + 0; lo: 200 <= 65550; 9: none; L3 150 + 14 fits; +1 does not; 100 + 0 fits.
      expect(r0).toEqual([1, 1, 0, -19, 0, 1, 0]);
      expect(runs.map((r) => new DataView(r.packet.buffer, r.packet.byteOffset).getUint32(46, true))).toEqual([150, 100, 65536, 0, 150, 150, 100]);
      // The ctx names ifindex 5, which the machine does not have: a set-up error, named.
      await expect(ourRuns("sched_cls", source, [mk(0)], engine, { devices: devs, ifindex: 5 })).rejects.toThrow(/ifindex 5\) is not in the machine.s device table/);
    });
  }
});

describe("check_mtu's verifier rules (as 6.18 decides them)", () => {
  const call = (setup: string) => `${setup}
  mov %r2, 0
  mov %r4, 0
  mov %r5, 0
  call 163
  exit`;
  /** The verifier's reason for refusing `src`, or "accepted". */
  const verdict = (type: DevType | "socket_filter", src: string): string => {
    const r = verify(assemble(src), { type, helpers: createNodeMachine({ type }).helpers });
    return r.accepted ? "accepted" : r.reason ?? r.message ?? "refused";
  };
  it("takes an aligned u32 on the stack, initialised or not (privileged), in xdp and tc", () => {
    for (const type of ["xdp", "sched_cls"] as const) {
      expect(verdict(type, call("  mov %r3, %r10\n  add %r3, -4"))).toBe("accepted");
      expect(verdict(type, call("  stw [%r10-8], 0\n  mov %r3, %r10\n  add %r3, -8"))).toBe("accepted");
    }
  });
  it("refuses a misaligned pointer, a scalar, a packet pointer, and socket filters", () => {
    expect(verdict("xdp", call("  stdw [%r10-8], 0\n  mov %r3, %r10\n  add %r3, -6"))).toMatch(/misaligned stack access off 0\+-6\+0 size 4/);
    expect(verdict("xdp", call("  mov %r3, 0"))).toMatch(/R3 type=scalar expected=fp/);
    expect(verdict("xdp", call("  ldxw %r3, [%r1+0]\n  ldxw %r4, [%r1+4]\n  mov %r5, %r3\n  add %r5, 4\n  jgt %r5, %r4, +4"))).toMatch(/helper access to the packet is not allowed/);
    expect(verdict("socket_filter", call("  mov %r3, %r10\n  add %r3, -4"))).toMatch(/cannot use helper bpf_check_mtu#163/);
  });
});
