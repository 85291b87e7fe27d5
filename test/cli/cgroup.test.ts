// `ebpf-wasm run PROG.o --cgroup host|FILE.json`: the cgroup of the task running the program
// (vm/helpers/packet/skb-cgroup.ts). fixtures/skb_ids.c (tc) writes skb_cgroup_id, its
// ancestors, get_cgroup_classid, get_route_realm, get_socket_uid and skb_ecn_set_ce into a map
// and counts the runs whose socket cookie was set and stable: with `--cgroup host` the
// interpreter, the JIT and `--engine kernel` fill the maps alike; a model from a file is what
// the program reads; a bad one is refused before anything runs.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostCgroupFor, kernelAvailability } from "../kernel/available.js";

const ROOT = join(import.meta.dirname, "..", "..");
const OBJECT = join(ROOT, "test", "kernel", "fixtures", "skb_ids.o");
const dir = mkdtempSync(join(tmpdir(), "ebpf-wasm-cgroup-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** bpf() and this process's cgroup, or why the kernel comparison is skipped (printed). */
const status = { ok: hostCgroupFor("cgroup.test.ts", kernelAvailability()) !== undefined };

interface Report {
  verdicts: Record<string, number>;
  maps: Record<string, Array<{ key: string; value: string }>>;
}

function run(args: string[]): { status: number | null; stderr: string; report?: Report } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "ebpf-wasm.js"), "run", OBJECT, "--gen", "udp:60:seed=9", "--json", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stderr: r.stderr, ...(r.status === 0 ? { report: JSON.parse(r.stdout) as Report } : {}) };
}

/** The ids map as u64s, slot by slot. */
const ids = (r: Report): bigint[] => r.maps.ids!.map((e) => Buffer.from(e.value, "hex").readBigUInt64LE(0));

describe("run --cgroup", () => {
  it.skipIf(!status.ok)("host: the interpreter, the JIT and the kernel fill the maps alike", () => {
    const kernel = run(["--engine", "kernel", "--cgroup", "host"]);
    expect(kernel.status, kernel.stderr).toBe(0);
    expect(kernel.report!.verdicts).toEqual({ TC_ACT_OK: 60 });
    for (const engine of ["interpreter", "jit"]) {
      const ours = run(["--engine", engine, "--cgroup", "host"]);
      expect(ours.status, ours.stderr).toBe(0);
      expect(ours.report!.verdicts, engine).toEqual(kernel.report!.verdicts);
      expect(ours.report!.maps, engine).toEqual(kernel.report!.maps);
    }
  });

  it("FILE.json: the program reads the model's ids and classid", () => {
    const file = join(dir, "cg.json");
    writeFileSync(file, JSON.stringify({ path: [1, 40, 41], classid: 0x100001 }));
    const r = run(["--cgroup", file]);
    expect(r.status, r.stderr).toBe(0);
    // cgroup id, ancestors 0 / 1 / 100, classid, realm, uid.
    expect(ids(r.report!).slice(0, 7)).toEqual([41n, 1n, 40n, 0n, 0x100001n, 0n, 0n]);
    expect(r.report!.verdicts).toEqual({ TC_ACT_OK: 60 });
    // Without --cgroup: the root cgroup.
    expect(ids(run([]).report!).slice(0, 3)).toEqual([1n, 1n, 0n]);
  });

  it("refuses a bad model, naming the file and field, and a model file with --engine kernel", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ path: [5, 6] }));
    const r = run(["--cgroup", bad]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`--cgroup ${bad}: cgroup.path[0]: 5 is not the root cgroup's id`);
    const k = run(["--cgroup", bad, "--engine", "kernel"]);
    expect(k.status).not.toBe(0);
    expect(k.stderr).toContain("only --cgroup host goes with --engine kernel");
  });
});
