// The kernel's own verifier tests — test_verifier's ~1,360 hand-written programs (built from a
// Linux source package by test-verifier.ts) — through our verifier, interpreter and JIT, against
// the kernel running here. Tests outside what this runtime models (other program types, BTF,
// kfuncs, map types not built here) are counted by reason and printed.
//
// 1. Verdicts: a program the kernel refuses must be refused here (nothing unsafe), and a program
//    the kernel accepts is accepted here, but for the known differences below, each with why;
//    the reasons hold the kernel's last log line, the processed instruction counts are its own.
// 2. Runs: a program both accept runs on the interpreter and the JIT with the test's packet, as
//    test_verifier runs it (BPF_PROG_TEST_RUN), and returns the kernel's retval.

import { afterAll, describe, expect, it } from "vitest";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import { KernelError, kernelBridge, verifierStats } from "../../vm/node/kernel/engine.js";
import type { KernelProgram } from "../../vm/node/kernel/bridge.js";
import { SK_BUFF_TC } from "../../vm/programs/skb.js";
import { ETH_HLEN } from "../../vm/helpers/packet/uapi.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { loadRunner, type PacketRunner } from "../../vm/runtime/run.js";
import type { Engine } from "../../vm/engine.js";
import { verify } from "../../vm/verifier/index.js";
import { trapDeadFrameWrites } from "../../vm/program/frame-writes.js";
import { kernelAvailability } from "../kernel/available.js";
import { loadTests, outOfScope, POINTER_VALUE, prepare, tailTarget, testVal, type Prepared, type RawTest } from "./test-verifier.js";

const status = kernelAvailability();
const loaded = status.ok ? loadTests() : { skip: `no kernel bpf() (${status.reason})` };
const tests = "tests" in loaded ? loaded.tests : [];
if ("skip" in loaded) console.log(`skipped: the kernel's test_verifier tests: ${loaded.skip}`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/**
 * Programs the kernel accepts and we refuse: test name → what our refusal says. A test that
 * starts to agree must leave this list.
 */
const KNOWN_REFUSALS: Readonly<Record<string, string>> = {
  // The kernel reads struct bpf_map's fields through its BTF (map_ptr's btf_struct_access); our
  // map pointers point at our map headers, not at a struct bpf_map.
  "bpf_map_ptr: read ops field accepted": "R1 invalid mem access 'map_ptr'",
  "bpf_map_ptr: read non-existent field rejected": "R1 invalid mem access 'map_ptr'",
  // BTF socket casts (bpf_skc_to_*) are not built (README: "not built").
  "reference tracking: bpf_sk_release(btf_tcp_sock)": "bpf_skc_to_tcp_sock#137 is not implemented here",
};

/** Runs whose retval differs from the kernel's: test name → why. */
const KNOWN_RUN_DIFFERENCES: Readonly<Record<string, string>> = {};

const inScope = tests.filter((t) => outOfScope(t) === undefined);
const helpers = nodeHelperTables();

/** Every test's verdict here: undefined = accepted. */
const ours = new Map<RawTest, string | undefined>();
/** The kernel's verdict: undefined = accepted. */
const theirs = new Map<RawTest, string | undefined>();

/** The program in the kernel, with maps set up as do_test_fixup sets them up; close() frees everything. */
interface KernelSetup {
  readonly prog?: KernelProgram;
  readonly refusal?: string;
  close(): void;
}

/** `log` 4: the load keeps BPF_LOG_STATS's lines ("processed N insns"), which a refusal's message would end with instead of the reason. */
function kernelLoad(p: Prepared, log?: 4): KernelSetup {
  const bridge = kernelBridge();
  const maps = p.maps.map(({ testVal: _, targets: __, ...spec }) => bridge.createMap(spec));
  const targets: KernelProgram[] = [];
  let prog: KernelProgram | undefined;
  const close = (): void => {
    prog?.close();
    for (const t of targets) t.close();
    for (const m of maps) m.close();
  };
  try {
    p.maps.forEach((m, k) => {
      if (m.testVal) maps[k]!.update(u32(0), testVal(m.valueSize));
      for (const target of m.targets ?? []) {
        const t = bridge.load(tailTarget(target, 0), { type: p.kernelType, sharedMaps: [maps[k]!], name: "tail_target" });
        targets.push(t);
        maps[k]!.update(u32(target[0]), u32(t.fd));
      }
    });
    prog = bridge.load(p.insns, { type: p.kernelType, sharedMaps: maps, flags: p.progFlags, name: "test_verifier", ...(log ? { log } : {}) });
    return { prog, close };
  } catch (e) {
    close();
    if (!(e instanceof KernelError)) throw e;
    return { refusal: e.message.replace(/^kernel verifier refused program /, ""), close: () => {} };
  }
}

/** Our runner for the program, on a machine with the same maps and prog array programs. */
async function ourRunner(p: Prepared, engine: Engine): Promise<PacketRunner> {
  const machine = createNodeMachine({ type: p.type, cpus: 1, maps: p.maps });
  p.maps.forEach((m, k) => {
    if (m.testVal) machine.maps.keyed(m.name).update(u32(0), testVal(m.valueSize));
    for (const target of m.targets ?? []) {
      machine.maps.keyed(m.name).update(u32(target[0]), u32(machine.programs.add({ insns: tailTarget(target, k), name: "tail_target" })));
    }
  });
  // What the loader runs after verifying (vm/elf/load/machine.ts): dead writes to r10 as traps.
  return loadRunner(engine, { insns: [...trapDeadFrameWrites(p.insns)] }, machine);
}

const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

describe.skipIf(tests.length === 0)("the kernel's test_verifier tests (Linux selftests), against the kernel", () => {
  it("what is out of scope, by reason", () => {
    const reasons = new Map<string, number>();
    for (const t of tests) {
      const why = outOfScope(t);
      if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
    }
    console.log(`test_verifier (${"source" in loaded ? loaded.source : ""}): ${inScope.length} of ${tests.length} tests in scope; out of scope:\n` + [...reasons].sort((a, b) => b[1] - a[1]).map(([why, n]) => `  ${n} ${why}`).join("\n"));
    expect(inScope.length).toBeGreaterThan(1000);
  });

  it("verdicts: every program the kernel refuses is refused here, every one it accepts is accepted but the known differences", () => {
    const unsafe: string[] = [];
    const refused: Record<string, string> = {};
    /** [ours, the kernel's, test] processed instructions of each program both accept. */
    const processed: Array<[number, number, string]> = [];
    for (const t of inScope) {
      const p = prepare(t);
      const r = verify(p.insns, { type: p.type, maps: p.maps, helpers: helpers(p.type), strictAlignment: p.strictAlignment, testStateFreq: p.testStateFreq, ...(t.attach ? { expectedAttach: t.attach } : {}) });
      ours.set(t, r.accepted ? undefined : r.message);
      const { refusal: kernel, close } = kernelLoad(p);
      close();
      theirs.set(t, kernel);
      if (r.accepted && kernel === undefined) {
        const stats = kernelLoad(p, 4);
        processed.push([r.processedInsns, verifierStats(stats.prog!.log)?.processedInsns ?? -1, `#${t.i} ${t.descr}`]);
        stats.close();
      }
      const name = `#${t.i} ${t.descr}`;
      if (r.accepted && kernel !== undefined) unsafe.push(`${name}: the kernel says '${kernel}'`);
      if (!r.accepted && kernel === undefined) refused[t.descr] = r.message ?? "";
    }
    const same = inScope.filter((t) => (ours.get(t) === undefined) === (theirs.get(t) === undefined)).length;
    // The kernel's last log line (its refusal ends with " | <line>"): our reason should hold it.
    const bothRefuse = inScope.filter((t) => ours.get(t) !== undefined && theirs.get(t) !== undefined);
    const lastLine = (refusal: string): string => refusal.split(" | ").pop()!.replace(/^('\w+' )?\(E\w+\): /, "");
    const inKernelWords = bothRefuse.filter((t) => ours.get(t)!.includes(lastLine(theirs.get(t)!))).length;
    console.log(`test_verifier verdicts: ${same} of ${inScope.length} the same as the kernel's; refused here only: ${Object.keys(refused).length} (known); of ${bothRefuse.length} refused by both, ${inKernelWords} say the kernel's last line`);
    expect(unsafe).toEqual([]);
    expect(Object.keys(refused).sort()).toEqual(Object.keys(KNOWN_REFUSALS).sort());
    for (const [descr, message] of Object.entries(refused)) expect(message, descr).toContain(KNOWN_REFUSALS[descr]);
    // Pruning as the kernel's: the same processed instructions for 598 of 599 on 6.18.
    const sameCount = processed.filter(([a, b]) => a === b).length;
    const differ = processed.filter(([a, b]) => a !== b).map(([a, b, name]) => `\n  ${name}: ${a} here, ${b} in the kernel`).join("");
    console.log(`test_verifier processed instructions: the kernel's on ${sameCount} of ${processed.length} programs both accept${differ}`);
    expect(sameCount).toBeGreaterThanOrEqual(Math.floor(processed.length * 0.99));
    // 422 of 450 on 6.18 (the rest: opcodes printed 0x8d where the kernel prints 8d, bad map fds,
    // BTF-only cases); fewer means a message drifted from the kernel's words.
    expect(inKernelWords).toBeGreaterThanOrEqual(Math.floor(bothRefuse.length * 0.93));
  }, 120_000);

  it("runs: the interpreter and the JIT return the kernel's retval for every program both accept", async () => {
    const engines = { interpreter: await getEngine("interpreter"), jit: await getEngine("jit") };
    const differ: Record<string, string> = {};
    let compared = 0;
    for (const t of inScope) {
      if (!theirs.has(t) || ours.get(t) !== undefined || theirs.get(t) !== undefined || t.runs.length === 0) continue;
      const p = prepare(t);
      const retvals = kernelRuns(t, p);
      if (!retvals) continue;
      for (const [r, run] of t.runs.entries()) {
        const kernel = retvals[r];
        if (run.retval === POINTER_VALUE || typeof kernel !== "number") continue;
        for (const [name, engine] of Object.entries(engines)) {
          const runner = await ourRunner(p, engine);
          try {
            const got = Number(BigInt.asUintN(32, runner.run(oursPacket(p, run.data)).retval));
            if (got !== kernel) differ[t.descr] = `#${t.i} run ${r}, ${name}: ${got}, the kernel ${kernel}`;
          } finally {
            runner.dispose();
          }
        }
        compared++;
      }
    }
    console.log(`test_verifier runs: ${compared} runs compared on both engines, ${Object.keys(differ).length} differ (known)`);
    expect(compared).toBeGreaterThan(500);
    expect(differ).toEqual(Object.fromEntries(Object.keys(KNOWN_RUN_DIFFERENCES).map((d) => [d, expect.any(String)])));
  }, 300_000);
});

/** The kernel's test runs of an accepted program. */
function kernelRuns(t: RawTest, p: Prepared): Array<number | string> | undefined {
  const { prog, close } = kernelLoad(p);
  try {
    return prog && t.runs.map((run) => {
      try {
        // An skb program's run gets a zeroed __sk_buff as ctx_in, as `--engine kernel` gives it
        // (bin/cli/commands/run-kernel.ts), so both see wire_len = the packet's length.
        return prog.testRun({ data: Buffer.from(run.data, "hex"), ...(p.type === "xdp" ? {} : { ctx: new Uint8Array(SK_BUFF_TC.size) }) }).retval >>> 0;
      } catch (e) {
        return (e as Error).message;
      }
    });
  } finally {
    close();
  }
}

/**
 * The packet our runner takes for a test run's data_in: a socket filter here sees the frame from
 * its MAC header, where the kernel's test run has pulled it (so the kernel engine puts 14 bytes
 * in front); the other types take the frame as the kernel does.
 */
function oursPacket(p: Prepared, data: string): Uint8Array {
  const frame = new Uint8Array(Buffer.from(data, "hex"));
  return p.type === "socket_filter" ? frame.subarray(ETH_HLEN) : frame;
}
