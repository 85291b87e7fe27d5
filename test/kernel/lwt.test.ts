// BPF_PROG_TYPE_LWT_IN / LWT_OUT / LWT_XMIT from C (fixtures/lwt_in.c, lwt_out.c, lwt_xmit.c,
// reads in lwt.h): the packet from its network header, the __sk_buff fields an lwt program may
// read and write, the helpers of lwt_out_func_proto, bpf_lwt_push_encap (BPF_LWT_ENCAP_IP, IPv4
// and IPv6 outer headers, and its refusals) from lwt_in, and lwt_xmit's packet-changing helpers.
// Each loads with its section's type, passes our verifier, runs the same on the interpreter and
// the JIT, and agrees with the kernel (BPF_PROG_TEST_RUN through `--engine kernel`): every
// frame's verdict, r0 and bytes, and every map; lwt_clone_redirect.c's clones (the call of the
// kernel's empty_skb selftest) against the kernel in a network namespace with the same devices.
// lwt_seg6local is verified only: the kernel cannot test-run it, and neither engine runs it here.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { loadRunner } from "../../vm/runtime/run.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES } from "../../vm/programs/types.js";
import { SK_BUFF_TC } from "../../vm/programs/skb.js";
import { kernelAvailability } from "./available.js";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { findProgram } from "../../vm/elf/load/index.js";
import { netnsAvailable } from "../../vm/node/kernel/netns.js";
import type { NetworkModel } from "../../vm/net/model.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { fixtureObject, frames, runKernel, runOurs, skbTestRunnable } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const DATA = skbTestRunnable(frames("mix:400:seed=23"));

/** The rets map as "call r0" strings (key: u32 call id, s32 r0). */
const rets = (lines: readonly string[]): Set<string> =>
  new Set(lines.map((l) => Buffer.from(l.split("=")[0]!, "hex")).map((k) => `${k.readUInt32LE(0)}:${k.readInt32LE(4)}`));

/**
 * [object, program, kernel type, its verdicts, helper results it must show (call:r0)]. lwt_in:
 * 10..18 are bpf_lwt_push_encap's variants (lwt_in.c), 0 where the kernel encapsulates.
 * lwt_xmit: 3 store_bytes, 4/5 l3/l4_csum_replace, 6/7 csum_level (change, query), 8
 * set_tunnel_key, 10..16 change_tail (grow, cut), change_head, get_tunnel_key, clone_redirect
 * and push_encap (both refused: no device, bad arguments), get_hash_recalc.
 */
const CASES = [
  ["lwt_out", "lwt_out_prog", 11, ["BPF_OK", "BPF_DROP"], ["1:0", "1:-14", "2:0", "2:-12"]],
  ["lwt_in", "lwt_in_prog", 10, ["BPF_OK", "BPF_DROP", "BPF_LWT_REROUTE"],
    ["10:0", "11:0", "12:0", "16:0", "13:-22", "14:-22", "15:-22", "17:-22", "18:-22"]],
  ["lwt_xmit", "lwt_xmit_prog", 12, ["BPF_OK", "BPF_DROP", "BPF_REDIRECT", "BPF_LWT_REROUTE"],
    ["3:0", "4:0", "5:0", "6:0", "6:-22", "7:0", "7:-13", "8:0", "10:0", "11:0", "12:0", "13:0", "14:-22", "15:-22", "16:1"]],
] as const;

for (const [name, program, kernelType, verdicts, calls] of CASES) {
  describe(`${name}.o (an ${name} program from C)`, () => {
    const obj = fixtureObject(name);

    it(`loads as ${name} and passes our verifier`, () => {
      const p = obj.programs.find((x) => x.name === program)!;
      expect(p.type).toBe(name);
      expect(p.sectionType?.kernelType).toBe(kernelType);
      expect(instantiateObjectNode(obj, undefined).verification.get(program)?.accepted).toBe(true);
    });

    it("the interpreter and the JIT agree, over every verdict and helper result", async () => {
      const interp = await runOurs(obj, "interpreter", DATA);
      expect(await runOurs(obj, "jit", DATA)).toEqual(interp);
      expect(new Set(interp.results.map((r) => r.verdict))).toEqual(new Set(verdicts));
      const seen = rets(interp.maps.rets!);
      for (const c of calls) expect(seen, `${name}: call ${c} (seen: ${[...seen].sort().join(" ")})`).toContain(c);
    });

    it.skipIf(!status.ok)("the kernel agrees: every frame and every map, on both engines", async () => {
      const kernel = runKernel(obj, DATA);
      for (const engine of ["interpreter", "jit"] as const) {
        const ours = await runOurs(obj, engine, DATA);
        ours.results.forEach((r, k) => expect(r, `${engine}, frame ${k} (${DATA[k]!.length} bytes)`).toEqual(kernel.results[k]));
        expect(ours.maps, engine).toEqual(kernel.maps);
      }
    });
  });
}

/**
 * `__sk_buff.sk` from an lwt program: the socket bpf_prog_test_run_skb gives every skb (family and
 * addresses from the IP header after the pulled MAC header), read through bpf_sock's fields.
 * r0 folds family, src/dst IPv4, state and two IPv6 words.
 */
describe("__sk_buff.sk in lwt programs: the test run's socket", () => {
  const READ_SOCKET = `
ldxdw %r2, [%r1+168]
mov %r0, 7
jeq %r2, 0, +12
ldxw %r0, [%r2+4]
lsh %r0, 16
ldxw %r3, [%r2+24]
xor %r0, %r3
ldxw %r3, [%r2+52]
xor %r0, %r3
ldxw %r3, [%r2+72]
xor %r0, %r3
ldxw %r3, [%r2+28]
xor %r0, %r3
ldxw %r3, [%r2+68]
xor %r0, %r3
exit`;
  const insns = assemble(READ_SOCKET);

  for (const type of ["lwt_in", "lwt_out", "lwt_xmit"] as const) {
    it.skipIf(!status.ok)(`${type}: the interpreter and the JIT read what the kernel's socket holds, frame by frame`, async () => {
      const prog = kernelBridge().load(insns, { type: PROGRAM_TYPES[type].kernelType!, name: "lwt_sk" });
      const kernel = prog.testRunMany(DATA, { ctx: new Uint8Array(SK_BUFF_TC.size) }).map((r) => (r.errno ? `errno ${r.errno}` : `${r.retval >>> 0}`));
      prog.close();
      expect(new Set(kernel).size).toBeGreaterThan(50); // addresses differ frame by frame
      for (const engine of ["interpreter", "jit"] as const) {
        const runner = await loadRunner(await getEngine(engine), { insns }, createNodeMachine({ type, cpus: 1 }));
        const ours = runner.runBatch(DATA, { results: true }).results!.map((r) => `${BigInt.asUintN(32, r.retval)}`);
        runner.dispose();
        ours.forEach((r, k) => expect(r, `${engine}, frame ${k}`).toBe(kernel[k]));
      }
    });
  }
});

describe("placing an lwt packet, and what is not run", () => {
  /** r0 = the first byte at data, or 0x100 for an empty packet. */
  const FIRST = `
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r0, 0x100
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, +1
ldxb %r0, [%r2+0]
exit`;

  it("starts data at the network header, for every lwt type that runs", async () => {
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
    frame.set([0x08, 0x00, 0x45], 12);
    for (const type of ["lwt_in", "lwt_out", "lwt_xmit"] as const) {
      const machine = createNodeMachine({ type, cpus: 1 });
      const runner = await loadRunner(await getEngine("jit"), { insns: assemble(FIRST) }, machine);
      const r = runner.run(frame);
      expect(r.retval, type).toBe(0x45n);
      expect(r.packet.length, type).toBe(46);
      expect(runner.field("len"), type).toBe(46);
      expect(runner.field("protocol"), type).toBe(0x0008);
      runner.dispose();
    }
  });

  it("get_hash_recalc dissects from the network header: the same flow hash as tc's over the whole frame", async () => {
    const hashes = async (type: "lwt_out" | "sched_cls"): Promise<bigint[]> => {
      const machine = createNodeMachine({ type, cpus: 1 });
      const runner = await loadRunner(await getEngine("interpreter"), { insns: assemble("call 34\nexit") }, machine);
      const out = DATA.map((f) => runner.run(f).retval);
      runner.dispose();
      return out;
    };
    const lwt = await hashes("lwt_out");
    expect(lwt).toEqual(await hashes("sched_cls"));
    expect(new Set(lwt).size).toBeGreaterThan(50);
  });

  it("lwt_seg6local is verified, not run: no runner starts (BPF_PROG_TEST_RUN answers ENOTSUPP for it)", async () => {
    const machine = createNodeMachine({ type: "lwt_seg6local", cpus: 1 });
    await expect(loadRunner(await getEngine("interpreter"), { insns: assemble("mov %r0, 0\nexit") }, machine)).rejects.toThrow(
      "lwt_seg6local programs are verified here but not run",
    );
  });

  it.skipIf(!status.ok)("the kernel answers ENOTSUPP (524) to a test run of lwt_seg6local", () => {
    const prog = kernelBridge().load(assemble("mov %r0, 0\nexit"), { type: 19, name: "seg6" });
    try {
      expect(() => prog.testRun({ data: DATA[0]! })).toThrow(/524/);
    } finally {
      prog.close();
    }
  });

  it("bpf_lwt_push_encap with BPF_LWT_ENCAP_SEG6 stops the run, saying it is not supported here", async () => {
    const machine = createNodeMachine({ type: "lwt_in", cpus: 1 });
    const push = `
stdw [%r10-40], 0
stdw [%r10-32], 0
stdw [%r10-24], 0
stdw [%r10-16], 0
stdw [%r10-8], 0
mov %r2, 0
mov %r3, %r10
add %r3, -40
mov %r4, 40
call 73
exit`;
    for (const engine of ["interpreter", "jit"] as const) {
      const runner = await loadRunner(await getEngine(engine), { insns: assemble(push) }, machine);
      expect(() => runner.run(DATA[0]!), engine).toThrow("BPF_LWT_ENCAP_SEG6 is not supported here");
      runner.dispose();
    }
  });
});

/**
 * bpf_lwt_push_encap's IPv4 checksum with every ihl: an outer header of 20..60 bytes whose first
 * byte (version 4, ihl 0..15) and checksum (0: the kernel fills it) come from the frame. ihl < 5
 * is taken (len >= ihl * 4), and x86-64's ip_fast_csum then leaves the first word's low 16
 * bits; ihl * 4 > len is -EINVAL. Compared with the kernel byte for byte.
 */
describe("bpf_lwt_push_encap's IPv4 header checksum, ihl 0..15", () => {
  // r2 = ihl from the frame's byte 16 (IP header byte 2), len = 20 + (byte 17 & 3) * 20 (<= 60).
  const PROGRAM = `
mov %r6, %r1
ldxw %r2, [%r6+76]
ldxw %r3, [%r6+80]
mov %r4, %r2
add %r4, 4
mov %r0, 1
jgt %r4, %r3, out
ldxb %r7, [%r2+2]
ldxb %r8, [%r2+3]
and %r7, 15
or %r7, 0x40
and %r8, 3
mul %r8, 20
add %r8, 20
stdw [%r10-64], 0x11223344
stdw [%r10-56], 0x55667788
stdw [%r10-48], 0x99aabbcc
stdw [%r10-40], 0x01020304
stdw [%r10-32], 0x06070809
stdw [%r10-24], 0x11121314
stdw [%r10-16], 0x16171819
stdw [%r10-8], 0x21222324
stxb [%r10-64], %r7
sth [%r10-54], 0
mov %r1, %r6
mov %r2, 2
mov %r3, %r10
add %r3, -64
mov %r4, %r8
jgt %r4, 60, out
jlt %r4, 20, out
call 73
out:
exit`;
  const data = skbTestRunnable(frames("mix:300:seed=41")).filter((f) => f.length >= 18);

  it.skipIf(!status.ok)("our header and checksum are the kernel's, and so is every refusal", async () => {
    const insns = assemble(PROGRAM);
    const prog = kernelBridge().load(insns, { type: 10, name: "encap" });
    let kernel: Array<{ retval: number; packet: string }>;
    try {
      kernel = prog.testRunMany(data, { dataOutExtra: 512 }).map((r) => ({ retval: r.retval, packet: Buffer.from(r.data.subarray(14)).toString("hex") }));
    } finally {
      prog.close();
    }
    for (const engine of ["interpreter", "jit"] as const) {
      const runner = await loadRunner(await getEngine(engine), { insns }, createNodeMachine({ type: "lwt_in", cpus: 1 }));
      const ours = data.map((f) => {
        const r = runner.run(f);
        return { retval: Number(r.retval & 0xffffffffn), packet: Buffer.from(r.packet).toString("hex") };
      });
      runner.dispose();
      expect(ours, engine).toEqual(kernel);
    }
    // Encapsulated with small ihls (some <= 4), refused for large ones; 1: a frame too short to read.
    expect(new Set(kernel.map((k) => k.retval))).toEqual(new Set([0, 0xffffffea, 1]));
    expect(kernel.some((k) => k.retval === 0 && /^4[0-4]/.test(k.packet))).toBe(true);
  });
});

/**
 * fixtures/lwt_clone_redirect.c, the call of the kernel's empty_skb selftest: clones of the L3
 * skb to the network's devices, in a namespace built from the same model for the kernel (as
 * test/kernel/clone-redirect.test.ts does for tc). 14-byte frames make empty skbs: -ERANGE.
 */
describe("bpf_clone_redirect from lwt_xmit (lwt_clone_redirect.o)", () => {
  const NET: NetworkModel = {
    devices: [
      { ifindex: 1, name: "lo", mtu: 65536 },
      { ifindex: 2, name: "v0", mtu: 1500 },
      { ifindex: 3, name: "v1", mtu: 9000 },
    ],
  };
  const netns = status.ok ? netnsAvailable(NET) : { ok: false, reason: status.reason };
  if (!netns.ok) console.log(`kernel comparison skipped: ${netns.reason}`);
  const obj = fixtureObject("lwt_clone_redirect");
  /** Empty skbs: 14-byte frames (ARP's EtherType: no IP header the test run would want). */
  const empty = Array.from({ length: 16 }, (_, i) => Uint8Array.from({ length: 14 }, (_, k) => (k === 12 ? 0x08 : k === 13 ? 0x06 : i + k)));
  const data = [...DATA, ...empty];
  const EINVAL = 0xffffffea;
  const ERANGE = 0xffffffde;
  /** The rule: flags > 1 or no device → -EINVAL; an empty skb → -ERANGE; else 0 and a clone. */
  const expected = (f: Uint8Array): { retval: number; clones: number } => {
    const len = f.length - 14;
    const ifindex = [2, 3, 99, 0][len & 3]!;
    if (((len >> 2) & 3) > 1 || ifindex > 3 || ifindex === 0) return { retval: EINVAL, clones: 0 };
    return len === 0 ? { retval: ERANGE, clones: 0 } : { retval: 0, clones: 1 };
  };

  it("returns 0 and counts a clone for a device, -EINVAL for none or bad flags, -ERANGE for an empty skb, on both engines", async () => {
    const want = data.map(expected);
    expect(new Set(want.map((w) => w.retval))).toEqual(new Set([0, EINVAL, ERANGE]));
    for (const engine of ["interpreter", "jit"] as const) {
      const loaded = instantiateObjectNode(obj, undefined, { network: NET });
      const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine));
      try {
        const got = runner.runBatch(data, { results: true }).results!.map((r) => ({ retval: Number(r.retval & 0xffffffffn), clones: r.clones ?? 0 }));
        expect(got, engine).toEqual(want);
      } finally {
        runner.dispose();
      }
    }
  });

  it.skipIf(!netns.ok)("the kernel, in a namespace with the same devices, returns the same r0 for every frame", () => {
    const packets = data.map((d) => ({ data: d, ts: 0n, origLen: d.length, linkType: 1, iface: 0 }));
    const report = runInKernel(obj, findProgram(obj), packets, [], { verify: true, results: true, network: NET });
    expect(report.results!.map((r) => Number(r.retval & 0xffffffffn))).toEqual(data.map((f) => expected(f).retval));
  });
});
