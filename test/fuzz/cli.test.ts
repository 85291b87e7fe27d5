// `ebpf-wasm fuzz` in-process, through the CLI's own entry point with captured output.
import { describe, expect, it } from "vitest";
import { main } from "../../bin/cli/main.js";
import type { Io } from "../../bin/cli/command.js";
import { engineNames } from "../../vm/engines.js";

async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => "" };
  const status = await main(["fuzz", ...args], io);
  return { status, stdout, stderr };
}

describe("ebpf-wasm fuzz", () => {
  it("refuses unknown engines, a single engine and bad seeds with one line each", async () => {
    const unknown = await cli(["--engines", "interpreter,nope"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe(`ebpf-wasm fuzz: unknown engine 'nope' (known: ${engineNames().join(", ")})\n`);
    const single = await cli(["--engines", "interpreter"]);
    expect(single.status).toBe(2);
    expect(single.stderr).toMatch(/needs at least two engines/);
    const seed = await cli(["--seed", "-1"]);
    expect(seed.status).toBe(2);
    expect(seed.stderr).toMatch(/--seed' needs an integer/);
    const huge = await cli(["--max-stmts", "10000000", "--iterations", "1"]);
    expect(huge.status).toBe(2);
    expect(huge.stderr).toMatch(/'--max-stmts' is at most 10000 .*got 10000000\n/);
  });

  it("--coverage tallies the generated instructions", async () => {
    const r = await cli(["--coverage", "--iterations", "400", "--seed", "3"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^sdiv\s+\d+$/m);
    expect(r.stdout).toMatch(/^91 of 91 instructions generated in 400 programs\n$/m);
  });

  it("runs interpreter vs jit and reports in JSON; --replay reruns one case", async () => {
    const r = await cli(["--engines", "interpreter,jit", "--iterations", "200", "--seed", "11", "--json"]);
    expect(r.stderr).toBe("");
    const stats = JSON.parse(r.stdout);
    expect(stats).toMatchObject({ programs: 200, mismatches: 0, engines: ["interpreter", "jit"] });
    expect(stats.slots).toBeGreaterThan(200);
    const replay = await cli(["--engines", "interpreter,jit", "--replay", "12345"]);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(/^interpreter: r0 = 0x[0-9a-f]+\njit: r0 = 0x[0-9a-f]+\ncase 12345: engines agree\n$/);
  }, 60_000);
});
