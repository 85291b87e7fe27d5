// The ELF loader on real clang objects: every corpus object loads with the programs, maps and
// relocations its C source says, every program passes the verifier with the loaded maps, the
// instruction streams match the verifier tests' stop-gap linker function by function, and
// tail_calls.o's PROG_ARRAY is wired. The loader's own fixtures cover global data, legacy maps,
// libbpf section names, several programs per section, shared subprograms, callbacks and the
// externs / CO-RE relocations it refuses by name.

import { describe, expect, it } from "vitest";
import { generate } from "../../corpus/gen/index.js";
import { BpfError } from "../../vm/errors.js";
import { findProgram, instantiateObject, loadObject, verifyObject, withProgramType, type BpfObject, type ObjectProgram } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { Interpreter } from "../../vm/interpreter/engine.js";
import type { Insn } from "../../vm/isa/instruction.js";
import { CallSrc, Pseudo } from "../../vm/isa/opcodes.js";
import { describe as describeInsn } from "../../vm/isa/table.js";
import { loadMapsModule } from "../../vm/maps/load.node.js";
import { KFUNC_IDS } from "../../vm/helpers/kfunc/ids.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { loadElfPrograms } from "../verifier/elf-programs.js";
import { CORPUS_NAMES, corpus, fixture } from "./objects.js";

const helpers = nodeHelperTables();
const load = (name: string): BpfObject => loadObject(corpus(name));
const mapsOf = (obj: BpfObject) => obj.maps.map((m) => [m.name, m.spec.type, m.spec.keySize, m.spec.valueSize, m.spec.maxEntries, m.spec.flags]);

/** From the C sources: programs [name, section, type] and maps [name, type, key, value, max_entries, flags]. */
const EXPECTED: Record<string, { programs: string[][]; maps: Array<[string, number, number, number, number, number]> }> = {
  calls_loop: { programs: [["calls_loop", "xdp", "xdp"]], maps: [["verdicts", 2, 4, 8, 2, 0]] },
  ipv6_parser: { programs: [["ipv6_parser", "xdp", "xdp"]], maps: [["l4_count", 2, 4, 8, 256, 0]] },
  l4_lb: { programs: [["l4_lb", "xdp", "xdp"]], maps: [["backend_count", 2, 4, 4, 1, 0], ["backends", 2, 4, 12, 16, 0]] },
  loop_parser: { programs: [["loop_parser", "xdp", "xdp"]], maps: [["l4_count", 2, 4, 8, 256, 0], ["udp_bytes", 2, 4, 8, 1, 0]] },
  proto_counter: { programs: [["proto_counter", "xdp", "xdp"]], maps: [["proto_count", 6, 4, 8, 257, 0]] },
  ringbuf_logger: { programs: [["ringbuf_logger", "xdp", "xdp"]], maps: [["events", 27, 0, 0, 262144, 0], ["ring_full", 2, 4, 8, 1, 0]] },
  socket_ldabs: { programs: [["socket_ldabs", "socket", "socket_filter"]], maps: [] },
  syn_limiter: { programs: [["syn_limiter", "xdp", "xdp"]], maps: [["syn_count", 9, 4, 8, 65536, 0]] },
  tail_calls: {
    programs: [["tail_ipv4", "xdp", "xdp"], ["tail_ipv6", "xdp", "xdp"], ["tail_final", "xdp", "xdp"], ["tail_entry", "xdp", "xdp"]],
    maps: [["jmp_table", 3, 4, 4, 4, 0], ["l4_proto", 6, 4, 4, 1, 0], ["stage_hits", 2, 4, 8, 4, 0]],
  },
  tc_classifier: { programs: [["tc_classifier", "tc", "sched_cls"]], maps: [] },
  tc_pull_relative: { programs: [["tc_pull_relative", "tc", "sched_cls"]], maps: [["res", 2, 4, 8, 16, 0]] },
  tc_snat: { programs: [["tc_snat", "tc", "sched_cls"]], maps: [["nat", 1, 8, 16, 4096, 0], [".data", 2, 4, 4, 1, 0], [".bss", 2, 4, 32, 1, 0]] },
  xdp_alu_v4: { programs: [["xdp_alu_v4", "xdp", "xdp"]], maps: [["buckets", 2, 4, 8, 64, 0], [".rodata", 2, 4, 64, 1, 0]] },
  xdp_firewall: { programs: [["xdp_firewall", "xdp", "xdp"]], maps: [["allow", 1, 12, 4, 65536, 0]] },
  xdp_lpm_acl: { programs: [["xdp_lpm_acl", "xdp", "xdp"]], maps: [["prefixes", 11, 8, 4, 1024, 1], ["hits", 10, 8, 8, 512, 0], [".bss", 2, 4, 16, 1, 0]] },
  xdp_parser: { programs: [["xdp_parser", "xdp", "xdp"]], maps: [] },
  // vmlinux.h style: its header field accesses are CO-RE relocations (vm/elf/load/core.ts).
  xdp_core_headers: { programs: [["xdp_core_headers", "xdp", "xdp"]], maps: [["l3l4", 6, 4, 8, 12, 0]] },
  xdp_qinq_v6ext: { programs: [["xdp_qinq_v6ext", "xdp", "xdp"]], maps: [["vlan_l4", 5, 8, 8, 256, 0], [".bss", 2, 4, 24, 1, 0]] },
  xdp_stats_rewrite: { programs: [["xdp_port_rewrite", "xdp", "xdp"]], maps: [["xdp_stats_map", 6, 4, 16, 5, 0]] },
  xdp_katran_lb: {
    programs: [["balancer_ingress", "xdp", "xdp"]],
    // struct flow_key: two 16-byte addresses, 2 ports, proto, 3 pad = 40; real_definition 16 + 4.
    maps: [["vip_map", 1, 8, 8, 16, 0], ["lru_map", 9, 40, 8, 1000, 0], ["ch_rings", 2, 4, 4, 976, 0], ["reals", 2, 4, 20, 64, 0], ["stats", 6, 4, 16, 20, 0], ["ctl_array", 2, 4, 12, 1, 0]],
  },
  tc_ct_nat: { programs: [["tc_ct_nat", "tc", "sched_cls"]], maps: [["nat_state", 2, 4, 16, 1, 0], ["ct_map", 1, 16, 32, 20000, 0]] },
  // The "blocked" literal of __builtin_memcmp lands in .rodata.str1.1, a one-entry ARRAY like .rodata.
  xdp_dns: { programs: [["xdp_dns", "xdp", "xdp"]], maps: [["names", 1, 4, 136, 512, 0], ["qtypes", 1, 4, 8, 256, 0], [".rodata.str1.1", 2, 4, 8, 1, 0]] },
};

describe("corpus/programs: every object loads", () => {
  it("all 22 objects are covered", () => {
    expect(CORPUS_NAMES).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const name of Object.keys(EXPECTED)) {
    it(`${name}.o: programs, maps, license, and every program accepted by the verifier`, () => {
      const obj = load(name);
      const want = EXPECTED[name]!;
      expect(obj.programs.map((p) => [p.name, p.section, p.type])).toEqual(want.programs);
      expect(mapsOf(obj)).toEqual(want.maps);
      expect(obj.license).toBe("Dual MIT/GPL");
      expect(obj.gplCompatible).toBe(true);
      for (const p of obj.programs) {
        expect(p.error).toBeUndefined();
        // Every map reference names one of the object's maps, through a map_fd lddw.
        for (const r of p.relocations.filter((x) => x.kind === "map")) {
          const ins = p.insns[r.insn]!;
          expect([ins.src, obj.maps[ins.imm]?.name]).toEqual([Pseudo.MAP_FD, r.target]);
        }
        expect(p.lines.size, `${p.name}: line info`).toBeGreaterThan(5);
      }
      for (const v of verifyObject(obj, { helpers })) {
        expect(v.message, v.program.name).toBeUndefined();
        expect(v.status).toBe("accepted");
      }
    });
  }

  it("map references per object (each lddw of a map, counted)", () => {
    const refs = Object.fromEntries(Object.keys(EXPECTED).map((n) => [n, load(n).programs.reduce((k, p) => k + p.relocations.filter((r) => r.kind === "map").length, 0)]));
    expect(refs).toEqual({
      calls_loop: 1, ipv6_parser: 1, l4_lb: 2, loop_parser: 2, proto_counter: 1, ringbuf_logger: 2, socket_ldabs: 0,
      syn_limiter: 2, tail_calls: 10, tc_classifier: 0, xdp_firewall: 1, xdp_parser: 0,
      tc_pull_relative: 14, tc_snat: 3, xdp_alu_v4: 1, xdp_lpm_acl: 9, xdp_qinq_v6ext: 2,
      // stats: 1 lookup; dns: 2 + 2 (inlined helpers); ct_nat: state + 6 on ct_map; katran: 2 vip +
      // 5 inlined stat_inc + 2 lru + ring + real + ctl.
      xdp_stats_rewrite: 1, xdp_dns: 4, tc_ct_nat: 7, xdp_katran_lb: 12,
      xdp_core_headers: 8, // count() inlined at each of its 8 calls
    });
  });

  it("calls_loop.o: .text subprograms appended depth-first as they are called, calls rewritten", () => {
    const p = load("calls_loop").programs[0]!;
    // ipv4_csum is called first (insn 26), so it comes first although count_verdict leads .text.
    expect(p.functions.map((f) => [f.name, f.section, f.start, f.at, f.length])).toEqual([
      ["calls_loop", "xdp", 0, 0, 35], ["ipv4_csum", ".text", 15, 35, 23], ["count_verdict", ".text", 0, 58, 15],
    ]);
    for (const r of p.relocations.filter((x) => x.kind === "call")) {
      const ins = p.insns[r.insn]!;
      const target = r.insn + ins.imm + 1;
      expect(p.functions.find((f) => f.at === target)?.name).toBe(r.target);
      expect(ins.src).toBe(CallSrc.LOCAL);
    }
  });

  it("tail_calls.o: jmp_table's static slots name the stage programs", () => {
    const obj = load("tail_calls");
    expect(obj.maps[0]!.slots).toEqual([{ index: 1, program: "tail_ipv4" }, { index: 2, program: "tail_ipv6" }, { index: 3, program: "tail_final" }]);
    expect(findProgram(obj).name).toBe("tail_entry"); // the only program no slot names
  });
});

/** Our instruction with map fds replaced by map names and local calls by (function, offset). */
function normalised(p: ObjectProgram | { insns: readonly Insn[] }, i: number, mapName: (fd: number) => string | undefined, fnAt: (slot: number) => string): unknown {
  const ins = p.insns[i]!;
  const def = describeInsn(ins);
  if (def?.kind === "lddw" && ins.src === Pseudo.MAP_FD) return [ins.opcode, ins.dst, "map", mapName(ins.imm)];
  if (def?.kind === "call" && ins.src === CallSrc.LOCAL) return [ins.opcode, "call", fnAt(i + ins.imm + 1)];
  return [ins.opcode, ins.dst, ins.src, ins.off, ins.imm];
}

describe("the same code as the verifier tests' stop-gap linker (test/verifier/elf-programs.ts)", () => {
  const theirs = loadElfPrograms();
  it("every program they link, function by function", () => {
    expect(theirs.length).toBe(14);
    for (const t of theirs) {
      const [file, fn] = t.name.split(":") as [string, string];
      const obj = load(file);
      const ours = obj.programs.find((p) => p.name === fn)!;
      expect(ours.type).toBe(t.type);
      // Their layout: the entry function, then all of .text in section order.
      const entryLength = ours.functions[0]!.length;
      const theirStart = (f: { section: string; start: number }) => (f.section === ".text" ? entryLength + f.start : 0);
      const theirFnAt = (slot: number) => {
        const f = ours.functions.find((g) => slot >= theirStart(g) && slot < theirStart(g) + g.length);
        return f ? `${f.name}+${slot - theirStart(f)}` : `slot ${slot}`;
      };
      const ourFnAt = (slot: number) => {
        const f = ours.functions.find((g) => slot >= g.at && slot < g.at + g.length)!;
        return `${f.name}+${slot - f.at}`;
      };
      for (const f of ours.functions) {
        for (let k = 0; k < f.length; k++) {
          expect(normalised(ours, f.at + k, (fd) => obj.maps[fd]?.name, ourFnAt), `${t.name} ${f.name}+${k}`)
            .toEqual(normalised(t, theirStart(f) + k, (fd) => t.maps[fd]?.name, theirFnAt));
        }
      }
      // Their map table (from the C sources) has the same maps as ours (BTF).
      expect(obj.maps.map((m) => [m.name, m.spec.type, m.spec.keySize, m.spec.valueSize, m.spec.maxEntries]).sort())
        .toEqual(t.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]).sort());
    }
  });
});

describe("instantiated and run (interpreter)", () => {
  const packets = generate("mix:400:seed=11");
  const interp = new Interpreter();

  it("tail_calls.o: the chain runs through the statically wired slots", () => {
    const loaded = instantiateObjectNode(load("tail_calls"), undefined);
    expect(loaded.entry.name).toBe("tail_entry");
    expect([...loaded.tailPrograms.keys()]).toEqual(["tail_ipv4", "tail_ipv6", "tail_final"]);
    expect([...loaded.verification.keys()].sort()).toEqual(["tail_entry", "tail_final", "tail_ipv4", "tail_ipv6"]);
    const jmp = loaded.machine.maps.keyed("jmp_table");
    expect([0, 1, 2, 3].map((i) => jmp.lookup(i)?.[0])).toEqual([undefined, 1, 2, 3]); // slot 0 empty
    const runner = new PacketRunner(loaded.machine, interp.loadSync(loaded.program, loaded.machine));
    const batch = runner.runBatch(packets);
    const hits = [0, 1, 2, 3].map((i) => new DataView(loaded.machine.maps.keyed("stage_hits").lookup(i)!.buffer).getBigUint64(0, true));
    expect(hits[0]).toBe(BigInt(packets.length));
    expect(hits[1]! > 0n && hits[2]! > 0n).toBe(true);
    // The final stage runs after each IPv4/IPv6 stage whose header fit.
    expect(hits[3]! > 0n && hits[3]! <= hits[1]! + hits[2]!).toBe(true);
    expect(batch.verdicts.XDP_DROP).toBeGreaterThan(0); // ICMP, dropped by tail_final
  });

  it("globals.o: .data starts with its initial value and counts packets; .bss and .rodata as written", () => {
    const obj = loadObject(fixture("globals"));
    const loaded = instantiateObjectNode(obj, "globals");
    const runner = new PacketRunner(loaded.machine, interp.loadSync(loaded.program, loaded.machine));
    runner.runBatch(packets);
    const data = loaded.machine.maps.keyed(".data").lookup(0)!;
    expect(new DataView(data.buffer).getBigUint64(0, true)).toBe(7n + BigInt(packets.length));
    expect(new TextDecoder().decode(data.subarray(8, 12))).toBe("glob");
    const bss = loaded.machine.maps.keyed(".bss").lookup(0)!;
    expect(new DataView(bss.buffer).getUint32(0, true)).toBe(packets.at(-1)!.data.length);
    const counts = [0, 1, 2, 3].map((i) => Number(new DataView(bss.buffer).getBigUint64(8 + 8 * i, true)));
    expect(counts.reduce((a, b) => a + b)).toBe(packets.length);
    expect(loaded.machine.maps.keyed(".rodata").lookup(0)).toEqual(obj.maps.find((m) => m.name === ".rodata")!.initial);
  });

  it("legacy_maps.o: the legacy maps work as BTF ones do", () => {
    const loaded = instantiateObjectNode(loadObject(fixture("legacy_maps")), undefined);
    const runner = new PacketRunner(loaded.machine, interp.loadSync(loaded.program, loaded.machine));
    runner.runBatch(packets);
    const counters = [0, 1, 2, 3].map((i) => Number(new DataView(loaded.machine.maps.keyed("counters").lookup(i)!.buffer).getBigUint64(0, true)));
    expect(counters.reduce((a, b) => a + b)).toBe(packets.length);
    expect(loaded.machine.maps.keyed("flows").size).toBeGreaterThan(0);
  });

  it("verification is on by default and refuses a rejected program; verify: false skips it", () => {
    const obj = loadObject(fixture("unsafe"));
    expect(() => instantiateObjectNode(obj, "unchecked")).toThrow(/program 'unchecked' \(section 'xdp'\) was rejected by the verifier: insn 1: .*invalid access to packet/);
    const loaded = instantiateObjectNode(obj, "unchecked", { verify: false });
    expect(loaded.verified).toBe(false);
    expect(loaded.verification.size).toBe(0);
  });

  it("callbacks.o: a bpf_loop callback verifies and runs (sum of 0..9 = 45: XDP_PASS)", () => {
    const loaded = instantiateObjectNode(loadObject(fixture("callbacks")), "with_loop");
    expect(loaded.verified).toBe(true);
    const runner = new PacketRunner(loaded.machine, interp.loadSync(loaded.program, loaded.machine));
    expect(runner.runBatch(packets).verdicts).toEqual({ XDP_PASS: packets.length });
  });

  it("the core API takes the maps module explicitly (browser path)", () => {
    const loaded = instantiateObject(load("xdp_firewall"), undefined, { mapsModule: loadMapsModule(false) });
    expect(loaded.machine.maps.describe().map((m) => m.name)).toEqual(["allow"]);
  });
});

describe("the loader's fixtures", () => {
  it("globals.o: .data, .rodata, .bss and .rodata.str1.1 as single-entry arrays with their contents", () => {
    const obj = loadObject(fixture("globals"));
    expect(obj.maps.map((m) => [m.name, m.origin, m.spec.type, m.spec.keySize, m.spec.valueSize, m.spec.maxEntries, m.readonly, m.initial?.length])).toEqual([
      [".data", "data", 2, 4, 16, 1, false, 16],
      [".rodata", "data", 2, 4, 27, 1, true, 27],
      [".bss", "data", 2, 4, 40, 1, false, undefined],
      [".rodata.str1.1", "data", 2, 4, 11, 1, true, 11],
    ]);
    expect(new TextDecoder().decode(obj.maps[3]!.initial!)).toBe("sixty-four\0");
    const p = obj.programs[0]!;
    // Each global is an lddw map_value: map fd in imm, offset of the variable in the second imm.
    const values = p.relocations.filter((r) => r.kind === "map_value").map((r) => [r.target, r.offset]);
    expect(values).toContainEqual([".data", 0]); // packets
    expect(values).toContainEqual([".data", 8]); // tag
    expect(values).toContainEqual([".bss", 8]); // big_bss
    expect(values).toContainEqual([".rodata", 4]); // mode
    expect(values).toContainEqual([".rodata.str1.1", 0]); // "sixty-four"
    for (const r of p.relocations.filter((x) => x.kind === "map_value")) {
      const ins = p.insns[r.insn]!;
      expect([ins.src, obj.maps[ins.imm]!.name, p.insns[r.insn + 1]!.imm]).toEqual([Pseudo.MAP_VALUE, r.target, r.offset]);
    }
    // tag_len in .text is reached from two places and placed once.
    expect(p.functions.map((f) => f.name)).toEqual(["globals", "tag_len"]);
  });

  it("legacy_maps.o: 36-byte iproute2 records (any size dividing the section), flags kept", () => {
    const obj = loadObject(fixture("legacy_maps"));
    expect(obj.maps.map((m) => [m.name, m.origin, m.size, m.spec.type, m.spec.keySize, m.spec.valueSize, m.spec.maxEntries, m.spec.flags])).toEqual([
      ["counters", "legacy", 36, 2, 4, 8, 4, 0],
      ["flows", "legacy", 36, 1, 4, 4, 128, 1],
    ]);
    expect(obj.license).toBe("Proprietary");
    expect(obj.gplCompatible).toBe(false);
    expect(obj.programs.map((p) => [p.name, p.section, p.type])).toEqual([["legacy", "classifier", "sched_cls"]]);
  });

  it("sections.o: libbpf's section names, several programs per section, shared .text subprograms", () => {
    const obj = loadObject(fixture("sections"));
    expect(obj.programs.map((p) => [p.name, p.section, p.type ?? `(${p.sectionType?.kernel})`])).toEqual([
      ["xdp_one", "xdp", "xdp"], ["xdp_two", "xdp", "xdp"], ["xdp_devmap", "xdp/devmap", "xdp"], ["xdp_frags", "xdp.frags", "xdp"],
      ["tc_prog", "tc", "sched_cls"], ["cls_prog", "classifier/ingress", "sched_cls"], ["act_prog", "action", "(SCHED_ACT)"],
      ["sock_prog", "socket", "socket_filter"], ["sock_prog2", "socket/filter2", "socket_filter"],
      ["skskb_prog", "sk_skb/stream_verdict", "(SK_SKB)"], ["kprobe_prog", "kprobe/do_sys_open", "(KPROBE)"],
      ["tp_prog", "tracepoint/syscalls/sys_enter_openat", "(TRACEPOINT)"], ["optional_tc", "?tc", "sched_cls"],
    ]);
    const fns = (name: string) => obj.programs.find((p) => p.name === name)!.functions.map((f) => f.name);
    expect(fns("xdp_one")).toEqual(["xdp_one", "outer", "inner"]);
    expect(fns("xdp_two")).toEqual(["xdp_two", "inner"]);
    expect(fns("tc_prog")).toEqual(["tc_prog"]);
    const statuses = Object.fromEntries(verifyObject(obj, { helpers }).map((v) => [v.program.name, v.status]));
    expect(statuses).toMatchObject({ xdp_one: "accepted", xdp_two: "accepted", act_prog: "unsupported", kprobe_prog: "unsupported", tp_prog: "unsupported", skskb_prog: "unsupported", sock_prog2: "accepted", optional_tc: "accepted" });
    expect(obj.programs.find((p) => p.name === "kprobe_prog")!.unsupported).toMatch(/BPF_PROG_TYPE_KPROBE programs are not supported/);
    expect(() => instantiateObjectNode(obj, "kprobe_prog")).toThrow(/cannot run here: BPF_PROG_TYPE_KPROBE/);
  });

  it("legacy_sections.o: libbpf 0.x section names (xdp_*, xdp_devmap/, classifier_*, action_*) by prefix", () => {
    const obj = loadObject(fixture("legacy_sections"));
    expect(obj.programs.map((p) => [p.name, p.section, p.type ?? `(${p.sectionType?.kernel})`])).toEqual([
      ["xdp_stats1_func", "xdp_stats1", "xdp"], ["xdp_drop_func", "xdp_drop", "xdp"],
      ["xdp_devmap_old", "xdp_devmap/egress", "xdp"], ["cls_old", "classifier_ingress", "sched_cls"],
      ["act_old", "action_old", "(SCHED_ACT)"], ["no_type", "filter", "(undefined)"],
    ]);
    expect(obj.programs.find((p) => p.name === "no_type")!.unsupported).toMatch(/section 'filter' names no program type/);
    const statuses = Object.fromEntries(verifyObject(obj, { helpers }).map((v) => [v.program.name, v.status]));
    expect(statuses).toMatchObject({ xdp_stats1_func: "accepted", xdp_drop_func: "accepted", xdp_devmap_old: "accepted", cls_old: "accepted", act_old: "unsupported", no_type: "unsupported" });
  });

  it("devmap_egress.o: an xdp/devmap program may read xdp_md.egress_ifindex (BPF_XDP_DEVMAP); a plain xdp one may not", () => {
    const obj = loadObject(fixture("devmap_egress"));
    expect(obj.programs.map((p) => [p.name, p.sectionType?.expectedAttach])).toEqual([["for_devmap", 33], ["plain_xdp", undefined]]);
    const [devmap, plain] = verifyObject(obj, { helpers });
    expect(devmap!.status).toBe("accepted");
    expect([plain!.status, plain!.message]).toEqual(["rejected", "insn 0: ldxw %r1, [%r1+20]: invalid bpf_context access off=20 size=4 (path: 0)"]);
  });

  it("withProgramType: a loader's own choice of type for sections that name none (CLI --type)", () => {
    const obj = withProgramType(loadObject(fixture("legacy_sections")), "sched_cls");
    const p = obj.programs.find((x) => x.name === "no_type")!;
    expect([p.type, p.unsupported]).toEqual(["sched_cls", undefined]);
    expect(verifyObject(obj, { helpers }).find((v) => v.program.name === "no_type")!.status).toBe("accepted");
    expect(() => withProgramType(obj, "conformance")).toThrow(/program type 'conformance' cannot be chosen for an object's programs \(one of: xdp, sched_cls, socket_filter, cgroup_skb, lwt_in, lwt_out, lwt_xmit, lwt_seg6local\)/);
  });

  it("callbacks.o: a callback's address becomes a pc-relative BPF_PSEUDO_FUNC lddw and the callback is appended", () => {
    const p = loadObject(fixture("callbacks")).programs[0]!;
    const r = p.relocations.find((x) => x.kind === "func")!;
    expect(r.target).toBe("step");
    const ins = p.insns[r.insn]!;
    expect(ins.src).toBe(Pseudo.FUNC);
    expect(p.functions.find((f) => f.name === "step")!.at).toBe(r.insn + ins.imm + 1);
  });

  it("externs.o: kfunc, __ksym, __kconfig and CO-RE are refused per program, naming section and relocation", () => {
    const obj = loadObject(fixture("externs"));
    const err = (name: string) => obj.programs.find((p) => p.name === name)!.error?.message;
    expect(err("uses_kfunc")).toBe(`program 'uses_kfunc' (section 'xdp'): R_BPF_64_32 against 'bpf_rcu_read_lock' at 'xdp'+0x0 (insn 0): 'bpf_rcu_read_lock' is an extern function (a kfunc, __ksym) this runtime does not have (its kfuncs: ${Object.keys(KFUNC_IDS).join(", ")})`);
    expect(err("uses_ksym")).toMatch(/R_BPF_64_64 against 'bpf_prog_active' at 'xdp'\+0x18 \(insn 3\): 'bpf_prog_active' is a __ksym extern \(.ksyms\)/);
    expect(err("uses_kconfig")).toMatch(/R_BPF_64_64 against 'LINUX_KERNEL_VERSION' at 'xdp'\+0x60 \(insn 12\): .* __kconfig extern/);
    expect(err("uses_core")).toMatch(/CO-RE relocation field_exists on 'struct task_struct' \(access "0:1"\) at 'xdp'\+0x98 \(insn 19, in 'uses_core'\) cannot be satisfied: relocations are resolved only against the context structs this runtime defines/);
    expect(err("plain")).toBeUndefined();
    const e = obj.programs.find((p) => p.name === "uses_kfunc")!.error!;
    expect(e.where.offset).toBeGreaterThan(0); // the relocation entry
    expect(() => instantiateObjectNode(obj, "uses_kfunc")).toThrow(BpfError);
    expect(instantiateObjectNode(obj, "plain").entry.name).toBe("plain");
  });

  it("core_ctx.o: CO-RE field relocations on struct xdp_md / __sk_buff (vmlinux.h style) are satisfied by our layouts", () => {
    const obj = loadObject(fixture("core_ctx"));
    expect(obj.ext!.coreRelos.get("xdp")!.map((r) => [r.kindName, r.access])).toEqual([
      ["field_byte_offset", "0:1"], ["field_byte_offset", "0:0"], ["field_byte_offset", "0:4"],
    ]);
    expect(obj.ext!.coreRelos.get("tc")!.map((r) => r.access)).toEqual(expect.arrayContaining(["0:12:2", "0:0", "0:2", "0:4"]));
    expect(obj.programs.map((p) => [p.name, p.error?.message])).toEqual([["core_xdp", undefined], ["core_tc", undefined]]);
    expect(verifyObject(obj, { helpers }).map((v) => v.status)).toEqual(["accepted", "accepted"]);
  });

  it("xdp_core_headers.o: CO-RE relocations on packet headers (struct ethhdr, iphdr, ...) resolve to the object's layout, the wire format", () => {
    const obj = load("xdp_core_headers");
    const roots = new Set([...obj.ext!.coreRelos.values()].flat().map((r) => obj.btf!.typeName(r.typeId)));
    expect([...roots].sort()).toEqual(["struct ethhdr", "struct iphdr", "struct ipv6hdr", "struct tcphdr", "struct udphdr", "struct xdp_md"]);
    expect(obj.programs[0]!.error).toBeUndefined();
  });

  it("core_bad.o: a local struct xdp_md that disagrees with the real one is refused", () => {
    const p = loadObject(fixture("core_bad")).programs[0]!;
    expect(p.error?.message).toMatch(/CO-RE relocation field_byte_offset on 'struct xdp_md' \(access "0:1"\) at 'xdp'\+0x0 \(insn 0, in 'core_bad'\) cannot be satisfied: field 'data' is at offset 4 in the object, 0 here/);
  });

  it("a GPL-only helper in a non-GPL object is rejected with the kernel's words", () => {
    const bytes = fixture("globals");
    const at = findBytes(bytes, new TextEncoder().encode("GPL\0"));
    bytes[at] = 0x58; // "XPL"
    const obj = loadObject(bytes);
    expect(obj.gplCompatible).toBe(false);
    const [v] = verifyObject(obj, { helpers });
    expect(v!.status).toBe("rejected");
    expect(v!.message).toMatch(/call bpf_trace_printk#6: cannot call GPL-restricted function from non-GPL compatible program \(license "XPL"\)/);
  });
});

function findBytes(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  throw new Error("not found");
}

describe("findProgram", () => {
  const obj = loadObject(fixture("sections"));
  it("by function name, by a section holding one program", () => {
    expect(findProgram(obj, "tc_prog").name).toBe("tc_prog");
    expect(findProgram(obj, "classifier/ingress").name).toBe("cls_prog");
  });
  it("a section with two programs, an unknown name, and no name among many are refused with the choices", () => {
    expect(() => findProgram(obj, "xdp")).toThrow("section 'xdp' holds 2 programs; name one: xdp_one, xdp_two");
    expect(() => findProgram(obj, "nope")).toThrow(/no program 'nope' in the object \(programs: xdp_one \(xdp\), xdp_two \(xdp\),/);
    expect(() => findProgram(obj)).toThrow(/the object has 13 programs; choose one with --program/);
  });
});
