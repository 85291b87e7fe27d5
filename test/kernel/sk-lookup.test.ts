// fixtures/sk_lookup.c: bpf_sk_lookup_tcp (84), bpf_sk_lookup_udp (85), bpf_skc_lookup_tcp (99)
// and bpf_sk_release (86) from XDP and tc, on one network with sockets (NET below): our machine
// gets it as MachineOptions.network, the kernel gets the same devices and sockets built in a
// fresh network namespace (vm/node/kernel/netns.ts: listeners, UDP sockets, established
// connections through TCP_REPAIR) in which the bpf-runner runs. Each frame carries one lookup
// (op, tuple size, netns id, flags, tuple); the program writes whether a socket was found and
// every struct bpf_sock field it may read. The interpreter, the JIT and the kernel must agree.

import { afterAll, describe, expect, it } from "vitest";
import { findProgram } from "../../vm/elf/load/index.js";
import { ProgType } from "../../vm/node/kernel/bridge.js";
import { onSocketNet, SOCKET_CASES, socketNetKernel, SocketNetRunner } from "./sockets.js";
import { fixtureObject } from "./objects.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const foundOf = (line: string): boolean => line.split(" ")[1]!.slice(156, 158) === "01";

const PROGRAMS = [
  { name: "sk_xdp", type: ProgType.XDP },
  { name: "sk_tc", type: ProgType.SCHED_CLS },
] as const;

const runOurs = (name: string, engine: "interpreter" | "jit"): Promise<string[]> =>
  onSocketNet("sk_lookup", name, engine, (runner) => runner.runBatch(SOCKET_CASES, { results: true }).results!.map((r) => `${r.verdict} ${hex(r.packet)}`));

const netns = socketNetKernel("sk-lookup.test.ts");
const kernel = new SocketNetRunner();
afterAll(() => kernel.close());

function runKernel(name: string, type: number): string[] {
  const bridge = kernel.get();
  const prog = bridge.load(findProgram(fixtureObject("sk_lookup"), name).insns, { type, name });
  try {
    const verdicts = type === ProgType.XDP ? ["XDP_ABORTED", "XDP_DROP", "XDP_PASS"] : ["TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT"];
    return prog.testRunMany(SOCKET_CASES).map((r) => {
      expect(r.errno).toBe(0);
      return `${verdicts[r.retval] ?? r.retval} ${hex(r.data)}`;
    });
  } finally {
    prog.close();
  }
}

describe("socket lookups (84, 85, 99) and sk_release (86) on a network model", () => {
  for (const { name, type } of PROGRAMS) {
    it(`${name}: the interpreter and the JIT agree, and every socket is found`, async () => {
      const interp = await runOurs(name, "interpreter");
      expect(await runOurs(name, "jit")).toEqual(interp);
      const found = interp.filter(foundOf).length;
      expect(found).toBeGreaterThan(100);
      expect(interp.length - found).toBeGreaterThan(100);
      // The struct bpf_sock's src_port (host order) of each found socket: every port of the model occurs.
      const ports = new Set(interp.filter(foundOf).map((line) => Buffer.from(line.split(" ")[1]!, "hex").readUInt32LE(86 + 44)));
      // 7000 and 6001 are bound to other devices than the test run's (lo): never found.
      for (const port of [80, 8080, 443, 9000, 7001, 53, 5353, 123, 6000, 7777]) expect(ports.has(port), `port ${port} found`).toBe(true);
    });

    it.skipIf(!netns.ok)(`${name}: the kernel finds the same sockets and reads the same fields`, async () => {
      const ours = await runOurs(name, "interpreter");
      const kernel = runKernel(name, type);
      const differ = ours.map((line, i) => [i, line, kernel[i]] as const).filter(([, a, b]) => a !== b);
      expect(differ.slice(0, 3).map(([i, a, b]) => `frame ${i}\n ours   ${a.slice(0, 360)}\n kernel ${b?.slice(0, 360)}`)).toEqual([]);
    });
  }
});
