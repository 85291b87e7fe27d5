// Global (non-static) functions verified as the kernel verifies them when a program comes with
// its BTF func_info (vm/verifier/global-funcs.ts): each once, on its own, from its prototype;
// calls checked against the prototype, r0 an unknown scalar back. The fixtures
// (test/verifier/fixtures/global_*.c, clang-19 -O2 -g) are verified here and loaded into the
// kernel with the object's BTF and func_info (skipped, with the reason, without bpf()); the
// accepted ones run the same on the interpreter, the JIT and (BPF_PROG_TEST_RUN) the kernel.

import { afterAll, describe, expect, it } from "vitest";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { generate } from "../../corpus/gen/index.js";
import { programFuncSigs } from "../../vm/btf/func-sigs.js";
import { findProgram, verifyObjectProgram, type BpfObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { verifierMaps } from "../../vm/elf/load/verify.js";
import { getEngine } from "../../vm/engines.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { verify } from "../../vm/verifier/index.js";
import type { Insn } from "../../vm/isa/instruction.js";
import { describe as describeInsn } from "../../vm/isa/table.js";
import { prepareArgs } from "../../vm/verifier/global-funcs.js";
import { kernelAvailability } from "../kernel/available.js";
import { GLOBAL_FIXTURES, globalFixture, kernelVerdict } from "./global-objects.js";

const status = kernelAvailability();
const helpers = nodeHelperTables();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** What the kernel does with each fixture program: accept, or refuse at `insn` with these words. */
type Expect = { accept: true } | { accept: false; insn: number; words: readonly string[]; afterAll?: true };

const EXPECTED: Readonly<Record<string, Expect>> = {
  "global_scalar:scalar_args": { accept: true },
  "global_scalar:pointer_as_scalar": { accept: false, insn: 2, words: ["R1 is not a scalar", "Caller passes invalid args into func#1 ('clampish')"] },
  "global_ctx:ctx_arg": { accept: true },
  "global_ctx:ctx_wrong": { accept: false, insn: 6, words: ["arg#0 expects pointer to ctx", "Caller passes invalid args into func#1 ('eth_proto')"] },
  "global_ctx:ctx_leak": { accept: false, insn: 7, words: ["At subprogram exit the register R0 is not a scalar value (ctx)"] },
  "global_ctx:ctx_unchecked": { accept: false, insn: 7, words: ["invalid access to packet, off=12 size=1"] },
  "global_ptr:ptr_checked": { accept: true },
  // The kernel calls it 'mem_or_null'; this verifier's name for the type is 'ringbuf_mem_or_null'.
  "global_ptr:ptr_unchecked": { accept: false, insn: 12, words: ["R1 invalid mem access '", "mem_or_null'"] },
  "global_ptr:ptr_nonnull_ok": { accept: true },
  "global_ptr:ptr_nonnull_maybe_null": { accept: false, insn: 9, words: ["arg#0 is expected to be non-NULL", "Caller passes invalid args into func#1 ('bump_nonnull')"] },
  // check_mem_reg lets a NULL constant through whatever the tags say.
  "global_ptr:ptr_nonnull_null": { accept: true },
  "global_ptr:ptr_too_small": { accept: false, insn: 10, words: ["invalid access to map value, value_size=8 off=0 size=16", "Caller passes invalid args into func#1 ('bump')"] },
  "global_bounds:bounds_static": { accept: true },
  "global_bounds:bounds_global": { accept: false, insn: 24, words: ["R1 unbounded memory access, make sure to bounds check any such access"] },
  "global_bounds:bounds_global_checked": { accept: true },
  "global_void:void_global": { accept: false, insn: 3, words: ["Global function account() doesn't return scalar. Only those are supported.", "Caller passes invalid args into func#1 ('account')"] },
  "global_many:many_calls": { accept: true },
  // check_max_stack_depth over the call graph (callbacks included): a global function's callees
  // are never walked from its caller, so only that walk sees the 9th frame (the kernel counts 8,
  // the new frame's index). Reported after every function was verified, at the call that makes
  // the 9th frame; the kernel's log then names no instruction (afterAll).
  "global_deep:deep_refused": { accept: false, insn: 52, words: ["the call stack of 8 frames is too deep !"], afterAll: true },
  "global_deep:deep_ok": { accept: true },
  // check_ld_imm: the address of a global function is no callback (it was accepted here, and run).
  "global_callback:cb_global_each": { accept: false, insn: 6, words: ["callback function not static"] },
  "global_callback:cb_global_loop": { accept: false, insn: 5, words: ["callback function not static"] },
  "global_callback:cb_static_calls_global": { accept: true },
  "global_pkt:pkt_stale": { accept: false, insn: 7, words: ["R6 invalid mem access 'scalar'"] },
  "global_pkt:pkt_tail_stale": { accept: false, insn: 7, words: ["R6 invalid mem access 'scalar'"] },
  "global_pkt:pkt_kept": { accept: true },
  "global_pkt:pkt_reloaded": { accept: true },
};

const objects: Array<[string, BpfObject]> = GLOBAL_FIXTURES.map((n) => [n, globalFixture(n)]);
const cases = objects.flatMap(([file, obj]) => obj.programs.map((p) => ({ key: `${file}:${p.name}`, obj, p })));

describe("global functions: ours as the kernel's verifier (expected verdicts)", () => {
  it("every fixture program has an expectation", () => {
    expect(cases.map((c) => c.key).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const { key, obj, p } of cases) {
    it(key, () => {
      const want = EXPECTED[key]!;
      const ours = verifyObjectProgram(obj, p, { helpers });
      if (want.accept) {
        expect([ours.status, ours.message]).toEqual(["accepted", undefined]);
        return;
      }
      expect(ours.status).toBe("rejected");
      expect(ours.insn).toBe(want.insn);
      for (const w of want.words) expect(ours.message).toContain(w);
      expect(ours.message).toMatch(new RegExp(`^insn ${want.insn}: `));
    });
  }
});

describe("where a refusal is", () => {
  it("inside a global function: the function and the path from its first instruction", () => {
    const obj = objects.find(([f]) => f === "global_bounds")![1];
    const ours = verifyObjectProgram(obj, findProgram(obj, "bounds_global"), { helpers });
    expect(ours.message).toBe("insn 24: ldxw %r0, [%r1]: R1 unbounded memory access, make sure to bounds check any such access (in global function get_global() func#1, path: 19-24)");
  });

  it("at a call: the call, with the path of the caller", () => {
    const obj = objects.find(([f]) => f === "global_void")![1];
    const ours = verifyObjectProgram(obj, findProgram(obj, "void_global"), { helpers });
    expect(ours.message).toBe("insn 3: call local +2: Caller passes invalid args into func#1 ('account'): Global function account() doesn't return scalar. Only those are supported. (path: 0-3)");
  });
});

describe.skipIf(!status.ok)("global functions: the kernel (BPF_PROG_LOAD with the object's BTF and func_info) agrees", () => {
  for (const { key, obj, p } of cases) {
    it(key, () => {
      const want = EXPECTED[key]!;
      const ours = verifyObjectProgram(obj, p, { helpers });
      const kernel = kernelVerdict(obj, p, status.possibleCpus ?? 1);
      expect(kernel.accepted, kernel.message).toBe(ours.status === "accepted");
      if (want.accept) {
        console.log(`${key}: processed ${ours.result!.processedInsns} insns here, ${kernel.processedInsns} in the kernel`);
        return;
      }
      expect(kernel.insn).toBe(want.afterAll ? undefined : ours.insn);
      for (const w of want.words) expect(kernel.log).toContain(w);
    });
  }
});

describe("without BTF func_info every subprogram is static (walked in the caller's context)", () => {
  const noBtf = (file: string, name: string) => {
    const obj = objects.find(([f]) => f === file)![1];
    const p = findProgram(obj, name);
    return verify(p.insns, { type: p.type!, maps: verifierMaps(obj), helpers: helpers(p.type!) });
  };

  it("accepts what only the in-context walk proves: the caller's bounds, a void function, an unchecked pointer it knows is not NULL", () => {
    expect(noBtf("global_bounds", "bounds_global").accepted).toBe(true);
    expect(noBtf("global_void", "void_global").accepted).toBe(true);
    expect(noBtf("global_ptr", "ptr_unchecked").accepted).toBe(true);
  });

  it("walks a global function once per call site without BTF, once in all with it", () => {
    const obj = objects.find(([f]) => f === "global_many")![1];
    const p = findProgram(obj, "many_calls");
    const funcs = programFuncSigs(obj.btf!, obj.ext!, p.functions)!;
    const opts = { type: p.type!, maps: verifierMaps(obj), helpers: helpers(p.type!), log: 1 as const };
    const without = verify(p.insns, opts);
    const withBtf = verify(p.insns, { ...opts, funcs });
    expect([without.accepted, withBtf.accepted]).toEqual([true, true]);
    // step() is called from 16 sites in many_calls and twice in step2(), which is called 4 times.
    expect(withBtf.log.match(/Func#1 \('step'\) is global and assumed valid/g)).toHaveLength(18);
    expect(withBtf.log.match(/Validating step\(\) func#1\.\.\./g)).toHaveLength(1);
    expect(withBtf.log.match(/Validating step2\(\) func#2\.\.\./g)).toHaveLength(1);
    expect(withBtf.processedInsns).toBeLessThan(without.processedInsns);
    console.log(`many_calls: ${withBtf.processedInsns} insns processed with BTF (each global function once), ${without.processedInsns} without`);
  });
});

describe("prototypes the kernel refuses (btf_prepare_func_args)", () => {
  const param = (type: "int" | "ptr" | "other", extra: object = {}) => ({ name: "a", type, kindStr: type === "int" ? "INT" : type === "ptr" ? "PTR" : "STRUCT", tags: [] as string[], ...extra });
  const sig = (params: ReturnType<typeof param>[], returns: "int" | "void" = "int") => ({ name: "f", linkage: 1, returns, params });

  it("in the kernel's words", () => {
    expect(prepareArgs(sig([param("int"), param("int"), param("int"), param("int"), param("int"), param("int")]), "xdp"))
      .toBe("Global function f() with 6 > 5 args. Buggy compiler.");
    expect(prepareArgs(sig([], "void"), "xdp")).toBe("Global function f() doesn't return scalar. Only those are supported.");
    expect(prepareArgs(sig([param("other")]), "xdp")).toBe("Arg#0 type STRUCT in f() is not supported yet.");
    expect(prepareArgs(sig([param("int", { tags: ["ctx"] })]), "xdp")).toBe("arg#0 has pointer tag, but is not a pointer type");
    expect(prepareArgs(sig([param("ptr", { pointee: { kind: "void", name: "", kindStr: "UNKNOWN" } })]), "xdp"))
      .toBe("arg#0 reference type('UNKNOWN ') size cannot be determined: -22");
    expect(prepareArgs(sig([param("ptr", { tags: ["bogus"], pointee: { kind: "struct", name: "s", kindStr: "STRUCT", size: 4 } })]), "xdp"))
      .toBe("arg#0 has unsupported set of tags");
    expect(prepareArgs(sig([param("ptr", { tags: ["ctx", "nonnull"], pointee: { kind: "void", name: "", kindStr: "UNKNOWN" } })]), "xdp"))
      .toBe("arg#0 has invalid combination of tags");
  });

  it("the context by its struct's name for the program's type, or tagged on a void *", () => {
    const ctxOf = (name: string) => param("ptr", { pointee: { kind: "struct", name, kindStr: "STRUCT", size: 24 } });
    expect(prepareArgs(sig([ctxOf("xdp_md")]), "xdp")).toEqual([{ kind: "ctx" }]);
    expect(prepareArgs(sig([ctxOf("__sk_buff")]), "xdp")).toEqual([{ kind: "mem", size: 24, nullable: true }]);
    expect(prepareArgs(sig([ctxOf("__sk_buff")]), "sched_cls")).toEqual([{ kind: "ctx" }]);
    expect(prepareArgs(sig([param("ptr", { tags: ["ctx"], pointee: { kind: "void", name: "", kindStr: "UNKNOWN" } })]), "socket_filter")).toEqual([{ kind: "ctx" }]);
    expect(prepareArgs(sig([param("ptr", { tags: ["nonnull"], pointee: { kind: "struct", name: "s", kindStr: "STRUCT", size: 16 } })]), "xdp"))
      .toEqual([{ kind: "mem", size: 16, nullable: false }]);
  });

  it("__arg_ctx on anything but void * or the uapi context struct, in btf_validate_prog_ctx_type's words", () => {
    // Each checked against the kernel (6.18) with a clang-19 object: `int *p __arg_ctx`,
    // `struct __sk_buff *` and `struct xdp_buff *` (the kernel's own struct: only untagged) in an
    // XDP program, `void **p __arg_ctx`.
    const tagged = (kind: string, name: string, kindStr: string) => param("ptr", { tags: ["ctx"], pointee: { kind, name, kindStr, size: 8 } });
    expect(prepareArgs(sig([tagged("int", "int", "INT")]), "xdp")).toBe("arg#0 should be `struct xdp_md *`");
    expect(prepareArgs(sig([param("int"), tagged("struct", "__sk_buff", "STRUCT")]), "xdp")).toBe("arg#1 should be `struct xdp_md *`");
    expect(prepareArgs(sig([tagged("struct", "xdp_buff", "STRUCT")]), "xdp")).toBe("arg#0 should be `struct xdp_md *`");
    expect(prepareArgs(sig([tagged("struct", "xdp_md", "STRUCT")]), "sched_cls")).toBe("arg#0 should be `struct __sk_buff *`");
    expect(prepareArgs(sig([tagged("ptr", "", "PTR")]), "xdp")).toBe("arg#0 type doesn't have a name");
    expect(prepareArgs(sig([tagged("struct", "__sk_buff", "STRUCT")]), "socket_filter")).toEqual([{ kind: "ctx" }]);
    // Untagged, the kernel's struct is the context by its name (btf_is_prog_ctx_type).
    expect(prepareArgs(sig([param("ptr", { pointee: { kind: "struct", name: "xdp_buff", kindStr: "STRUCT", size: 8 } })]), "xdp")).toEqual([{ kind: "ctx" }]);
  });
});

/**
 * Seeded one-instruction mutations of the fixture programs (same shape, so the func_info records
 * still fit), verified here with the BTF signatures and by the kernel with the object's BTF and
 * func_info: "we accept, the kernel refuses" must not happen. Mutations aim at what global
 * functions add: the argument registers set before a call (another register, a constant, the
 * frame pointer, a moved pointer), offsets of loads and stores, immediates, branch conditions.
 */
describe.skipIf(!status.ok)("global functions: mutants against the kernel", () => {
  let seed = 0x2545f491;
  const rnd = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  // A quick default; VERIFIER_FUZZ_MUTANTS (as differential.test.ts) for a longer run.
  const MUTANTS = Number(process.env["VERIFIER_FUZZ_MUTANTS"] ?? 30);
  const ALU64_MOV_X = 0xbf, ALU64_MOV_K = 0xb7, ALU64_ADD_K = 0x07;

  function mutate(insns: readonly Insn[]): { insns: Insn[]; what: string } | undefined {
    const out = insns.map((i) => ({ ...i }));
    const defs = insns.map((i) => describeInsn(i));
    const calls = out.flatMap((_, i) => (defs[i]?.kind === "call" && (defs[i] as { target?: string }).target === "local" && i > 0 && defs[i - 1] && defs[i - 1]!.kind !== "lddw" && (i < 2 || defs[i - 2]?.kind !== "lddw") ? [i] : []));
    for (let tries = 0; tries < 50; tries++) {
      if (calls.length && rnd(2) === 0) {
        // Before a call: an argument register set from something else.
        const at = calls[rnd(calls.length)]! - 1;
        const dst = 1 + rnd(5);
        const pick = rnd(4);
        const ins = out[at]!;
        if (pick === 0) Object.assign(ins, { opcode: ALU64_MOV_X, dst, src: [0, 6, 7, 10][rnd(4)]!, off: 0, imm: 0 });
        else if (pick === 1) Object.assign(ins, { opcode: ALU64_MOV_K, dst, src: 0, off: 0, imm: [0, 1, -1][rnd(3)]! });
        else Object.assign(ins, { opcode: ALU64_ADD_K, dst, src: 0, off: 0, imm: [1, 4, 8, -8, -16][rnd(5)]! });
        return { insns: out, what: `${at}: before call: ${pick === 0 ? "mov" : pick === 1 ? "mov imm" : "add"} r${dst}` };
      }
      const at = rnd(out.length);
      const def = defs[at];
      const ins = out[at]!;
      if (!def || (at > 0 && defs[at - 1]?.kind === "lddw")) continue;
      if (def.kind === "ldx" || def.kind === "st" || def.kind === "stx") {
        const d = [1, 4, 8, -8, 16][rnd(5)]!;
        ins.off += d;
        return { insns: out, what: `${at}: off ${d > 0 ? "+" : ""}${d}` };
      }
      if (def.kind === "alu" && !def.reg) {
        ins.imm = [0, 1, 15, 16, 64, -1][rnd(6)]!;
        return { insns: out, what: `${at}: imm ${ins.imm}` };
      }
      if (def.kind === "jcond") {
        ins.opcode = (ins.opcode & 0x0f) | [0x10, 0x20, 0x30, 0xa0, 0xb0, 0x50][rnd(6)]!;
        return { insns: out, what: `${at}: condition 0x${ins.opcode.toString(16)}` };
      }
    }
    return undefined;
  }

  it("no mutant is accepted here and refused by the kernel", () => {
    const tally = { agree: 0, bothAccept: 0, unsafe: [] as string[], strict: [] as string[] };
    for (const { key, obj, p } of cases) {
      const funcs = programFuncSigs(obj.btf!, obj.ext!, p.functions)!;
      const opts = { type: p.type!, maps: verifierMaps(obj), helpers: helpers(p.type!), funcs, maxInsns: 200_000 };
      for (let n = 0; n < MUTANTS; n++) {
        const m = mutate(p.insns);
        if (!m) continue;
        const ours = verify(m.insns, opts);
        const kernel = kernelVerdict(obj, p, status.possibleCpus ?? 1, m.insns);
        if (ours.accepted === kernel.accepted) {
          tally.agree++;
          if (ours.accepted) tally.bothAccept++;
        }
        else if (ours.accepted) tally.unsafe.push(`${key} [${m.what}]: kernel: ${kernel.message}`);
        else tally.strict.push(`${key} [${m.what}]: ours: ${ours.message}`);
      }
    }
    console.log(`global-function mutants: ${tally.agree} agree (${tally.bothAccept} accepted by both), ${tally.unsafe.length} we accept / kernel refuses, ${tally.strict.length} we refuse / kernel accepts\n${[...tally.unsafe, ...tally.strict].map((s) => `  ${s}`).join("\n")}`);
    expect(tally.unsafe).toEqual([]);
  }, 120_000);
});

/** Programs that are safe to run (ptr_nonnull_null would write through NULL). */
const RUNNABLE = ["global_scalar:scalar_args", "global_ctx:ctx_arg", "global_ptr:ptr_checked", "global_ptr:ptr_nonnull_ok",
  "global_bounds:bounds_static", "global_bounds:bounds_global_checked", "global_many:many_calls", "global_pkt:pkt_kept", "global_pkt:pkt_reloaded"];

interface Run {
  readonly results: ReadonlyArray<{ verdict: string; retval: string; packet: string }>;
  readonly maps: Record<string, string[]>;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const PROG_ARRAY = 3;

async function runOurs(obj: BpfObject, name: string, engine: "interpreter" | "jit", data: readonly Uint8Array[]): Promise<Run> {
  const loaded = instantiateObjectNode(obj, name);
  const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine));
  try {
    const results = runner.runBatch(data, { results: true }).results!.map((r) => ({ verdict: r.verdict, retval: r.retval.toString(16), packet: hex(r.packet) }));
    const maps: Record<string, string[]> = {};
    for (const m of obj.maps) {
      if (m.spec.type !== PROG_ARRAY) maps[m.name] = [...(loaded.machine.maps.keyed(m.name) as BpfMap<Uint8Array>).entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
    }
    return { results, maps };
  } finally {
    runner.dispose();
  }
}

function runKernel(obj: BpfObject, name: string, data: readonly Uint8Array[]): Run {
  const packets = data.map((d) => ({ data: d, ts: 0n, origLen: d.length, linkType: 1, iface: 0 }));
  const report = runInKernel(obj, findProgram(obj, name), packets, [], { verify: true, results: true });
  const maps: Record<string, string[]> = {};
  for (const m of obj.maps) {
    if (m.spec.type !== PROG_ARRAY) maps[m.name] = (report.maps[m.name] as Array<{ key: string; value: string }>).map((e) => `${e.key}=${e.value}`).sort();
  }
  return { results: report.results!.map((r) => ({ verdict: r.verdict, retval: r.retval.toString(16), packet: hex(r.packet) })), maps };
}

describe("programs with global functions run the same on the interpreter and the JIT (and in the kernel)", () => {
  const data = generate("mix:120:seed=5").map((p) => p.data).filter((d) => d.length >= 14 && d.length <= 1500);
  for (const key of RUNNABLE) {
    it(key, async () => {
      const [file, name] = key.split(":") as [string, string];
      const obj = objects.find(([f]) => f === file)![1];
      const interp = await runOurs(obj, name, "interpreter", data);
      const jit = await runOurs(obj, name, "jit", data);
      expect(jit).toEqual(interp);
      expect(new Set(interp.results.map((r) => r.verdict)).size).toBeGreaterThan(0);
      if (!status.ok) {
        console.log(`${key}: kernel comparison skipped (${status.reason})`);
        return;
      }
      const kernel = runKernel(obj, name, data);
      // The kernel builds no context for a few truncated frames (an ERROR there): compare the rest.
      const ran = kernel.results.map((r) => !r.verdict.startsWith("ERROR"));
      expect(ran.filter(Boolean).length).toBeGreaterThan(data.length * 0.9);
      expect(interp.results.filter((_, i) => ran[i])).toEqual(kernel.results.filter((_, i) => ran[i]));
      if (ran.every(Boolean)) expect(interp.maps).toEqual(kernel.maps);
    });
  }
});
