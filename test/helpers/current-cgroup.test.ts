// The current task's cgroup ids (vm/helpers/current-cgroup.ts: get_current_cgroup_id 80,
// get_current_ancestor_cgroup_id 123, base helpers of every type) and tc's skb_cgroup_classid
// (151, packet/skb-cgroup.ts), all over the machine's cgroup model. A BPF_PROG_TEST_RUN's current
// task is the test-running one, so a machine configured with this process's cgroup
// (vm/node/host-cgroup.ts) must agree with the kernel on the interpreter and the JIT, type by
// type; and our verifier must let exactly the types the kernel lets call them.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import type { CgroupModel } from "../../vm/helpers/packet/index.js";
import { kernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { loadRunner } from "../../vm/runtime/run.js";
import { verify } from "../../vm/verifier/index.js";
import { hostCgroupFor, kernelRefusal } from "../kernel/available.js";
import { ENGINES, kernel } from "./harness.js";

afterAll(() => {
  if (kernel.ok) kernelBridge().close();
});

/** This process's cgroup, which the kernel's test runs report (undefined: why not, printed). */
const HOST = hostCgroupFor("current-cgroup.test.ts", kernel);
const DEEP: CgroupModel = { path: [1, 77, 4242], classid: 0x10002 };

/** The program types, with the kernel's type (and cgroup_skb's attach type, ingress). */
const TYPES: ReadonlyArray<[ProgramTypeName, number, number?]> = [
  ["socket_filter", ProgType.SOCKET_FILTER],
  ["sched_cls", ProgType.SCHED_CLS],
  ["xdp", ProgType.XDP],
  ["cgroup_skb", ProgType.CGROUP_SKB, 0],
  ["lwt_in", ProgType.LWT_IN],
  ["lwt_out", ProgType.LWT_OUT],
  ["lwt_xmit", ProgType.LWT_XMIT],
];

/** An IPv4 / UDP frame and an ARP one (the answers do not depend on the packet). */
const FRAMES: Uint8Array[] = (() => {
  const ip = new Uint8Array(60);
  ip.set([0x08, 0x00], 12);
  ip.set([0x45, 0, 0, 46, 0, 1, 0, 0, 64, 17, 0xa6, 0xec, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  const arp = new Uint8Array(60);
  arp.set([0x08, 0x06], 12);
  return [ip, arp];
})();

/** The levels asked for: in range, past the cgroup, negative, and past 32 bits (an int). */
const LEVELS = ["0", "1", "2", "3", "-1", "0x7fffffff", "0x100000001", "0x100000000"];
const level = (l: string): string => (l.startsWith("0x1") && l.length > 10 ? `lddw %r1, ${l}` : `mov %r1, ${l}`);

/**
 * One call each, its u64 result stored in an array map's one value; r0 0 (every type's allowed
 * return value: cgroup_skb's verifier wants 0 or 1).
 */
function programs(type: ProgramTypeName): Array<[string, string]> {
  const calls: Array<[string, string]> = [["80", "call 80"], ...LEVELS.map((l): [string, string] => [`123 level ${l}`, `${level(l)}\ncall 123`])];
  if (type === "sched_cls") calls.push(["151", "call 151"]);
  return calls.map(([what, body]): [string, string] => [what, `${body}\n${STORE}`]);
}
const STORE = ["stxdw [%r10-8], %r0", "stw [%r10-12], 0", "lddw %r1, map_fd 0", "mov %r2, %r10", "add %r2, -12", "mov %r3, %r10", "add %r3, -8", "mov %r4, 0", "call 2", "mov %r0, 0", "exit"].join("\n");
const OUT = { type: 2, keySize: 4, valueSize: 8, maxEntries: 1 } as const;
const KEY = new Uint8Array(4);
const u64 = (b: Uint8Array | undefined): bigint => new DataView(b!.buffer, b!.byteOffset).getBigUint64(0, true);

/** Our stored result for each frame, on `engine`. */
async function ours(type: ProgramTypeName, engine: (typeof ENGINES)[number], cgroup: CgroupModel | undefined, source: string): Promise<bigint[]> {
  const machine = createNodeMachine({ type, cpus: 1, maps: [{ name: "out", ...OUT, type: "array" }], ...(cgroup ? { cgroup } : {}) });
  const runner = await loadRunner(await getEngine(engine), { insns: assemble(source) }, machine);
  try {
    return FRAMES.map((f) => {
      expect(runner.run(f).retval).toBe(0n);
      return u64(machine.maps.keyed("out").lookup(KEY));
    });
  } finally {
    runner.dispose();
  }
}

/** The kernel's stored result for each frame. */
function theirs(kernelType: number, attach: number | undefined, source: string): bigint[] {
  const prog = kernelBridge().load(assemble(source), { type: kernelType, ...(attach !== undefined ? { expectedAttachType: attach } : {}), name: "cur_cgroup", maps: [OUT] });
  try {
    return FRAMES.map((f) => {
      const [r] = prog.testRunMany([f]);
      expect(r!.errno).toBe(0);
      expect(r!.retval).toBe(0);
      return u64(prog.maps[0]!.lookup(KEY));
    });
  } finally {
    prog.close();
  }
}

describe("our values, from the model (no kernel)", () => {
  it("every type: the cgroup, its ancestors level by level; tc: skb_cgroup_classid", async () => {
    for (const [type] of TYPES) {
      for (const engine of ENGINES) {
        const got: bigint[] = [];
        for (const [, source] of programs(type)) got.push((await ours(type, engine, DEEP, source))[0]!);
        // 80, then 123 at each of LEVELS, then (tc) 151.
        expect(got, `${type} ${engine}`).toEqual([4242n, 1n, 77n, 4242n, 0n, 0n, 0n, 77n, 1n, ...(type === "sched_cls" ? [0x10002n] : [])]);
      }
    }
  });

  it("an unconfigured machine's task is in the root cgroup (id 1), as the idle task", async () => {
    for (const engine of ENGINES) {
      expect(await ours("xdp", engine, undefined, `call 80\n${STORE}`), engine).toEqual([1n, 1n]);
      expect(await ours("xdp", engine, undefined, `mov %r1, 0\ncall 123\n${STORE}`), engine).toEqual([1n, 1n]);
      expect(await ours("xdp", engine, undefined, `mov %r1, 1\ncall 123\n${STORE}`), engine).toEqual([0n, 0n]);
      expect(await ours("sched_cls", engine, undefined, `call 151\n${STORE}`), engine).toEqual([0n, 0n]);
    }
  });
});

describe.skipIf(HOST === undefined)("the kernel agrees (BPF_PROG_TEST_RUN from this process, type by type)", () => {
  for (const [type, kernelType, attach] of TYPES) {
    it(type, async () => {
      let compared = 0;
      for (const [what, source] of programs(type)) {
        const want = theirs(kernelType, attach, source);
        for (const engine of ENGINES) expect(await ours(type, engine, HOST, source), `${type} ${what}, ${engine}`).toEqual(want);
        compared++;
      }
      expect(compared).toBe(1 + LEVELS.length + (type === "sched_cls" ? 1 : 0));
    });
  }

  it("get_current_cgroup_id is the process's own cgroup (the last id of its path), 151 its classid", () => {
    expect(theirs(ProgType.XDP, undefined, `call 80\n${STORE}`)).toEqual(FRAMES.map(() => BigInt(HOST!.path!.at(-1)!)));
    expect(theirs(ProgType.SCHED_CLS, undefined, `call 151\n${STORE}`)).toEqual(FRAMES.map(() => BigInt(HOST!.classid ?? 0)));
  });
});

// ---- who may call them: our verifier and the kernel's ------------------------------------------

const CALLS: ReadonlyArray<[string, string]> = [
  ["80", "call 80"],
  ["123", "mov %r1, 2\ncall 123"],
  ["123 (ctx as the level)", "call 123"],
  ["151", "call 151"],
  ["151 (no ctx)", "mov %r1, 0\ncall 151"],
];
const tables = nodeHelperTables();

describe.skipIf(!kernel.ok)("which types may call them: our verifier and the kernel's decide alike", () => {
  for (const [type, kernelType, attach] of TYPES) {
    it(type, () => {
      const accepted: string[] = [];
      for (const [what, body] of CALLS) {
        const insns = assemble(`${body}\nmov %r0, 0\nexit`);
        const ours = verify(insns, { type, helpers: tables(type) });
        const theirs = kernelRefusal(insns, { type: kernelType, ...(attach !== undefined ? { expectedAttachType: attach } : {}), name: "cur_cgroup" });
        expect(ours.accepted, `${type} ${what}: ours '${ours.accepted ? "accepted" : ours.message}', kernel '${theirs ?? "accepted"}'`).toBe(theirs === undefined);
        if (ours.accepted) accepted.push(what);
      }
      expect(accepted).toEqual(["80", "123", "123 (ctx as the level)", ...(type === "sched_cls" ? ["151"] : [])]);
    });
  }
});
