// fixtures/sk_fields.c from tc: `__sk_buff.sk` (the socket BPF_PROG_TEST_RUN gives the skb:
// family and addresses from the frame's IP header), bpf_sk_fullsock (95), bpf_tcp_sock (96),
// bpf_get_listener_sock (98) and bpf_sk_assign (124) on it and on the sockets of
// test/kernel/sockets.ts, with every struct bpf_tcp_sock field. The interpreter, the JIT and the
// kernel (the same sockets in a fresh namespace) must write the same bytes.

import { afterAll, describe, expect, it } from "vitest";
import { findProgram } from "../../vm/elf/load/index.js";
import { ProgType } from "../../vm/node/kernel/bridge.js";
import { fixtureObject } from "./objects.js";
import { onSocketNet, rng, SOCKET_CASES, socketNetKernel, SocketNetRunner } from "./sockets.js";

const LEN = 256;
const ETHERTYPES = [0x0800, 0x86dd, 0x0806, 0x8100, 0x88b5];

/** skb_sk's frames: IPv4, IPv6 and other EtherTypes, random headers. */
const SKB_CASES = (() => {
  const rand = rng(0x5f);
  return Array.from({ length: 400 }, () => {
    const f = new Uint8Array(LEN).map(() => Math.floor(rand() * 256));
    const type = ETHERTYPES[Math.floor(rand() * ETHERTYPES.length)]!;
    f[12] = type >> 8;
    f[13] = type & 0xff;
    return f;
  });
})();

/** sk_tcp's frames: the TCP lookups of SOCKET_CASES (tuple at 38 there, at 14 here). */
const TCP_CASES = SOCKET_CASES.filter((f) => f[14] !== 1 && [12, 36].includes(new DataView(f.buffer).getUint32(18, true))).slice(0, 600).map((c) => {
  const f = new Uint8Array(LEN);
  f.set(c.subarray(0, 14), 0);
  f.set(c.subarray(38, 74), 14);
  f[50] = new DataView(c.buffer).getUint32(18, true) === 36 ? 1 : 0;
  return f;
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const runOurs = (name: string, engine: "interpreter" | "jit", cases: readonly Uint8Array[]): Promise<string[]> =>
  onSocketNet("sk_fields", name, engine, (runner) => runner.runBatch(cases, { results: true }).results!.map((r) => `${r.verdict} ${hex(r.packet.subarray(120))}`));

const netns = socketNetKernel("sk-fields.test.ts");
const kernel = new SocketNetRunner();
afterAll(() => kernel.close());

function runKernel(name: string, cases: readonly Uint8Array[]): string[] {
  const bridge = kernel.get();
  const prog = bridge.load(findProgram(fixtureObject("sk_fields"), name).insns, { type: ProgType.SCHED_CLS, name });
  try {
    return prog.testRunMany(cases).map((r) => {
      expect(r.errno).toBe(0);
      return `${["TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT"][r.retval] ?? r.retval} ${hex(r.data.subarray(120))}`;
    });
  } finally {
    prog.close();
  }
}

const PROGRAMS = [
  { name: "skb_sk", cases: SKB_CASES },
  { name: "sk_tcp", cases: TCP_CASES },
] as const;

describe("__sk_buff.sk, sk_fullsock (95), tcp_sock (96), get_listener_sock (98), sk_assign (124)", () => {
  for (const { name, cases } of PROGRAMS) {
    it(`${name}: the interpreter and the JIT agree`, async () => {
      const interp = await runOurs(name, "interpreter", cases);
      expect(await runOurs(name, "jit", cases)).toEqual(interp);
      const found = interp.filter((line) => line.split(" ")[1]!.startsWith("01")).map((line) => line.split(" ")[1]!);
      expect(found.length).toBeGreaterThan(50);
      if (name === "sk_tcp") {
        // Listeners (get_listener_sock finds them) and established connections (it does not): all TCP.
        expect(found.filter((o) => o.slice(16, 18) === "01" && o.slice(24, 26) === "01").length).toBeGreaterThan(10);
        expect(found.filter((o) => o.slice(16, 18) === "01" && o.slice(24, 26) === "00").length).toBeGreaterThan(2);
      } else {
        // The test run's socket of an IPv4 and of an IPv6 skb.
        for (const family of ["02", "0a"]) expect(found.filter((o) => o.slice(24, 26) === family).length).toBeGreaterThan(10);
      }
    });

    it.skipIf(!netns.ok)(`${name}: the kernel writes the same bytes`, async () => {
      const ours = await runOurs(name, "interpreter", cases);
      const kernel = runKernel(name, cases);
      const differ = ours.map((line, i) => [i, line, kernel[i]] as const).filter(([, a, b]) => a !== b);
      expect(differ.slice(0, 4).map(([i, a, b]) => `frame ${i}\n ours   ${a.slice(0, 300)}\n kernel ${b?.slice(0, 300)}`)).toEqual([]);
      expect(differ.length).toBe(0);
    });
  }
});
