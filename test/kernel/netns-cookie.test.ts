// bpf_get_netns_cookie (fixtures/netns_cookie.c) from tc, socket filters and cgroup_skb: the
// context gives the cookie of the namespace the programs run in (NetworkModel.cookie), NULL
// gives init_net's (initCookie). The kernel numbers namespaces as it creates them, so each
// comparison first asks the kernel for its two numbers (small probe programs), gives them to our
// machine, and then expects the fixture's verdicts and map from the interpreter, the JIT and the
// kernel alike — in this process's namespace, where the two are one, and in a fresh namespace
// (the kernel engine's runner for a network model), where they differ.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { findProgram } from "../../vm/elf/load/index.js";
import { DEFAULT_NETWORK, type NetworkModel } from "../../vm/net/model.js";
import { KernelBridge, ProgType, runnerPath } from "../../vm/node/kernel/bridge.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { netnsAvailable, netnsWrapper } from "../../vm/node/kernel/netns.js";
import { BPF_CGROUP_INET_INGRESS } from "../../vm/programs/types.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runOurs, skbTestRunnable } from "./objects.js";

const OBJ = fixtureObject("netns_cookie");
const DATA = skbTestRunnable(frames("mix:60:seed=41"));
const PROGRAMS = [
  { name: "tc_cookie", type: ProgType.SCHED_CLS },
  { name: "socket_cookie", type: ProgType.SOCKET_FILTER },
  { name: "cgroup_cookie", type: ProgType.CGROUP_SKB, expectedAttachType: BPF_CGROUP_INET_INGRESS },
] as const;

type Cookies = Required<Pick<NetworkModel, "cookie" | "initCookie">>;

/** The verdicts (retvals) and `cookies`' four u64 slots of one program's run over DATA. */
interface Run {
  readonly retvals: number[];
  readonly slots: bigint[];
}

const slotsOf = (values: ReadonlyArray<Uint8Array | undefined>): bigint[] => values.map((v) => Buffer.from(v!).readBigUInt64LE());

async function runOn(engine: "interpreter" | "jit", program: string, cookies: Cookies): Promise<Run> {
  const run = await runOurs(OBJ, engine, DATA, program, { network: { ...DEFAULT_NETWORK, ...cookies } });
  return {
    retvals: run.results.map((r) => Number.parseInt(r.retval, 16)),
    slots: run.maps.cookies!.map((line) => Buffer.from(line.split("=")[1]!, "hex").readBigUInt64LE()),
  };
}

/** A u64 from two probes of the low and high halves (a test run's retval is a u32). */
function kernelCookies(bridge: KernelBridge): Cookies {
  const probe = (src: string): number => {
    const p = bridge.load(assemble(src), { type: ProgType.SOCKET_FILTER });
    try {
      return p.testRun({ data: DATA[0]! }).retval;
    } finally {
      p.close();
    }
  };
  const cookie = (arg: string): number => probe(`${arg}call 122\nrsh %r0, 32\nexit`) * 2 ** 32 + probe(`${arg}call 122\nexit`);
  return { cookie: cookie(""), initCookie: cookie("mov %r1, 0\n") };
}

function runKernel(bridge: KernelBridge, program: (typeof PROGRAMS)[number]): Run {
  const spec = OBJ.maps[0]!.spec;
  const map = bridge.createMap({ type: spec.type, keySize: spec.keySize, valueSize: spec.valueSize, maxEntries: spec.maxEntries, name: "cookies" });
  const loaded = bridge.load(findProgram(OBJ, program.name).insns, {
    type: program.type, name: program.name, sharedMaps: [map], ...("expectedAttachType" in program ? { expectedAttachType: program.expectedAttachType } : {}),
  });
  try {
    const retvals = loaded.testRunMany(DATA).map((r) => {
      expect(r.errno).toBe(0);
      return r.retval;
    });
    return { retvals, slots: slotsOf([0, 1, 2, 3].map((k) => map.lookup(Uint8Array.of(k, 0, 0, 0)))) };
  } finally {
    loaded.close();
    map.close();
  }
}

const status = kernelAvailability();
const fresh = status.ok ? netnsAvailable(DEFAULT_NETWORK) : { ok: false, reason: status.reason };
if (!fresh.ok) console.log(`netns-cookie.test.ts: the fresh-namespace comparison skipped: ${fresh.reason}`);
const freshBridge = fresh.ok ? new KernelBridge(runnerPath(), netnsWrapper(DEFAULT_NETWORK)) : undefined;
afterAll(() => {
  freshBridge?.close();
  if (status.ok) kernelBridge().close();
});

describe("netns_cookie.o (bpf_get_netns_cookie)", () => {
  it("the context gives the model's namespace cookie, NULL init_net's, on the interpreter and the JIT", async () => {
    const cookies = { cookie: 0x1_0000_0007, initCookie: 3 };
    for (const program of PROGRAMS) {
      const interp = await runOn("interpreter", program.name, cookies);
      expect(await runOn("jit", program.name, cookies)).toEqual(interp);
      const n = BigInt(DATA.length);
      expect(interp.slots).toEqual([0x1_0000_0007n, 3n, n, n * 0x1_0000_0007n]);
      expect(new Set(interp.retvals)).toEqual(new Set([program.name === "tc_cookie" ? 2 : 0]));
    }
    // One namespace (the default model: cookie 1 for both).
    const same = await runOn("jit", "tc_cookie", { cookie: 1, initCookie: 1 });
    expect(same.slots.slice(0, 3)).toEqual([1n, 1n, 0n]);
    expect(new Set(same.retvals)).toEqual(new Set([0]));
  });

  const where = [
    { what: "this process's namespace", bridge: () => kernelBridge() as KernelBridge, ok: status.ok, reason: status.reason },
    { what: "a fresh namespace", bridge: () => freshBridge!, ok: fresh.ok, reason: fresh.reason },
  ];
  for (const w of where) {
    it.skipIf(!w.ok)(`in ${w.what}, the kernel gives the same verdicts and map`, async () => {
      const bridge = w.bridge();
      const cookies = kernelCookies(bridge);
      if (w.what === "a fresh namespace") expect(cookies.cookie).not.toBe(cookies.initCookie);
      for (const program of PROGRAMS) {
        const kernel = runKernel(bridge, program);
        expect(await runOn("interpreter", program.name, cookies)).toEqual(kernel);
        expect(await runOn("jit", program.name, cookies)).toEqual(kernel);
      }
    });
  }
});
