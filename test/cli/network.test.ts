// `ebpf-wasm run PROG.o --network FILE.json`: the network model bpf_fib_lookup sees
// (vm/net/model.ts), for our engines and — built in a private network namespace — for
// `--engine kernel`. fib_lookup.o's fib_xdp writes each lookup's result over its frame and
// passes the frames whose lookup succeeded, so the frames out carry r0 and the whole struct
// (MACs, ifindex): the interpreter's, the JIT's and the kernel's are the same. A bad model is refused before anything runs, naming the file and field.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { netnsAvailable } from "../../vm/node/kernel/netns.js";
import type { NetworkModel } from "../../vm/net/model.js";
import { kernelAvailability } from "../kernel/available.js";

const ROOT = join(import.meta.dirname, "..", "..");
const OBJECT = join(ROOT, "test", "kernel", "fixtures", "fib_lookup.o");
const dir = mkdtempSync(join(tmpdir(), "ebpf-wasm-network-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NET: NetworkModel = {
  devices: [
    { ifindex: 1, name: "lo", mtu: 65536 },
    { ifindex: 2, name: "v0", mac: "02:00:00:00:00:02", mtu: 1500, addresses: ["10.1.0.1/24", "fd00:1::1/64"], forwarding: true },
  ],
  routes: [{ dst: "0.0.0.0/0", via: "10.1.0.254" }, { dst: "10.9.0.0/16", type: "blackhole" }],
  neighbours: [{ ifindex: 2, ip: "10.1.0.254", mac: "02:00:00:00:00:fe" }],
};

const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const run = (args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin", "ebpf-wasm.js"), "run", OBJECT, "--program", "fib_xdp", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });

/** The frames in a pcap, as hex. */
function frames(path: string): string[] {
  const b = readFileSync(path);
  const out: string[] = [];
  for (let o = 24; o < b.length; ) {
    const n = b.readUInt32LE(o + 8);
    out.push(b.subarray(o + 16, o + 16 + n).toString("hex"));
    o += 16 + n;
  }
  return out;
}

/** The helper's r0, which fib_lookup.c writes at [84, 92) of the frame. */
const rc = (frame: string): bigint => Buffer.from(frame, "hex").readBigInt64LE(84);

const status = kernelAvailability();
const netns = status.ok ? netnsAvailable(NET) : { ok: false, reason: status.reason };
if (!netns.ok) console.log(`kernel comparison skipped: ${netns.reason}`);

/**
 * fib_lookup.c's frames: [14] plen selector 0 (64 bytes), [16, 20) flags 0, [20, 84) struct
 * bpf_fib_lookup: family AF_INET, ifindex 2, tot_len 0 (no MTU check), ipv4_dst from the list
 * (the neighbour itself, or off-link through the default gateway).
 */
const REQUESTS = 40;
function requestPcap(): Uint8Array {
  const records: Uint8Array[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const f = new Uint8Array(100);
    const v = new DataView(f.buffer);
    f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
    f[20] = 2; // family AF_INET
    v.setUint32(20 + 8, 2, true); // ifindex
    f.set(i % 2 === 0 ? [10, 1, 0, 254] : [192, 0, 2, i], 20 + 32); // ipv4_dst
    const rec = new Uint8Array(16 + f.length);
    new DataView(rec.buffer).setUint32(8, f.length, true);
    new DataView(rec.buffer).setUint32(12, f.length, true);
    rec.set(f, 16);
    records.push(rec);
  }
  const header = new Uint8Array(24);
  const h = new DataView(header.buffer);
  h.setUint32(0, 0xa1b2c3d4, true);
  h.setUint16(4, 2, true);
  h.setUint16(6, 4, true);
  h.setUint32(16, 65535, true);
  h.setUint32(20, 1, true); // LINKTYPE_ETHERNET
  return Uint8Array.from([...header, ...records.flatMap((r) => [...r])]);
}

describe("run --network", () => {
  const net = file("net.json", JSON.stringify(NET));
  const requests = join(dir, "requests.pcap");
  writeFileSync(requests, requestPcap());

  it("the engines see the model: the same lookups on the interpreter and the JIT, none without it", () => {
    const outs = ["interpreter", "jit"].map((engine) => {
      const out = join(dir, `${engine}.pcap`);
      const r = run(["--network", net, "--pcap", requests, "--engine", engine, "--out", out]);
      expect(r.status, r.stderr).toBe(0);
      return frames(out);
    });
    expect(outs[1]).toEqual(outs[0]);
    // Every lookup succeeds (BPF_FIB_LKUP_RET_SUCCESS), the dmac the gateway's or neighbour's.
    expect(outs[0]!.map(rc)).toEqual(Array(REQUESTS).fill(0n));
    expect(new Set(outs[0]!.map((f) => f.slice(2 * (20 + 58), 2 * (20 + 64))))).toEqual(new Set(["0200000000fe"]));
    // Without the model ifindex 2 is no device: -ENODEV.
    const plain = join(dir, "plain.pcap");
    const r = run(["--pcap", requests, "--out", plain]);
    expect(r.status, r.stderr).toBe(0);
    expect(frames(plain).map(rc)).toEqual(Array(REQUESTS).fill(-19n));
  });

  it.skipIf(!netns.ok)("--engine kernel builds it in a private namespace and answers the same", () => {
    const out = join(dir, "kernel.pcap");
    const r = run(["--network", net, "--pcap", requests, "--engine", "kernel", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(frames(out)).toEqual(frames(join(dir, "jit.pcap")));
  });

  it("refuses a model that is not JSON or not a network, naming the file and the field", () => {
    const notJson = run(["--network", file("bad1.json", "nope")]);
    expect(notJson.status).toBe(1);
    expect(notJson.stderr).toMatch(/--network .*bad1\.json: not JSON/);
    const badDevice = run(["--network", file("bad2.json", JSON.stringify({ devices: [{ ifindex: 0 }] }))]);
    expect(badDevice.status).toBe(1);
    expect(badDevice.stderr).toMatch(/--network .*bad2\.json: network device 0: ifindex 0 is not in 1\.\.2\^31-1/);
    const noDevices = run(["--network", file("bad3.json", "{}")]);
    expect(noDevices.stderr).toMatch(/expected \{"devices"/);
  });
});
