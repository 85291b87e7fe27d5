// Objects whose maps BPF_MAP_CREATE refuses (test/loader/fixtures/refused/*.c) cannot be loaded:
// `verify` says which map, field and rule (exit 2), `maps` lists the reason, instantiating
// throws the same — and the kernel refuses each of those maps with the errno we name. And an
// object whose maps carry access flags the kernel accepts (fixtures/map_flags.c:
// BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_F_RDONLY, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU) runs
// alike on the interpreter, the JIT and in the kernel.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runInKernel } from "../../bin/cli/commands/run-kernel.js";
import { generate } from "../../corpus/gen/index.js";
import { loadObject, mapCreationError, verifyObject } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import type { BpfMap } from "../../vm/maps/map.js";
import { KernelError } from "../../vm/node/kernel/bridge.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { kernelAvailability } from "../kernel/available.js";
import { FIXTURE_DIR, fixture } from "./objects.js";

const ROOT = join(import.meta.dirname, "..", "..");
const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const refused = (name: string) => join(FIXTURE_DIR, "refused", `${name}.o`);

/** Each refused object: the message (after "map 'bad' (type): ") and the kernel's errno. */
const REFUSED: ReadonlyArray<readonly [string, string, number]> = [
  ["array_zero", "(array): max_entries must not be 0 (the kernel refuses it with -EINVAL)", 22],
  ["hash_key0", "(hash): key_size must not be 0 (the kernel refuses it with -EINVAL)", 22],
  ["lru_noprealloc", "(lru_hash): map_flags BPF_F_NO_PREALLOC: an LRU map is always preallocated (the kernel refuses it with -ENOTSUPP)", 524],
  ["legacy_flags", "(array): map_flags BPF_F_NO_PREALLOC not accepted for this map type (the kernel refuses it with -EINVAL)", 22],
  ["rdwr_prog", "(array): map_flags BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together (the kernel refuses it with -EINVAL)", 22],
  ["array_of_maps", "(array_of_maps): a map of maps needs an inner map template (BPF_MAP_CREATE's inner_map_fd; in C: __array(values, struct inner_map)) (the kernel refuses it with -EINVAL)", 22],
];

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "ebpf-wasm.js"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("an object whose map the kernel would refuse does not load", () => {
  for (const [name, says] of REFUSED) {
    it(name, () => {
      const obj = loadObject(new Uint8Array(readFileSync(refused(name))));
      const message = `map 'bad' ${says}`;
      expect(mapCreationError(obj.maps[0]!)?.message).toBe(message);
      expect(verifyObject(obj, { helpers: nodeHelperTables() }).map((v) => [v.status, v.message])).toEqual([["error", message]]);
      expect(() => instantiateObjectNode(obj, undefined)).toThrow(message);
      // Also without verification: the map is created before anything runs.
      expect(() => instantiateObjectNode(obj, undefined, { verify: false })).toThrow(message);
    });
  }

  it("ebpf-wasm verify: exit 2 naming the map; ebpf-wasm maps: the reason under the table", () => {
    const v = cli("verify", refused("array_zero"));
    expect([v.status, v.stdout]).toEqual([2, `ERROR uses_bad (section 'xdp', xdp): cannot load: map 'bad' ${REFUSED[0]![1]}\n`]);
    const m = cli("maps", refused("array_zero"));
    expect(m.status).toBe(0);
    expect(m.stdout).toContain(`\nrefused: map 'bad' ${REFUSED[0]![1]}\n`);
    const j = cli("maps", refused("hash_key0"), "--json");
    expect((JSON.parse(j.stdout) as Array<Record<string, unknown>>)[0]!.error).toBe(`map 'bad' ${REFUSED[1]![1]}`);
    // A loadable object lists no refusal.
    expect(cli("maps", join(FIXTURE_DIR, "map_flags.o")).stdout).not.toContain("refused");
  });
});

describe.skipIf(!status.ok)("the kernel refuses those maps with the errno we name", () => {
  for (const [name, , errno] of REFUSED) {
    it(name, () => {
      const { spec } = loadObject(new Uint8Array(readFileSync(refused(name)))).maps[0]!;
      let got = 0;
      try {
        kernelBridge().createMap(spec).close();
      } catch (err) {
        if (!(err instanceof KernelError)) throw err;
        got = err.errno;
      }
      expect(got).toBe(errno);
    });
  }
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([n]).buffer);

describe("map access flags: interpreter, JIT and kernel agree", () => {
  // Frames of at least 14 bytes: BPF_PROG_TEST_RUN refuses shorter ones.
  const packets = generate("mix:300:seed=5").filter((p) => p.data.length >= 14);
  // config (BPF_F_RDONLY_PROG: programs read it, user space writes it): mode 1, limit 200.
  const config = { map: "config", entries: [{ key: u32(0), value: u64(1n) }, { key: u32(1), value: u64(200n) }] };

  /** Verdicts and every readable map after a run on one of our engines. */
  async function ours(engineName: string) {
    const obj = loadObject(fixture("map_flags"));
    const loaded = instantiateObjectNode(obj, undefined);
    const maps = loaded.machine.maps;
    for (const e of config.entries) maps.keyed(config.map).update(e.key, e.value);
    const engine = await getEngine(engineName);
    const runner = new PacketRunner(loaded.machine, await engine.load(loaded.program, loaded.machine));
    try {
      const run = runner.runBatch(packets, { results: true });
      const dump = (name: string) => [...(maps.keyed(name) as BpfMap).entries()].map(([k, v]) => `${hex(k)}=${hex(v)}`).sort();
      return { retvals: run.results!.map((r) => Number(r.retval)), config: dump("config"), last: dump("last"), lengths: dump("lengths"), total: dump("total") };
    } finally {
      runner.dispose();
    }
  }

  it("interpreter and JIT", async () => {
    const [i, j] = [await ours("interpreter"), await ours("jit")];
    expect(j).toEqual(i);
    // The program wrote only what it may: `last` holds the last length, `lengths` counts them.
    expect(i.last[0]).toBe(`00000000=${hex(u64(BigInt(packets.at(-1)!.data.length)))}`);
    expect(i.lengths.length).toBeGreaterThan(10);
  });

  it.skipIf(!status.ok)("kernel", async () => {
    const obj = loadObject(fixture("map_flags"));
    const k = runInKernel(obj, obj.programs[0]!, packets, [{ map: config.map, file: "(test)", entries: config.entries }], { verify: true, results: true });
    const i = await ours("interpreter");
    expect(k.results!.map((r) => Number(r.retval))).toEqual(i.retvals);
    const dump = (name: string) => (k.maps[name] as Array<{ key: string; value: string }>).map((e) => `${e.key}=${e.value}`).sort();
    expect([dump("config"), dump("last"), dump("lengths"), dump("total")]).toEqual([i.config, i.last, i.lengths, i.total]);
  });
});
