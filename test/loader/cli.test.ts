// The loader's commands as users run them: `node bin/ebpf-wasm.js disasm|maps|verify|run PROG.o`
// against the build in dist/ (`npm test` builds first).

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "../../corpus/gen/index.js";
import { readCapture, writePcap } from "../../vm/packets/index.js";
import { kernelAvailability } from "../kernel/available.js";
import { corpusFile, fixtureFile } from "./objects.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "ebpf-wasm.js");

interface Result { status: number | null; stdout: string; stderr: string }

function cli(...args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (r: Result): Record<string, unknown> => JSON.parse(r.stdout) as Record<string, unknown>;
const jsonLines = (r: Result): Array<Record<string, unknown>> => r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const noStackTrace = (r: Result) => expect(r.stderr).not.toMatch(/\n\s+at /);

let dir: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "bin", "cli", "main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
  dir = mkdtempSync(join(tmpdir(), "ebpf-wasm-loader-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ebpf-wasm verify", () => {
  it("accepts every program of tail_calls.o: exit 0, one line each", () => {
    const r = cli("verify", corpusFile("tail_calls"));
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.map((l) => l.split(":")[0])).toEqual([
      "ACCEPT tail_ipv4 (section 'xdp', xdp)", "ACCEPT tail_ipv6 (section 'xdp', xdp)",
      "ACCEPT tail_final (section 'xdp', xdp)", "ACCEPT tail_entry (section 'xdp', xdp)",
    ]);
    expect(lines[0]).toMatch(/: \d+ insns processed, 49 slots, [\d.]+ ms$/);
  });

  it("--json: one object per program with the documented fields; unsupported types are not accepted (exit 1)", () => {
    const r = cli("verify", fixtureFile("sections"), "--json");
    expect(r.status).toBe(1);
    const rows = jsonLines(r);
    expect(rows).toHaveLength(13);
    const one = rows.find((x) => x.name === "xdp_one")!;
    expect(Object.keys(one)).toEqual(["name", "section", "type", "status", "accepted", "insn", "message", "processed_insns", "ms"]);
    expect(one).toMatchObject({ section: "xdp", type: "xdp", status: "accepted", accepted: true, insn: null, message: null });
    expect(one.processed_insns).toBeGreaterThan(10);
    expect(rows.find((x) => x.name === "kprobe_prog")).toMatchObject({ type: "kprobe", status: "unsupported", accepted: false, processed_insns: null });
    expect(rows.filter((x) => x.status === "unsupported").map((x) => x.name)).toEqual(["act_prog", "skskb_prog", "kprobe_prog", "tp_prog"]);
  });

  it("--program selects one (exit 0 when it is accepted)", () => {
    const r = cli("verify", fixtureFile("sections"), "--program", "xdp_one");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ACCEPT xdp_one/);
  });

  it("--type runs a program whose section names no type as the type given (verify and run)", () => {
    const plain = cli("verify", fixtureFile("legacy_sections"), "--program", "no_type");
    expect(plain.status).toBe(1);
    expect(plain.stdout).toMatch(/^UNSUPPORTED no_type \(section 'filter'\): section 'filter' names no program type .*CLI --type\)/);
    const typed = cli("verify", fixtureFile("legacy_sections"), "--program", "no_type", "--type", "sched_cls");
    expect(typed.stdout).toMatch(/^ACCEPT no_type \(section 'filter', sched_cls\)/);
    const run = cli("run", fixtureFile("legacy_sections"), "--program", "no_type", "--type", "socket_filter", "--gen", "mix:20:seed=1", "--json");
    expect(json(run)).toMatchObject({ program: "no_type", type: "socket_filter", verdicts: { drop: 20 } });
    expect(cli("verify", fixtureFile("legacy_sections"), "--type", "kprobe").stderr).toMatch(/program type 'kprobe' cannot be chosen/);
  });

  it("a rejected program: exit 1 and the verifier's message with the instruction", () => {
    const r = cli("verify", fixtureFile("unsafe"));
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^REJECT unchecked \(section 'xdp', xdp\): insn 1: ldxb %r1, \[%r1\+12\]: invalid access to packet/);
    const [row] = jsonLines(cli("verify", fixtureFile("unsafe"), "--json"));
    expect(row).toMatchObject({ status: "rejected", accepted: false, insn: 1 });
  });

  it("--log 1 prints the verifier's log before the verdict", () => {
    const r = cli("verify", corpusFile("xdp_firewall"), "--log", "1");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--- verifier log of xdp_firewall ---\n[\s\S]*processed \d+ insns[\s\S]*\nACCEPT xdp_firewall/);
    expect(cli("verify", corpusFile("xdp_firewall"), "--log", "3").status).toBe(2);
  });

  it("a program that cannot be linked: exit 2", () => {
    const r = cli("verify", fixtureFile("externs"), "--program", "uses_kfunc");
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^ERROR uses_kfunc \(section 'xdp', xdp\): cannot load: .*R_BPF_64_32 against 'bpf_rcu_read_lock'/);
  });

  it("a file that is not an object, a truncated one, a missing one, an unknown program: exit 2, one line", () => {
    const notElf = join(dir, "not.o");
    writeFileSync(notElf, "hello");
    const truncated = join(dir, "cut.o");
    writeFileSync(truncated, readFileSync(corpusFile("xdp_firewall")).subarray(0, 3000));
    for (const args of [[notElf], [truncated], [join(dir, "missing.o")], [corpusFile("xdp_firewall"), "--program", "nope"]]) {
      const r = cli("verify", ...args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^ebpf-wasm verify: cannot load '.*': /);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      noStackTrace(r);
    }
  });
});

describe("ebpf-wasm maps", () => {
  it("tail_calls.o: type, sizes, C types from BTF, and the static slots", () => {
    const r = cli("maps", corpusFile("tail_calls"));
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")).toEqual([
      "fd  name        type          key        value      max_entries  flags  defined in",
      "0   jmp_table   prog_array    4          4          4            0      btf '.maps'",
      "1   l4_proto    percpu_array  4 (__u32)  4 (__u32)  1            0      btf '.maps'",
      "2   stage_hits  array         4 (__u32)  8 (__u64)  4            0      btf '.maps'",
      "jmp_table: [1] = tail_ipv4, [2] = tail_ipv6, [3] = tail_final",
      "",
    ]);
  });

  it("--json: legacy maps with flags, global data with contents", () => {
    const legacy = JSON.parse(cli("maps", fixtureFile("legacy_maps"), "--json").stdout) as Array<Record<string, unknown>>;
    expect(legacy).toEqual([
      { fd: 0, name: "counters", type: "array", type_id: 2, key_size: 4, value_size: 8, max_entries: 4, flags: 0, origin: "legacy", section: "maps", readonly: false },
      { fd: 1, name: "flows", type: "hash", type_id: 1, key_size: 4, value_size: 4, max_entries: 128, flags: 1, origin: "legacy", section: "maps", readonly: false },
    ]);
    const globals = JSON.parse(cli("maps", fixtureFile("globals"), "--json").stdout) as Array<Record<string, unknown>>;
    expect(globals.map((m) => [m.name, m.readonly, m.initial])).toEqual([
      [".data", false, "0700000000000000676c6f6200000000"],
      [".rodata", true, expect.stringMatching(/^e803000002/)], // drop_above = 1000, mode = 2, then the printk format
      [".bss", false, undefined],
      [".rodata.str1.1", true, "73697874792d666f757200"],
    ]);
  });

  it("an object without maps", () => {
    expect(cli("maps", corpusFile("xdp_parser")).stdout).toBe("no maps\n");
  });
});

describe("ebpf-wasm disasm", () => {
  it("calls_loop.o: source lines from .BTF.ext, subprogram labels, call targets and map names", () => {
    const r = cli("disasm", corpusFile("calls_loop"));
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out.split("\n")[0]).toBe("calls_loop: section 'xdp' (xdp), 73 slots");
    expect(out).toContain("  ; calls_loop.c:41: int calls_loop(struct xdp_md *ctx)\n     0: mov32 %r6, 2\n");
    expect(out).toMatch(/\n    26: call local \+8  # ipv4_csum\n/);
    expect(out).toContain("\nipv4_csum:  ; from '.text'\n");
    expect(out).toMatch(/\n    \d+: lddw %r1, map_fd 0  # map 'verdicts'\n/);
    expect(out).toContain("; common.h:");
  });

  it("--no-source leaves the lines out; --program picks one; a program that cannot link shows why (exit 1)", () => {
    expect(cli("disasm", corpusFile("calls_loop"), "--no-source").stdout).not.toContain("; calls_loop.c");
    const one = cli("disasm", corpusFile("tail_calls"), "--program", "tail_final");
    expect(one.stdout.split("\n")[0]).toBe("tail_final: section 'xdp' (xdp), 28 slots");
    expect(one.stdout).not.toContain("tail_ipv4");
    const bad = cli("disasm", fixtureFile("externs"), "--program", "uses_ksym");
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/uses_ksym: section 'xdp' \(xdp\), 0 slots\n  cannot load: .*'bpf_prog_active' is a __ksym extern/);
  });

  it("global data references show the variable's section and offset", () => {
    expect(cli("disasm", fixtureFile("globals")).stdout).toMatch(/lddw %r1, map_value 1, 4  # '.rodata'\+4/);
  });
});

describe("ebpf-wasm run PROG.o", () => {
  it("--json: verdict counts by name, packets, maps as {key, value} hex, per-CPU values as arrays", () => {
    const r = cli("run", corpusFile("tail_calls"), "--gen", "mix:300:seed=4", "--json");
    expect(r.status).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({ program: "tail_entry", section: "xdp", type: "xdp", engine: "interpreter", verified: true, input: "gen mix:300:seed=4", packets: 300 });
    const verdicts = out.verdicts as Record<string, number>;
    expect(Object.values(verdicts).reduce((a, b) => a + b)).toBe(300);
    const maps = out.maps as Record<string, Array<{ key: string; value: string | string[] }>>;
    expect(maps.jmp_table).toEqual([{ key: "01000000", value: "01000000" }, { key: "02000000", value: "02000000" }, { key: "03000000", value: "03000000" }]);
    expect(maps.stage_hits![0]).toEqual({ key: "00000000", value: "2c01000000000000" }); // 300 entries into the chain
    expect(Array.isArray(maps.l4_proto![0]!.value)).toBe(true);
    expect(typeof out.ns_per_packet).toBe("number");
  });

  it("a capture with frames past the default 64 KiB packet slot (BIG TCP) runs whole: the slot is sized to its largest frame", () => {
    const file = join(dir, "big.pcap");
    const big = new Uint8Array(80_066);
    big.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45]); // Ethernet, IPv4
    const small = new Uint8Array(60).fill(7);
    writeFileSync(file, writePcap([small, big, small].map((data) => ({ data, ts: 0n, origLen: data.length, linkType: 1, iface: 0 }))));
    for (const engine of ["interpreter", "jit"]) {
      const r = cli("run", corpusFile("xdp_parser"), "--pcap", file, "--engine", engine, "--json", "--per-packet");
      expect(r.stderr, engine).toBe("");
      const out = json(r);
      expect(out.packets, engine).toBe(3);
      expect((out.results as Array<{ len: number }>).map((p) => p.len), engine).toEqual([60, 80_066, 60]);
    }
  });

  it("a map of maps whose inner PERF_EVENT_ARRAY has no max_entries gets a slot per CPU, as libbpf gives it (the selftests' test_map_in_map)", () => {
    for (const engine of ["interpreter", "jit", ...(kernelAvailability().ok ? ["kernel"] : [])]) {
      const r = cli("run", join(ROOT, "test", "kernel", "fixtures", "perf_inner.o"), "--gen", "mix:5:seed=1", "--engine", engine, "--json");
      expect(r.stderr, engine).toBe("");
      expect(json(r).verdicts, engine).toEqual({ XDP_PASS: 5 });
    }
  });

  it.skipIf(!kernelAvailability().ok)("--engine kernel: an object BTF the kernel refuses is dropped, as libbpf drops it, and the report says so", () => {
    const out = json(cli("run", fixtureFile("naked_btf"), "--gen", "mix:5:seed=1", "--engine", "kernel", "--json"));
    expect(out.verdicts).toEqual({ drop: 5 });
    expect(out.notes).toEqual([expect.stringMatching(/refused the object's BTF \(BPF_BTF_LOAD\): naked_filter loaded without it/)]);
  });

  it("the same verdicts and maps on the JIT", () => {
    const a = json(cli("run", corpusFile("tail_calls"), "--gen", "mix:300:seed=4", "--json"));
    const b = json(cli("run", corpusFile("tail_calls"), "--gen", "mix:300:seed=4", "--json", "--engine", "jit"));
    expect(b.engine).toBe("jit");
    expect([b.verdicts, b.maps]).toEqual([a.verdicts, a.maps]);
  });

  it("DEVMAP redirects by target and perf_event_output records per CPU in the report; the kernel runs it too", () => {
    const mapFile = join(dir, "tx_ports.json");
    writeFileSync(mapFile, JSON.stringify([0, 1, 2, 3].map((k) => ({ key: `0${k}000000`, value: "01000000 00000000" }))));
    const runs = ["interpreter", "jit", ...(kernelAvailability().ok ? ["kernel"] : [])].map((engine) =>
      json(cli("run", fixtureFile("devmaps"), "--program", "devmap_redirect", "--gen", "flood64:10", "--map", `tx_ports=${mapFile}`, "--engine", engine, "--json")));
    for (const out of runs) expect(out.verdicts, String(out.engine)).toEqual({ XDP_REDIRECT: 10 });
    for (const out of runs.slice(0, 2)) {
      const redirects = out.redirects as Record<string, number>;
      expect(Object.values(redirects).reduce((a, b) => a + b)).toBe(10);
      for (const target of Object.keys(redirects)) expect(target).toMatch(/^tx_ports\[[0-3]\] -> ifindex 1$/);
      expect(out.perf).toEqual({ records: 10, byCpu: { 0: 10 }, first: Array.from({ length: 8 }, () => ({ cpu: 0, index: 0, data: "3c000000" })), lost: 0 }); // 60-byte frames (64 on the wire with the FCS)
      expect((out.maps as Record<string, unknown>).events).toEqual([{ slot: 0, cpu: 0 }]);
    }
    if (runs[2]) expect(runs[2].notes).toEqual([expect.stringMatching(/perf event array.*-ENOENT/)]);
  });

  it("a socket filter reading at SKF_NET_OFF sees a packet socket's network header here; the kernel engine says its test run differs there", () => {
    const out = json(cli("run", fixtureFile("socket_net_off"), "--gen", "mix:50:seed=1", "--json"));
    const ipv4Tcp = generate("mix:50:seed=1").filter((p) => p.data[12] === 0x08 && p.data[13] === 0x00 && p.data[23] === 6).length;
    expect(ipv4Tcp).toBeGreaterThan(0);
    expect(out.verdicts).toEqual({ accept: ipv4Tcp, drop: 50 - ipv4Tcp });
    expect(json(cli("run", fixtureFile("socket_net_off"), "--gen", "mix:50:seed=1", "--json", "--engine", "jit")).verdicts).toEqual(out.verdicts);
    if (!kernelAvailability().ok) return;
    const kernel = json(cli("run", fixtureFile("socket_net_off"), "--gen", "mix:50:seed=1", "--json", "--engine", "kernel"));
    expect(kernel.notes).toEqual([expect.stringMatching(/reads relative to the MAC or network header.*14 bytes before a packet socket's/)]);
    // A socket filter without such reads gets no such note.
    const plain = json(cli("run", corpusFile("socket_ldabs"), "--gen", "mix:50:seed=1", "--json", "--engine", "kernel"));
    expect(plain.notes ?? []).not.toContainEqual(expect.stringMatching(/MAC or network header/));
  });

  it("--map .rodata sets const volatile configuration before loading: the verifier (ours and the kernel's) judges the values the program runs with", () => {
    // rodata.o's rodata_offset reads data[field_off] and data[field_off + 1] after checking 14 bytes.
    const rodata = (fieldOff: number): string => {
      const file = join(dir, `rodata-${fieldOff}.json`);
      writeFileSync(file, JSON.stringify([{ key: "00000000", value: `08000000 ${fieldOff.toString(16).padStart(2, "0")}000000` }]));
      return `.rodata=${file}`;
    };
    const engines = ["interpreter", "jit", ...(kernelAvailability().ok ? ["kernel"] : [])];
    const run = (engine: string, fieldOff: number) =>
      cli("run", fixtureFile("rodata"), "--program", "rodata_offset", "--gen", "imix:50:seed=1", "--map", rodata(fieldOff), "--engine", engine, "--json");
    for (const engine of engines) {
      const ok = run(engine, 11); // bytes 11 and 12: in bounds, and not 0x08 at 11 on these frames
      expect(ok.status, `${engine}: ${ok.stderr}`).toBe(0);
      expect(json(ok).verdicts, engine).toEqual({ XDP_DROP: 50 });
      expect((json(ok).maps as Record<string, unknown>)[".rodata"], engine).toEqual([{ key: "00000000", value: "080000000b000000" }]);
      const bad = run(engine, 13); // byte 14 is past the 14 checked bytes
      expect(bad.status, engine).not.toBe(0);
      expect(bad.stderr, engine).toMatch(/invalid access to packet, off=14 size=1/);
      noStackTrace(bad);
    }
    // verify takes the same global data: the verdict follows the configuration.
    expect(cli("verify", fixtureFile("rodata"), "--program", "rodata_offset", "--map", rodata(11)).status).toBe(0);
    const refused = cli("verify", fixtureFile("rodata"), "--program", "rodata_offset", "--map", rodata(13));
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/invalid access to packet, off=14 size=1/);
    // Other maps' entries change nothing there: said, not ignored.
    const allow = join(dir, "verify-allow.json");
    writeFileSync(allow, JSON.stringify([{ key: "0a000001 0a000002 0050 0000", value: "01000000" }]));
    const other = cli("verify", corpusFile("xdp_firewall"), "--map", `allow=${allow}`);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/--map allow: verify takes global data \(.rodata, .data, .bss\) only/);
  });

  it("--map fills a map before the run; --per-packet lists results; --out writes the packets that were not dropped", () => {
    const mapFile = join(dir, "allow.json");
    // Allow nothing specific: one entry, to see it come back.
    writeFileSync(mapFile, JSON.stringify([{ key: "0a000001 0a000002 0050 0000", value: "01000000" }]));
    const out = join(dir, "out.pcap");
    const r = cli("run", corpusFile("xdp_firewall"), "--gen", "mix:200:seed=2", "--map", `allow=${mapFile}`, "--per-packet", "--out", out, "--json");
    expect(r.status).toBe(0);
    const res = json(r);
    expect((res.maps as Record<string, unknown>).allow).toEqual([{ key: "0a0000010a00000200500000", value: "01000000" }]);
    const results = res.results as Array<{ index: number; verdict: string; retval: string; len: number }>;
    expect(results).toHaveLength(200);
    expect(results[0]).toEqual({ index: 0, verdict: expect.stringMatching(/^XDP_/), retval: expect.stringMatching(/^0x/), len: expect.any(Number) });
    const kept = results.filter((x) => x.verdict !== "XDP_DROP" && x.verdict !== "XDP_ABORTED");
    const written = readCapture(new Uint8Array(readFileSync(out))).packets;
    expect(written.map((p) => p.data.length)).toEqual(kept.map((x) => x.len));
  });

  it("--no-verify runs a program the verifier rejects, and says so loudly", () => {
    const refused = cli("run", fixtureFile("unsafe"), "--gen", "mix:10");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/program 'unchecked' \(section 'xdp'\) was rejected by the verifier: insn 1/);
    const r = cli("run", corpusFile("xdp_parser"), "--gen", "mix:10", "--no-verify", "--json");
    expect(r.stderr).toMatch(/WARNING: --no-verify: the program runs WITHOUT verification/);
    expect(json(r).verified).toBe(false);
    expect(cli("run", corpusFile("xdp_parser"), "--gen", "mix:10", "--no-verify").stdout).toMatch(/NOT VERIFIED \(--no-verify\)/);
  });

  it("usage errors: conformance options with an object, object options without one, bad --map", () => {
    expect(cli("run", corpusFile("xdp_parser"), "--raw", "x").status).toBe(2);
    expect(cli("run", "--pcap", "x.pcap").status).toBe(2);
    const r = cli("run", corpusFile("xdp_firewall"), "--map", "nope=x.json");
    expect([r.status, r.stderr.trim()]).toEqual([1, "ebpf-wasm run: --map nope: the object has no map 'nope' (maps: allow)"]);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify([{ key: "01", value: "01000000" }]));
    expect(cli("run", corpusFile("xdp_firewall"), "--map", `allow=${bad}`).stderr).toMatch(/entry 0: key is 1 bytes, map 'allow' has 12-byte keys/);
    const kprobe = cli("run", fixtureFile("sections"), "--program", "kprobe_prog");
    expect([kprobe.status, kprobe.stderr]).toEqual([1, expect.stringMatching(/cannot run here: BPF_PROG_TYPE_KPROBE programs are not supported/)]);
  });

  const kernel = kernelAvailability();
  if (!kernel.ok) console.log(`skipped: no kernel bpf() (${kernel.reason})`);
  it.skipIf(!kernel.ok)("--engine kernel: the kernel's verdicts and maps equal the interpreter's", () => {
    const mapFile = join(dir, "allow2.json");
    writeFileSync(mapFile, JSON.stringify([{ key: "0a000001 0a000002 0050 0000", value: "01000000" }]));
    // imix frames are all long enough for BPF_PROG_TEST_RUN (it refuses frames under 14 bytes).
    const args = ["run", corpusFile("xdp_firewall"), "--gen", "imix:300:seed=9", "--map", `allow=${mapFile}`, "--json"];
    const here = json(cli(...args));
    const there = json(cli(...args, "--engine", "kernel"));
    expect(there.engine).toBe("kernel");
    expect([there.verdicts, there.maps]).toEqual([here.verdicts, here.maps]);
  });

  it.skipIf(!kernel.ok)("--engine kernel: ringbuf_logger's ring records (read back from the kernel) equal the interpreter's and the JIT's", () => {
    // 11,000 SYNs of 24-byte records overflow the 256 KiB ring: 10,922 fit (the producer stays
    // at most size - 1 bytes ahead), the other 78 are counted in ring_full.
    const args = ["run", corpusFile("ringbuf_logger"), "--gen", "syn:11000:seed=3", "--json"];
    const here = json(cli(...args));
    const jit = json(cli(...args, "--engine", "jit"));
    const there = json(cli(...args, "--engine", "kernel"));
    expect(there.engine).toBe("kernel");
    const maps = there.maps as Record<string, unknown[]>;
    expect(maps["events"]!.length).toBe(10922);
    expect(maps["ring_full"]).toEqual([{ key: "00000000", value: "4e00000000000000" }]);
    expect([there.verdicts, there.maps]).toEqual([here.verdicts, here.maps]);
    expect([jit.verdicts, jit.maps]).toEqual([here.verdicts, here.maps]);
  });
});
