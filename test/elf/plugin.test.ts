// bin/bpf-conformance-plugin end to end with ELF input, the way the bpf_conformance runner calls
// it with --elf true: `bpf-conformance-plugin [MEMORY_HEX] [options] --elf`, the object as hex
// bytes on stdin, r0 in hex on stdout. Runs the built CLI (npm test builds dist/ first).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { encode, insn } from "../../vm/isa/instruction.js";
import { conformanceStyleObject } from "./elf-builder.js";
import { fixture } from "./fixtures.js";

const PLUGIN = fileURLToPath(new URL("../../bin/bpf-conformance-plugin", import.meta.url));

/** The runner's encoding: each byte as two hex digits followed by two spaces. */
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0") + "  ").join("");

function plugin(args: string[], stdin: string, env: Record<string, string> = {}) {
  const r = spawnSync("sh", [PLUGIN, ...args], { input: stdin + "\n", encoding: "utf8", env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

describe("bin/bpf-conformance-plugin --elf", () => {
  it("runs main of a clang object with its bpf-to-bpf calls", () => {
    const r = plugin(["--elf"], hex(fixture("local_calls")));
    expect(r.stderr).toBe("");
    expect(r).toMatchObject({ status: 0, stdout: "32" }); // 50
  });

  it("passes the memory argument (r1 = copy of it, r2 = its length)", () => {
    // r0 = r2 + byte at r1[1]
    const code = encode([insn(0xbf, 0, 2), insn(0x71, 3, 1, 1), insn(0x0f, 0, 3), insn(0x95)]);
    const r = plugin([hex(Uint8Array.of(1, 0x40, 3)), "--elf"], hex(conformanceStyleObject(code)));
    expect(r).toMatchObject({ status: 0, stdout: "43" }); // 3 + 0x40
  });

  it("takes the engine from EBPF_WASM_ENGINE and reports a bad object on stderr with exit 1", () => {
    const bad = plugin(["--elf"], hex(fixture("return_const").slice(0, 40)), { EBPF_WASM_ENGINE: "interpreter" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/truncated ELF header/);
    const unknown = plugin(["--elf"], hex(fixture("return_const")), { EBPF_WASM_ENGINE: "no-such-engine" });
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown engine 'no-such-engine'/);
  });
});
