// `run PROG.o --map NAME=FILE.json` with bad map files: every one is a one-line message naming
// the file, the entry and what is wrong, exit status 1, never an internal error (status 70).
// In-process (main with a captured Io), so each case costs milliseconds.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../bin/cli/main.js";

const ROOT = join(import.meta.dirname, "..", "..");
const FIREWALL = join(ROOT, "corpus", "programs", "xdp_firewall.o"); // allow: hash, 12-byte keys, 4-byte values
const COUNTER = join(ROOT, "corpus", "programs", "proto_counter.o"); // proto_count: percpu_array, 4 -> 8, 257 entries
const BLOOM = join(ROOT, "test", "kernel", "fixtures", "bloom_filter.o"); // small: bloom_filter, no key, 4-byte values
const dir = mkdtempSync(join(tmpdir(), "ebpf-wasm-mapfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(object: string, map: string, json: unknown): Promise<{ status: number; stderr: string }> {
  const file = join(dir, `${map}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof json === "string" ? json : JSON.stringify(json));
  const err: string[] = [];
  const io = { stdout: () => undefined, stderr: (t: string) => void err.push(t), readStdin: async () => "" };
  const status = await main(["run", object, "--gen", "tcp:2", "--map", `${map}=${file}`], io);
  return { status, stderr: err.join("").replace(file, "FILE").trimEnd() };
}

describe("bad --map files", () => {
  const key = "00".repeat(12);
  it.each<[string, string, string, unknown, RegExp]>([
    ["no key", FIREWALL, "allow", [{ value: "00000000" }], /map file 'FILE' entry 0 key: missing \(expected a hex string\)$/],
    ["no value", FIREWALL, "allow", [{ key }], /map file 'FILE' entry 0 value: missing \(expected a hex string\)$/],
    ["a number as the value", FIREWALL, "allow", [{ key, value: 5 }], /entry 0 value: expected a hex string, got 5$/],
    ["an odd number of hex digits", FIREWALL, "allow", [{ key: "000", value: "00000000" }], /entry 0 key: '000' is not a whole number of hex bytes$/],
    ["a short key", FIREWALL, "allow", [{ key: "00", value: "00000000" }], /entry 0: key is 1 bytes, map 'allow' has 12-byte keys$/],
    ["not JSON", FIREWALL, "allow", "{nope", /map file 'FILE': not JSON: /],
    ["not a list", FIREWALL, "allow", { x: 1 }, /expected an array of \{"key": HEX, "value": HEX\}/],
    ["per-CPU values on a plain map", FIREWALL, "allow", [{ key, value: ["00000000"] }], /one value per CPU is only for per-CPU maps$/],
    ["too many per-CPU values", COUNTER, "proto_count", [{ key: "00000000", value: ["00".repeat(8), "00".repeat(8)] }], /map 'proto_count': value of a per-CPU map needs 1 values \(one per CPU\), got 2$/],
    ["an index past max_entries", COUNTER, "proto_count", [{ key: "00000000", value: "00".repeat(8) }, { key: "01010000", value: "00".repeat(8) }], /--map proto_count=FILE: entry 1 \(key 01010000\): map 'proto_count': update failed with -E2BIG/],
    ["a field besides key and value", FIREWALL, "allow", [{ key, value: "00000000", flags: 1 }], /entry 0: unknown field 'flags' \(an entry has "key" and "value"\)$/],
    ["a key in a keyless map", BLOOM, "small", [{ value: "00000000" }, { key: "00000000", value: "01000000" }], /entry 1: map 'small' has no keys \(key_size 0: its entries are values to push\), but the entry has one$/],
    ["a bloom filter value of the wrong size", BLOOM, "small", [{ value: "000000" }], /entry 0: value is 3 bytes, map 'small' has 4-byte values$/],
    ["a key given twice", FIREWALL, "allow", [{ key, value: "00000000" }, { key: "01".repeat(12), value: "00000000" }, { key, value: "01000000" }], /entry 2: key 0{24} is entry 0's too$/],
  ])("%s: exit 1 with the reason", async (_what, object, map, json, message) => {
    const r = await run(object, map, json);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.status).toBe(1);
  });
});
