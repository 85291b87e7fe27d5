// The socket and cgroup helpers of skb programs (vm/helpers/packet/skb-socket.ts, skb-cgroup.ts,
// route-realm.ts, and skb_ecn_set_ce for tc): get_socket_cookie, get_socket_uid, skb_cgroup_id,
// skb_ancestor_cgroup_id, sk_cgroup_id, sk_ancestor_cgroup_id, get_cgroup_classid,
// get_route_realm. Where the kernel's answer is the test-running process's (its cgroup ids and
// net_cls classid), our machine is configured with what this process really has
// (vm/node/host-cgroup.ts) and must then agree with BPF_PROG_TEST_RUN on the interpreter and the
// JIT. The cookie is a count the whole system shares, so only its properties are compared: never
// 0, the same for a run's two calls, larger run after run.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { BpfError } from "../../vm/errors.js";
import { getEngine } from "../../vm/engines.js";
import { checkCgroup, type CgroupModel } from "../../vm/helpers/packet/index.js";
import { kernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { loadRunner } from "../../vm/runtime/run.js";
import { verify } from "../../vm/verifier/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import { hostCgroupFor, kernelRefusal } from "../kernel/available.js";
import { ENGINES, expectKernelAgreement, kernel, kernelRunMany, load, makeRig, runPacket, type NetType } from "./harness.js";

afterAll(() => {
  if (kernel.ok) kernelBridge().close();
});

/** This process's cgroup, which the kernel's test runs report (undefined: why not, printed). */
const HOST = hostCgroupFor("skb-ids.test.ts", kernel);
/** The kernel comparisons run: bpf() works and this process's cgroup is known. */
const COMPARE = HOST !== undefined;
const DEEP: CgroupModel = { path: [1, 77, 4242], classid: 0x10002 };

/** IPv4 / UDP frames with each ECN codepoint, an IPv6 one, one VLAN-tagged, an ARP one. */
function frames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let ecn = 0; ecn < 4; ecn++) {
    const f = new Uint8Array(60);
    f.set([0x08, 0x00], 12);
    f.set([0x45, ecn, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
    // A valid header checksum, so the incremental update has something to keep right.
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (f[14 + i]! << 8) | f[15 + i]!;
    sum = (sum & 0xffff) + (sum >>> 16);
    const csum = ~sum & 0xffff;
    f.set([csum >> 8, csum & 0xff], 24);
    out.push(f);
  }
  const v6 = new Uint8Array(80);
  v6.set([0x86, 0xdd], 12);
  v6.set([0x60 | 0, 0x20, 0, 0, 0, 26, 17, 64], 14); // traffic class ECT(0)
  v6[14 + 23] = 1;
  v6[14 + 39] = 2;
  out.push(v6);
  const tagged = new Uint8Array(64);
  tagged.set([0x81, 0x00, 0x00, 0x05, 0x08, 0x00], 12);
  tagged.set([0x45, 2, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 18);
  out.push(tagged);
  const arp = new Uint8Array(60);
  arp.set([0x08, 0x06], 12);
  out.push(arp);
  return out;
}
const FRAMES = frames();

/** r0 = the helper's result, or its high half. */
const call = (setup: string, id: number, high: boolean): string => `${setup}\ncall ${id}\n${high ? "rsh %r0, 32\n" : ""}exit`;
/** The levels skb_ancestor_cgroup_id is asked for: in range, past the cgroup, negative, and past 32 bits (an int). */
const LEVELS = ["0", "1", "2", "3", "-1", "0x7fffffff", "0x100000001", "0x100000000"];
const level = (l: string): string => (l.startsWith("0x1") && l.length > 10 ? `lddw %r2, ${l}` : `mov %r2, ${l}`);

/** get_socket_cookie twice: r0 bit 0 = the first is not 0, bit 1 = both are the same. */
const COOKIE_FLAGS = `
mov %r6, %r1
call 46
mov %r7, %r0
mov %r1, %r6
call 46
mov %r8, 0
jeq %r7, 0, +1
or %r8, 1
jne %r7, %r0, +1
or %r8, 2
mov %r0, %r8
exit`;

describe("the cgroup model", () => {
  it("defaults to the root cgroup and classid 0, and refuses bad paths and classids by name", () => {
    expect(checkCgroup(undefined)).toEqual({ path: [1n], classid: 0 });
    expect(checkCgroup({ path: [1, 5, 9], classid: 7 })).toEqual({ path: [1n, 5n, 9n], classid: 7 });
    const bad: Array<[CgroupModel, RegExp]> = [
      [{ path: [] }, /cgroup.path: expected the cgroup ids/],
      [{ path: [2, 5] }, /cgroup.path\[0\]: 2 is not the root cgroup's id/],
      [{ path: [1, 0] }, /cgroup.path\[1\]: 0 is not a cgroup id/],
      [{ path: [1, 1.5] }, /cgroup.path\[1\]: 1.5 is not a cgroup id/],
      [{ path: [1, 5, 5] }, /names a cgroup twice/],
      [{ classid: -1 }, /cgroup.classid: -1 is not a u32/],
    ];
    for (const [model, message] of bad) expect(() => checkCgroup(model), JSON.stringify(model)).toThrow(message);
    expect(() => createNodeMachine({ type: "sched_cls", cgroup: { path: [3] } })).toThrow(BpfError);
  });

  it.skipIf(!COMPARE)("this process's cgroup reads as ids from the root (1) down", () => {
    if (!HOST) return;
    expect(HOST.path![0]).toBe(1);
    expect(HOST.path!.every((id) => Number.isSafeInteger(id) && id >= 1)).toBe(true);
    expect(Number.isInteger(HOST.classid)).toBe(true);
  });
});

describe("our values, from the model (no kernel)", () => {
  it("sched_cls: the cgroup, its ancestors level by level (int levels), the classid; uid and realm 0", async () => {
    for (const engine of ENGINES) {
      const rig = makeRig("sched_cls", { cgroup: DEEP });
      const run = async (src: string): Promise<bigint> => {
        const prog = await load(rig, src, engine);
        const r = runPacket(rig, prog, FRAMES[0]!).r0;
        prog.dispose();
        return r;
      };
      expect(await run("call 79\nexit"), engine).toBe(4242n);
      const ancestors: bigint[] = [];
      for (const l of LEVELS) ancestors.push(await run(`${level(l)}\ncall 83\nexit`));
      expect(ancestors, engine).toEqual([1n, 77n, 4242n, 0n, 0n, 0n, 77n, 1n]);
      expect(await run("call 17\nexit"), engine).toBe(0x10002n);
      expect(await run("call 47\nexit"), engine).toBe(0n);
      expect(await run("call 24\nexit"), engine).toBe(0n);
    }
  });

  it("socket cookies: one per run, made on the first call; per CPU n * cpus + cpu + 1", async () => {
    for (const engine of ENGINES) {
      const rig = makeRig("socket_filter", { cpus: 2 });
      const prog = await load(rig, "mov %r6, %r1\ncall 46\nmov %r1, %r6\ncall 46\nexit", engine);
      const cookies = [0, 0, 1, 0, 1].map((cpu) => runPacket(rig, prog, FRAMES[0]!, cpu).r0);
      expect(cookies, engine).toEqual([1n, 3n, 2n, 5n, 4n]);
      // A program that never asks makes none: the next run's cookie is the next number.
      const none = await load(rig, "mov %r0, 0\nexit", engine);
      runPacket(rig, none, FRAMES[0]!, 0);
      expect(runPacket(rig, prog, FRAMES[0]!, 0).r0, engine).toBe(7n);
      none.dispose();
      prog.dispose();
    }
  });
});

describe.skipIf(!COMPARE)("the kernel agrees (BPF_PROG_TEST_RUN from this process)", () => {
  /**
   * The kernel's retval = r0 on every engine; for sched_cls the frames too (expectKernelAgreement).
   * A socket filter's data_out is not comparable with the rig's packet (skb-linear.test.ts).
   */
  async function agree(type: NetType, source: string): Promise<number[]> {
    if (type !== "socket_filter") return (await expectKernelAgreement(type, source, FRAMES, (k) => `frame ${k}`, { cgroup: HOST! })).map((w) => w.retval);
    const want = kernelRunMany(type, source, FRAMES);
    for (const engine of ENGINES) {
      const rig = makeRig(type, { cgroup: HOST! });
      const prog = await load(rig, source, engine);
      FRAMES.forEach((f, k) => {
        expect(want[k]!.errno, `kernel refused frame ${k}`).toBe(0);
        expect(Number(runPacket(rig, prog, f).r0 & 0xffffffffn), `${engine}, frame ${k}`).toBe(want[k]!.retval);
      });
      prog.dispose();
    }
    return want.map((w) => w.retval);
  }

  it("sched_cls: skb_cgroup_id, skb_ancestor_cgroup_id at every level, get_cgroup_classid, get_route_realm, get_socket_uid", async () => {
    let runs = 0;
    for (const high of [false, true]) {
      for (const src of [call("", 79, high), ...LEVELS.map((l) => call(level(l), 83, high)), call("", 17, high), call("", 24, high), call("", 47, high)]) {
        await agree("sched_cls", src);
        runs++;
      }
    }
    expect(runs).toBe(2 * (LEVELS.length + 4));
  });

  it("sched_cls: skb_ecn_set_ce marks the frames, checksum and all (skb->protocol set as the test run sets it)", async () => {
    const src = "call 97\nexit";
    const want = kernelRunMany("sched_cls", src, FRAMES);
    // Not-ECT, ECT(1), ECT(0), CE, IPv6 ECT(0), tagged ECT(0) (its tag in the data), ARP.
    expect(want.map((w) => w.retval)).toEqual([0, 1, 1, 1, 1, 1, 0]);
    for (const engine of ENGINES) {
      const machine = createNodeMachine({ type: "sched_cls", cpus: 1 });
      const runner = await loadRunner(await getEngine(engine), { insns: assemble(src) }, machine);
      FRAMES.forEach((f, k) => {
        const r = runner.run(f);
        expect(Number(r.retval), `${engine}, frame ${k}`).toBe(want[k]!.retval);
        expect(r.packet, `${engine}, frame ${k}`).toEqual(want[k]!.data);
      });
      runner.dispose();
    }
  });

  it("socket_filter and sched_cls: the cookie is never 0 and the same within a run; uid 0; classid", async () => {
    for (const type of ["socket_filter", "sched_cls"] as const) {
      const want = await agree(type, COOKIE_FLAGS);
      expect(want.every((r) => r === 3), type).toBe(true);
      await agree(type, "call 47\nexit");
      await agree(type, type === "socket_filter" ? "mov %r1, 0\ncall 17\nexit" : "call 17\nexit");
    }
  });

  it("the cookie grows run after run, in the kernel and here", async () => {
    const src = "call 46\nexit";
    const increasing = (xs: readonly number[]): boolean => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
    const theirs = kernelRunMany("sched_cls", src, FRAMES).map((r) => r.retval);
    expect(increasing(theirs), `kernel: ${theirs}`).toBe(true);
    for (const engine of ENGINES) {
      const rig = makeRig("sched_cls");
      const prog = await load(rig, src, engine);
      const ours = FRAMES.map((f) => Number(runPacket(rig, prog, f).r0));
      expect(increasing(ours), `${engine}: ${ours}`).toBe(true);
      prog.dispose();
    }
  });
});

// ---- cgroup_skb: every helper into an array map, the kernel's run and ours compared ---------

/** Slot k of the map's one value gets result k (u64 each). */
const CG_RESULTS = [
  "mov %r1, %r6\ncall 79", // skb_cgroup_id
  ...LEVELS.map((l) => `mov %r1, %r6\n${level(l)}\ncall 83`), // skb_ancestor_cgroup_id
  "ldxdw %r1, [%r6+168]\nmov %r0, 0x7777\njeq %r1, 0, +1\ncall 128", // sk_cgroup_id(__sk_buff.sk)
  ...LEVELS.map((l) => `ldxdw %r1, [%r6+168]\nmov %r0, 0x7777\njeq %r1, 0, +${l.length > 10 ? 3 : 2}\n${level(l)}\ncall 129`),
  "call 17", // get_cgroup_classid (no argument)
  "mov %r1, %r6\ncall 47", // get_socket_uid
  `mov %r1, %r6\n${COOKIE_FLAGS.replace("mov %r6, %r1\n", "").replace(/\nexit$/, "")}`, // cookie flags
  "mov %r1, %r6\ncall 97", // skb_ecn_set_ce
];
/** Where each result is in the value (slot numbers). */
const SLOT = { skb: 0, sk: LEVELS.length + 1, classid: 2 * LEVELS.length + 2, ecn: 2 * LEVELS.length + 5 };
const CG_VALUE = CG_RESULTS.length * 8;
const CG_SOURCE = [
  "mov %r6, %r1",
  "stw [%r10-4], 0",
  "lddw %r1, map_fd 0",
  "mov %r2, %r10",
  "add %r2, -4",
  "call 1",
  "jne %r0, 0, +2",
  "mov %r0, 1",
  "exit",
  "stxdw [%r10-16], %r0",
  ...CG_RESULTS.flatMap((body, k) => [body, "ldxdw %r9, [%r10-16]", `stxdw [%r9+${k * 8}], %r0`]),
  "mov %r0, 1",
  "exit",
].join("\n");
const CG_MAP = { type: 2, keySize: 4, valueSize: CG_VALUE, maxEntries: 1 } as const;
const u64s = (b: Uint8Array): bigint[] => Array.from({ length: b.length / 8 }, (_, i) => new DataView(b.buffer, b.byteOffset).getBigUint64(i * 8, true));

async function cgroupSkbOurs(engine: (typeof ENGINES)[number], cgroup: CgroupModel): Promise<bigint[][]> {
  const machine = createNodeMachine({ type: "cgroup_skb", cpus: 1, cgroup, maps: [{ name: "out", ...CG_MAP, type: "array" }] });
  const runner = await loadRunner(await getEngine(engine), { insns: assemble(CG_SOURCE) }, machine);
  const out = FRAMES.map((f) => {
    expect(runner.run(f).retval).toBe(1n);
    return u64s(machine.maps.keyed("out").lookup(new Uint8Array(4))!);
  });
  runner.dispose();
  return out;
}

describe("cgroup_skb", () => {
  it("our values from the model, the same on the interpreter and the JIT", async () => {
    const interp = await cgroupSkbOurs("interpreter", DEEP);
    expect(await cgroupSkbOurs("jit", DEEP)).toEqual(interp);
    const first = interp[0]!;
    const ids = [4242n, 1n, 77n, 4242n, 0n, 0n, 0n, 77n, 1n];
    expect(first.slice(SLOT.skb, SLOT.skb + ids.length)).toEqual(ids);
    expect(first.slice(SLOT.sk, SLOT.sk + ids.length)).toEqual(ids);
    expect(first.slice(SLOT.classid, SLOT.classid + 3)).toEqual([0x10002n, 0n, 3n]);
    // The tagged frame's network header is its tag (no VLAN offload): not IP, as in the kernel.
    expect(interp.map((r) => r[SLOT.ecn])).toEqual([0n, 1n, 1n, 1n, 1n, 0n, 0n]);
  });

  it.skipIf(!COMPARE)("the kernel agrees, frame by frame, with this process's cgroup", async () => {
    const prog = kernelBridge().load(assemble(CG_SOURCE), { type: ProgType.CGROUP_SKB, expectedAttachType: 0, name: "skb_ids", maps: [CG_MAP] });
    let theirs: bigint[][];
    try {
      theirs = FRAMES.map((f) => {
        const [r] = prog.testRunMany([f]);
        expect(r!.errno).toBe(0);
        expect(r!.retval).toBe(1);
        return u64s(prog.maps[0]!.lookup(new Uint8Array(4))!);
      });
    } finally {
      prog.close();
    }
    expect(theirs.map((r) => r[SLOT.classid + 2])).toEqual(FRAMES.map(() => 3n));
    expect(theirs[0]![SLOT.skb]).toBe(BigInt(HOST!.path![HOST!.path!.length - 1]!));
    for (const engine of ENGINES) expect(await cgroupSkbOurs(engine, HOST!), engine).toEqual(theirs);
  });
});

// ---- who may call what: our verifier and the kernel's, type by type -------------------------

const TYPES: ReadonlyArray<[ProgramTypeName, number, number?]> = [
  ["socket_filter", ProgType.SOCKET_FILTER],
  ["sched_cls", ProgType.SCHED_CLS],
  ["cgroup_skb", ProgType.CGROUP_SKB, 0],
  ["xdp", ProgType.XDP],
  ["lwt_in", ProgType.LWT_IN],
  ["lwt_out", ProgType.LWT_OUT],
  ["lwt_xmit", ProgType.LWT_XMIT],
];
/** Each helper called as its proto wants it (the socket ones with __sk_buff.sk, checked or not). */
const CALLS: ReadonlyArray<[string, string]> = [
  ["17 (ctx)", "call 17"],
  ["17 (no argument)", "mov %r1, 0\ncall 17"],
  ["24", "call 24"],
  ["46", "call 46"],
  ["47", "call 47"],
  ["79", "call 79"],
  ["83", "mov %r2, 1\ncall 83"],
  ["97", "call 97"],
  ["128", "ldxdw %r1, [%r1+168]\njeq %r1, 0, +1\ncall 128"],
  ["128 unchecked", "ldxdw %r1, [%r1+168]\ncall 128"],
  ["129", "ldxdw %r1, [%r1+168]\njeq %r1, 0, +2\nmov %r2, 0\ncall 129"],
];

const tables = nodeHelperTables();

describe.skipIf(!kernel.ok)("which types may call them: our verifier and the kernel's decide alike", () => {
  for (const [type, kernelType, attach] of TYPES) {
    it(type, () => {
      let accepted = 0;
      for (const [what, body] of CALLS) {
        // xdp and lwt have no __sk_buff.sk: only the calls that do not read it.
        if (/168/.test(body) && type !== "cgroup_skb" && type !== "sched_cls" && type !== "socket_filter") continue;
        const insns = assemble(`${body}\nmov %r0, 0\nexit`);
        const ours = verify(insns, { type, helpers: tables(type) });
        const theirs = kernelRefusal(insns, { type: kernelType, ...(attach !== undefined ? { expectedAttachType: attach } : {}), name: "skb_ids" });
        expect(ours.accepted, `${type} ${what}: ours '${ours.accepted ? "accepted" : ours.message}', kernel '${theirs ?? "accepted"}'`).toBe(theirs === undefined);
        if (ours.accepted) accepted++;
      }
      expect(accepted).toBeGreaterThan(0);
    });
  }
});

// ---- lwt: get_cgroup_classid (the skb's) and get_route_realm --------------------------------

describe.skipIf(!COMPARE)("lwt_in, lwt_out, lwt_xmit: the kernel agrees", () => {
  /** r0 = classid + realm << 32, low and high halves by two programs. */
  const source = (high: boolean): string => `
mov %r6, %r1
call 17
mov %r7, %r0
mov %r1, %r6
call 24
lsh %r0, 32
or %r0, %r7
${high ? "rsh %r0, 32\n" : ""}exit`;
  for (const [type, kernelType] of [["lwt_in", ProgType.LWT_IN], ["lwt_out", ProgType.LWT_OUT], ["lwt_xmit", ProgType.LWT_XMIT]] as const) {
    it(type, async () => {
      for (const high of [false, true]) {
        const insns = assemble(source(high));
        const prog = kernelBridge().load(insns, { type: kernelType, name: "skb_ids" });
        let want: number[];
        try {
          want = prog.testRunMany(FRAMES).map((r) => {
            expect(r.errno).toBe(0);
            return r.retval;
          });
        } finally {
          prog.close();
        }
        for (const engine of ENGINES) {
          const runner = await loadRunner(await getEngine(engine), { insns }, createNodeMachine({ type, cpus: 1, cgroup: HOST! }));
          expect(FRAMES.map((f) => Number(runner.run(f).retval & 0xffffffffn)), `${engine}, ${high ? "realm" : "classid"}`).toEqual(want);
          runner.dispose();
        }
      }
    });
  }
});
