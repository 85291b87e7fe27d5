// BTF func_info for BPF_PROG_LOAD. The kernel refuses a tail call (or LD_ABS) in a subprogram of
// a program loaded without func_info ("tail_call is not allowed in subprogs without BTF"), and the
// bridge sent func_info only for callbacks, so such objects could not be compared with the
// kernel at all. Now an object's programs go in with the object's BTF (DATASEC sizes and offsets
// filled in, as libbpf does) and their .BTF.ext func_info, and a raw program that needs func_info
// gets the minimal synthesized BTF.

import { readdirSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { assemble } from "../../vm/asm/index.js";
import { parseBtf } from "../../vm/btf/parse.js";
import { BtfKind } from "../../vm/btf/kinds.js";
import type { BtfDatasec } from "../../vm/btf/types.js";
import { findProgram, loadObject, type BpfObject } from "../../vm/elf/load/index.js";
import { kernelLoadableBtf, programFuncInfo } from "../../vm/elf/load/kernel-btf.js";
import { kernelBridge, KernelError, MapType, ProgType } from "../../vm/node/kernel/engine.js";
import { needsFuncInfo } from "../../vm/node/kernel/bridge.js";
import { PROGRAM_TYPES } from "../../vm/programs/index.js";
import { CORPUS_NAMES, FIXTURE_NAMES, corpus, fixture, refusedFixture } from "../loader/objects.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);

/** XDP: the main program calls `sub`, which tail-calls slot 0 of map 0 and returns XDP_DROP if that falls through. */
const TAIL_IN_SUB = `
  call local sub
  exit
sub:
  lddw %r2, map_fd 0
  mov %r3, 0
  call 12
  mov %r0, 1
  exit`;

describe("which raw programs get synthesized func_info", () => {
  it("a tail call or LD_ABS in a subprogram, or a callback's address; not static calls alone", () => {
    expect(needsFuncInfo(assemble(TAIL_IN_SUB))).toBe(true);
    expect(needsFuncInfo(assemble("mov %r6, %r1\ncall local sub\nexit\nsub:\nmov %r6, %r1\nldabsb 0\nexit"))).toBe(true);
    expect(needsFuncInfo(assemble("lddw %r2, map_fd 0\nmov %r3, 0\ncall 12\ncall local sub\nexit\nsub:\nmov %r0, 2\nexit"))).toBe(false);
    expect(needsFuncInfo(assemble("mov %r6, %r1\nldabsb 0\nexit"))).toBe(false);
    expect(needsFuncInfo(assemble("mov %r1, 4\nlddw %r2, func cb\nmov %r3, 0\nmov %r4, 0\ncall 181\nexit\ncb:\nmov %r0, 0\nexit"))).toBe(true);
  });
});

describe("the object's BTF made loadable (libbpf btf_fixup_datasec)", () => {
  it("fills each DATASEC's size from its section and its VARs' offsets from their symbols, in offset order", () => {
    const obj = fixtureObject("tc_tail_subprog");
    const original = obj.btf!.types.filter((t): t is BtfDatasec => t.kind === BtfKind.DATASEC);
    expect(original.every((d) => d.size === 0 && d.vars.every((v) => v.offset === 0))).toBe(true); // as clang writes it
    const fixed = parseBtf(kernelLoadableBtf(obj));
    const sec = (name: string) => {
      const d = fixed.datasec(name)!;
      return { size: d.size, vars: d.vars.map((v) => [fixed.type(v.type).name, v.offset, v.size]) };
    };
    expect(sec(".bss")).toEqual({ size: 24, vars: [["runs_a", 0, 8], ["runs_b", 8, 8], ["runs_c", 16, 8]] });
    expect(sec(".data")).toEqual({ size: 8, vars: [["first_len", 0, 4], ["last_len", 4, 4]] });
    expect(sec(".rodata")).toEqual({ size: 8, vars: [["bias", 0, 4], ["scale", 4, 4]] });
    expect(sec(".maps").size).toBe(obj.elf.sectionsByName.get(".maps")!.size);
    // The object itself is left as it was.
    expect(obj.btf!.datasec(".bss")!.size).toBe(0);
  });

  it("lays out extern sections as libbpf does: .kconfig values, .ksyms ints, a VAR for each kfunc's slot", () => {
    const obj = loadObject(fixture("externs"));
    const fixed = parseBtf(kernelLoadableBtf(obj));
    const sec = (name: string) => fixed.datasec(name)!.vars.map((v) => {
      const t = fixed.type(v.type);
      return [t.kind, t.name, t.kind === BtfKind.VAR ? t.linkage : -1, v.offset, v.size];
    });
    expect(sec(".kconfig")).toEqual([[BtfKind.VAR, "LINUX_KERNEL_VERSION", 1, 0, 4]]);
    expect(sec(".ksyms")).toEqual([[BtfKind.VAR, "bpf_rcu_read_lock", 1, 0, 4], [BtfKind.VAR, "bpf_prog_active", 1, 4, 4]]);
    expect(fixed.count).toBe(obj.btf!.count + 1); // the kfunc's stand-in VAR
    // No extern linkage is left: the kernel refuses it on VARs and FUNCs alike.
    expect(fixed.types.filter((t) => (t.kind === BtfKind.VAR || t.kind === BtfKind.FUNC) && t.linkage === 2)).toEqual([]);
  });

  it("gives one func_info record per function of the linked program: its slot and its FUNC", () => {
    const obj = fixtureObject("tc_tail_subprog");
    const p = findProgram(obj, "tc_tail_subprog");
    const info = programFuncInfo(obj, p)!;
    const records = [...info.records];
    const names = p.functions.map((f) => [f.at, f.name]);
    expect(names.map(([at]) => at)).toEqual([records[0], records[2]]);
    expect([obj.btf!.type(records[1]!).name, obj.btf!.type(records[3]!).name]).toEqual(["tc_tail_subprog", "dispatch"]);
  });
});

describe.skipIf(!status.ok)("tail calls from subprograms in the kernel", () => {
  it("--engine kernel loads an object whose subprogram tail-calls, and agrees with the interpreter and the JIT", async () => {
    const obj = fixtureObject("tc_tail_subprog");
    const all = frames("mix:300:seed=11");
    const kernel = runKernel(obj, all);
    // The kernel builds no skb for a few truncated IP frames (EINVAL): those ran nowhere there.
    const ran = kernel.results.map((r) => !r.verdict.startsWith("ERROR"));
    const data = all.filter((_, i) => ran[i]);
    const results = kernel.results.filter((_, i) => ran[i]);
    expect(data.length).toBeGreaterThan(all.length * 0.9);
    // Even lengths jump to tail_target (TC_ACT_OK), odd ones fall through (SHOT / PIPE).
    expect(new Set(results.map((r) => r.verdict))).toEqual(new Set(["TC_ACT_OK", "TC_ACT_SHOT", "TC_ACT_PIPE"]));
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, data);
      expect(ours.results, engine).toEqual(results);
      expect(ours.maps, engine).toEqual(kernel.maps);
    }
  });

  it("a raw program with a tail call in a subprogram loads with synthesized BTF and tail-calls", () => {
    const bridge = kernelBridge();
    const table = bridge.createMap({ type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, name: "table" });
    const target = bridge.load(assemble("mov %r0, 3\nexit"), { type: ProgType.XDP, name: "target" });
    try {
      const prog = bridge.load(assemble(TAIL_IN_SUB), { type: ProgType.XDP, name: "tail_sub", sharedMaps: [table] });
      try {
        expect(prog.testRun({ data: new Uint8Array(64) }).retval).toBe(1); // empty slot: falls through
        table.update(u32(0), u32(target.fd));
        expect(prog.testRun({ data: new Uint8Array(64) }).retval).toBe(3);
      } finally {
        prog.close();
      }
    } finally {
      target.close();
      table.close();
    }
  });

  it("a raw socket filter with LD_ABS in a subprogram loads with synthesized BTF", () => {
    const prog = kernelBridge().load(assemble("call local sub\nexit\nsub:\nmov %r6, %r1\nldabsb 0\nexit"), { type: ProgType.SOCKET_FILTER, name: "ldabs_sub" });
    try {
      const frame = new Uint8Array(64);
      frame[14] = 0x45; // the test run pulls the Ethernet header: LD_ABS 0 is byte 14
      expect(prog.testRun({ data: frame }).retval).toBe(0x45);
    } finally {
      prog.close();
    }
  });

  it("every program of the corpus and fixture objects loads with the object's own BTF", () => {
    const objects: Array<[string, BpfObject]> = [
      ...CORPUS_NAMES.map((n): [string, BpfObject] => [`corpus/${n}`, loadObject(corpus(n))]),
      ...FIXTURE_NAMES.map((n): [string, BpfObject] => [`loader/${n}`, loadObject(fixture(n))]),
      ...["tc_tail_subprog", "xdp_meta"].map((n): [string, BpfObject] => [`kernel/${n}`, fixtureObject(n)]),
    ];
    let loaded = 0;
    for (const [file, obj] of objects) {
      if (!obj.btf || !obj.ext) continue;
      for (const p of obj.programs.filter((x) => x.type && !x.error)) {
        const load = () => runInKernel(obj, p, [], [], { verify: false, results: false });
        const refused = file.startsWith("loader/") ? refusedFixture(file.slice("loader/".length), p.name) : undefined;
        if (refused) {
          expect(load, `${file}:${p.name}`).toThrow(refused); // refused by the verifier, not for its BTF
          continue;
        }
        expect(load, `${file}:${p.name}`).not.toThrow();
        loaded++;
      }
    }
    expect(loaded).toBeGreaterThan(30);
  });

  it("a BTF the kernel refuses is a KernelError with the BTF log, and every fd (BTF too) is closed", () => {
    const bridge = kernelBridge();
    const obj = fixtureObject("tc_tail_subprog");
    const p = findProgram(obj, "tc_tail_subprog");
    const fds = () => readdirSync(`/proc/${bridge.runnerPid!}/fd`).length;
    const before = fds();
    // Loaded with the object's BTF (through runInKernel: maps, both programs, slots) ...
    runInKernel(obj, p, frames("mix:20:seed=3").map((d) => ({ data: d, ts: 0n, origLen: d.length, linkType: 1, iface: 0 })), [], { verify: true, results: false });
    // ... with synthesized BTF ...
    bridge.load(assemble("mov %r6, %r1\ncall local sub\nexit\nsub:\nmov %r6, %r1\nldabsb 0\nexit"), { type: ProgType.SOCKET_FILTER }).close();
    // ... and with a BTF the kernel refuses: a DATASEC of size 0, as clang leaves it.
    const asClangWroteIt = obj.elf.sectionsByName.get(".BTF")!.data.slice();
    const main = programFuncInfo(obj, p)!.records[1]!;
    const err = (() => {
      try {
        bridge.load(assemble("mov %r0, 0\nexit"), { type: PROGRAM_TYPES.sched_cls.kernelType!, funcInfo: { btf: asClangWroteIt, records: Uint32Array.of(0, main) } }).close();
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(KernelError);
    expect((err as KernelError).message).toMatch(/BPF_BTF_LOAD refused the program's BTF/);
    expect((err as KernelError).log).toMatch(/size == 0|Invalid/);
    expect(fds()).toBe(before);
  });
});

// The fixture sources are committed beside their objects (fixtures/build.sh rebuilds them).
it("the kernel fixtures have their sources", () => {
  const dir = `${import.meta.dirname}/fixtures`;
  for (const o of readdirSync(dir).filter((f) => f.endsWith(".o"))) expect(readFileSync(`${dir}/${o.slice(0, -2)}.c`, "utf8")).toMatch(/SEC\(/);
});
