// The command line as users and the bpf_conformance runner call it: `node bin/ebpf-wasm.js ...`
// against the build in dist/ (`npm test` builds first).
import { spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { encode } from "../../vm/isa/instruction.js";
import { conformanceStyleObject } from "../elf/elf-builder.js";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "ebpf-wasm.js");

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin = ""): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input: stdin, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Bytes as the bpf_conformance runner writes them: two hex digits and two spaces each. */
const runnerHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => `${b.toString(16).padStart(2, "0")}  `).join("");
const programHex = (asm: string): string => runnerHex(encode(assemble(asm)));

const noStackTrace = (r: Result) => expect(r.stderr).not.toMatch(/\n\s+at /);

let dir: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "bin", "cli", "main.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
  dir = mkdtempSync(join(tmpdir(), "ebpf-wasm-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ebpf-wasm conformance", () => {
  it("runs the whole corpus on the interpreter: 313 passed, 0 failed", () => {
    const r = cli(["conformance", "--engine", "interpreter"]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("313 passed, 0 failed");
    expect(lines.filter((l) => l.startsWith("PASS "))).toHaveLength(313);
    expect(lines).toContain("PASS prime");
    expect(r.status).toBe(0);
  }, 60_000);
  it("reports failures (with expected and actual r0) and exits 1", () => {
    const sub = join(dir, "tests");
    rmSync(sub, { recursive: true, force: true });
    spawnSync("mkdir", ["-p", sub]);
    writeFileSync(join(sub, "good.data"), "-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n");
    writeFileSync(join(sub, "wrong.data"), "-- asm\nmov %r0, 2\nexit\n-- result\n0x1\n");
    writeFileSync(join(sub, "broken.data"), "-- asm\nfrobnicate %r0\nexit\n-- result\n0x1\n");
    const r = cli(["conformance", sub]);
    expect(r.stdout.split("\n")).toEqual([
      "FAIL broken: broken: line 2: unknown mnemonic 'frobnicate' in 'frobnicate %r0'",
      "PASS good",
      "FAIL wrong: expected 0x1, got 0x2",
      "1 passed, 2 failed",
      "",
    ]);
    expect(r.status).toBe(1);
  });
  it("takes files, --filter and --quiet", () => {
    const corpus = join(ROOT, "corpus", "conformance", "bpf_conformance");
    const r = cli(["conformance", join(corpus, "prime.data"), join(corpus, "callx.data"), "--quiet"]);
    expect(r.stdout).toBe("2 passed, 0 failed\n");
    const f = cli(["conformance", "--filter", "^lock_.*32$"]);
    expect(f.stdout.trimEnd().split("\n").at(-1)).toBe("10 passed, 0 failed");
  });
  it("--opt selects the JIT's optimisation level (Binaryen passes); other values are refused", () => {
    const f = cli(["conformance", "--engine", "jit", "--opt", "1", "--filter", "^lock_.*32$"]);
    expect(f.stdout.trimEnd().split("\n").at(-1)).toBe("10 passed, 0 failed");
    const bad = cli(["conformance", "--engine", "jit", "--opt", "7"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--opt takes 0, 1, 2 or 3, got '7'/);
  });
  it("a missing directory is a one-line error", () => {
    const r = cli(["conformance", join(dir, "nope")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^ebpf-wasm conformance: cannot read '.*nope': no such file or directory\n$/);
  });
  it("an unknown engine is a one-line error", () => {
    const r = cli(["conformance", "--engine", "abacus"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown engine 'abacus' \(known: interpreter/);
    noStackTrace(r);
  });
});

describe("ebpf-wasm plugin (bpf_conformance protocol)", () => {
  const mem = runnerHex(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  it("memory as the first argument, program as hex on stdin, r0 in hex on stdout", () => {
    const r = cli(["plugin", mem, "--engine", "interpreter"], `${programHex("ldxdw %r0, [%r1]\nexit")}\n`);
    expect(r).toEqual({ status: 0, stdout: "807060504030201\n", stderr: "" });
  });
  it("without memory: r1 points at an empty input and r2 = 0", () => {
    const r = cli(["plugin"], `${programHex("mov %r0, %r2\nadd %r0, 0x2a\nexit")}\n`);
    expect(r.stdout).toBe("2a\n");
  });
  it("accepts the older runner's argv: empty memory, options as one argument", () => {
    const r = cli(["plugin", "", "--engine interpreter"], programHex("mov %r0, 7\nexit"));
    expect(r).toEqual({ status: 0, stdout: "7\n", stderr: "" });
  });
  it("r0 is printed as a full 64-bit value", () => {
    expect(cli(["plugin"], programHex("mov %r0, -1\nexit")).stdout).toBe("ffffffffffffffff\n");
  });
  it("helper 5 returns and execution continues (call_unwind_fail)", () => {
    expect(cli(["plugin"], programHex("mov %r1, -1\ncall 5\nmov %r0, 2\nexit")).stdout).toBe("2\n");
  });
  it("--elf: the program is function main of an ELF object", () => {
    const elf = conformanceStyleObject(encode(assemble("ldxb %r0, [%r1+7]\nexit")));
    const r = cli(["plugin", mem, "--elf"], runnerHex(elf));
    expect(r).toEqual({ status: 0, stdout: "8\n", stderr: "" });
  });
  it("--elf with main in section xdp runs as XDP (the runner's --xdp_prolog)", () => {
    const prolog = "mov %r6, %r1\nldxw %r1, [%r6+0]\nldxw %r2, [%r6+4]\nsub %r2, %r1\n";
    const elf = conformanceStyleObject(encode(assemble(`${prolog}ldxb %r0, [%r1+1]\nlsh %r2, 8\nadd %r0, %r2\nexit`)), "xdp");
    expect(cli(["plugin", mem, "--elf", "--no-verify"], runnerHex(elf)).stdout).toBe("802\n");
  });
  it("--elf verifies first: a packet read without a bounds check is refused, as the kernel does", () => {
    const prolog = "mov %r6, %r1\nldxw %r1, [%r6+0]\nldxw %r2, [%r6+4]\nsub %r2, %r1\n";
    const elf = conformanceStyleObject(encode(assemble(`${prolog}ldxb %r0, [%r1+1]\nexit`)), "xdp");
    const r = cli(["plugin", mem, "--elf"], runnerHex(elf));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the verifier rejected the program: insn 4: .*invalid access to packet/);
  });
  it("a fault: exit 1, the error on stderr, nothing on stdout", () => {
    const r = cli(["plugin", mem], programHex("ldxdw %r0, [%r1+8]\nexit"));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^ebpf-wasm plugin: insn 0 \(ldxdw %r0, \[%r1\+8\]\): invalid read of 8 bytes at 0x[0-9a-f]+: outside stack and input\n$/);
  });
  it("bad input is refused with the reason", () => {
    const unknown = cli(["plugin"], "8c 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00");
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe("ebpf-wasm plugin: insn 0: unknown opcode 0x8c\n");
    expect(cli(["plugin"], "95 00 00").stderr).toMatch(/bytecode length 3 is not a multiple of 8/);
    expect(cli(["plugin"], "9x").stderr).toMatch(/'x' is not a hex digit/);
    expect(cli(["plugin"], "").stderr).toMatch(/no program on stdin/);
    expect(cli(["plugin", "zz"], programHex("exit")).stderr).toMatch(/memory argument: 'z' is not a hex digit/);
    const e = cli(["plugin", "--elf"], runnerHex(new Uint8Array([1, 2, 3, 4])));
    expect(e.status).toBe(1);
    noStackTrace(e);
  });
});

describe("ebpf-wasm run", () => {
  it("--raw --json reports r0, ns_per_run and insns_per_run", () => {
    const prog = join(dir, "loop.bin");
    writeFileSync(prog, encode(assemble("mov %r0, 0\nmov %r1, 100\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit")));
    const r = cli(["run", "--raw", prog, "--engine", "interpreter", "--repeat", "50", "--json"]);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ engine: "interpreter", r0: "0x13ba", insns_per_run: 2 + 300 + 1, repeat: 50 });
    expect(report.ns_per_run).toBeGreaterThan(0);
    expect(report.ns_per_insn).toBeGreaterThan(0);
  });
  it("--mem gives r1/r2; text output without --json", () => {
    const prog = join(dir, "mem.bin");
    const mem = join(dir, "mem.in");
    writeFileSync(prog, encode(assemble("ldxb %r0, [%r1+1]\nadd %r0, %r2\nexit")));
    writeFileSync(mem, new Uint8Array([9, 40, 9]));
    const r = cli(["run", "--raw", prog, "--mem", mem, "--repeat", "3"]);
    expect(r.stdout).toMatch(/^r0 +0x2b\n/);
    expect(r.stdout).toMatch(/insns\/run +3\n/);
  });
  it("errors are one line and a non-zero exit", () => {
    const missing = cli(["run", "--raw", join(dir, "missing.bin")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^ebpf-wasm run: cannot read bytecode file '.*missing.bin': no such file or directory\n$/);
    const usage = cli(["run", "--raw"]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/option '--raw' needs a value/);
    const odd = join(dir, "odd.bin");
    writeFileSync(odd, new Uint8Array(5));
    expect(cli(["run", "--raw", odd]).stderr).toMatch(/bytecode length 5 is not a multiple of 8/);
    expect(cli(["run", "--raw", odd, "--repeat", "0"]).status).toBe(2);
  });
  it("a loop that never ends stops at --max-insns on both engines, with the loop's instruction", () => {
    const prog = join(dir, "spin.bin");
    writeFileSync(prog, encode(assemble("mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit")));
    for (const engine of ["interpreter", "jit"]) {
      const r = cli(["run", "--raw", prog, "--engine", engine, "--max-insns", "100000"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^ebpf-wasm run: insn 1 \(add %r0, 1\): instruction budget exhausted: .*100000 instructions/);
    }
    expect(cli(["run", "--raw", prog, "--max-insns", "0"]).stderr).toMatch(/'--max-insns' needs a positive integer/);
  });
});

describe("ebpf-wasm run PROG.o --out", () => {
  it("refuses to write over the capture it reads, under any name, and leaves it whole", () => {
    const pcap = join(dir, "in.pcap");
    const prog = join(ROOT, "corpus", "programs", "xdp_firewall.o");
    expect(cli(["run", prog, "--gen", "tcp:3", "--out", pcap]).status).toBe(0);
    const before = readFileSync(pcap);
    const link = join(dir, "in-link.pcap");
    linkSync(pcap, link);
    for (const out of [pcap, join(dir, ".", "in.pcap"), link]) {
      const r = cli(["run", prog, "--pcap", pcap, "--out", out]);
      expect(r.status, out).toBe(2);
      expect(r.stderr, out).toMatch(/--out .* is the capture --pcap reads: writing it would destroy the input/);
    }
    expect(readFileSync(pcap)).toEqual(before);
  });
});

describe("ebpf-wasm", () => {
  it("lists its commands", () => {
    const r = cli(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/conformance/);
    expect(r.stdout).toMatch(/plugin/);
  });
  for (const command of ["conformance", "plugin", "run"]) {
    it(`${command} --help`, () => {
      const r = cli([command, "--help"]);
      expect(r.status).toBe(0);
      expect(r.stdout.startsWith(`Usage: ebpf-wasm ${command}`)).toBe(true);
    });
  }
  it("an unknown command or option exits 2 without a stack trace", () => {
    const r = cli(["frob"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frob'/);
    const o = cli(["conformance", "--frob"]);
    expect(o.status).toBe(2);
    expect(o.stderr).toMatch(/unknown option '--frob'/);
    noStackTrace(o);
  });
});
