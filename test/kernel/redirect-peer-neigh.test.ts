// fixtures/tc_redirect_peer_neigh.c: bpf_redirect_peer, bpf_redirect_neigh and
// bpf_ktime_get_tai_ns from a tc program, one case per frame (chosen by MAC address bits). Each
// frame's verdict is what the case's rule says (flags or a short plen → TC_ACT_SHOT, else
// TC_ACT_REDIRECT with the target recorded: "ifindex N peer", "neigh", "neigh nexthop"), on the
// interpreter and the JIT alike, and the kernel (BPF_PROG_TEST_RUN) gives the same verdicts.

import { afterAll, describe, expect, it } from "vitest";
import { instantiateObjectNode } from "../../vm/elf/load/machine.node.js";
import { getEngine } from "../../vm/engines.js";
import { kernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { redirectTarget } from "../../vm/runtime/record.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { assemble } from "../../vm/asm/index.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelHelperTable } from "../verifier/kernel-helpers.js";
import { kernelAvailability, kernelRefusal } from "./available.js";
import { fixtureObject, frames, runKernel, skbTestRunnable } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** What tc_redirect_peer_neigh.c does with a frame: the verdict and the recorded target. */
function expected(frame: Uint8Array): { verdict: string; target?: string } {
  const ifindex = frame[5]!;
  const redirect = (kind: string) => ({ verdict: "TC_ACT_REDIRECT", target: `ifindex ${ifindex} ${kind}` });
  switch ((frame[5]! ^ frame[11]!) & 7) {
    case 0: return redirect("peer");
    case 2: return redirect("neigh");
    case 3: case 4: return redirect("neigh nexthop");
    case 7: return { verdict: "TC_ACT_OK" }; // TAI time between 2020 and 2100
    default: return { verdict: "TC_ACT_SHOT" }; // flags, or plen 12 < sizeof(struct bpf_redir_neigh)
  }
}

async function runOurs(engine: "interpreter" | "jit", data: readonly Uint8Array[]) {
  const loaded = instantiateObjectNode(fixtureObject("tc_redirect_peer_neigh"), undefined);
  const runner = new PacketRunner(loaded.machine, await (await getEngine(engine)).load(loaded.program, loaded.machine));
  try {
    return runner.runBatch(data, { results: true }).results!.map((r) => ({ verdict: r.verdict, ...(r.redirect ? { target: redirectTarget(r.redirect) } : {}) }));
  } finally {
    runner.dispose();
  }
}

describe("bpf_redirect_peer / bpf_redirect_neigh / bpf_ktime_get_tai_ns (tc)", () => {
  const data = frames("mix:400:seed=5");

  it("each frame gets its case's verdict and target, on both engines", async () => {
    const want = data.map(expected);
    expect(new Set(data.map((f) => (f[5]! ^ f[11]!) & 7)).size).toBe(8); // every case ran
    for (const engine of ["interpreter", "jit"] as const) expect(await runOurs(engine, data), engine).toEqual(want);
  });

  it.skipIf(!status.ok)("the kernel gives the same verdicts", () => {
    const whole = skbTestRunnable(data);
    expect(whole.length).toBeGreaterThan(300);
    const kernel = runKernel(fixtureObject("tc_redirect_peer_neigh"), whole).results.map((r) => r.verdict);
    expect(kernel).toEqual(whole.map((f) => expected(f).verdict));
  });

  it("the verifier: tc only, and the next hop's size bounded by its memory; as the kernel", () => {
    const neigh = (size: number) => `
stdw [%r10-8], 0
stdw [%r10-16], 0
stdw [%r10-24], 0
mov %r1, 1
mov %r2, %r10
add %r2, -24
mov %r3, ${size}
mov %r4, 0
call 152
exit`;
    const peer = "mov %r1, 1\nmov %r2, 0\ncall 155\nexit";
    const cases: Array<[string, "sched_cls" | "xdp", string, RegExp | undefined]> = [
      ["neigh, 20 bytes", "sched_cls", neigh(20), undefined],
      ["neigh, 24 bytes", "sched_cls", neigh(24), undefined],
      ["neigh, 32 bytes past its stack", "sched_cls", neigh(32), /invalid read from stack R2 off=-24 size=32/],
      ["peer from tc", "sched_cls", peer, undefined],
      ["peer from xdp", "xdp", peer, /(unknown func|program of this type cannot use helper) bpf_redirect_peer#155/],
    ];
    for (const [what, type, source, refusal] of cases) {
      const ours = verify(assemble(source), { type, helpers: kernelHelperTable() });
      if (refusal) expect(ours.message, what).toMatch(refusal);
      else expect(ours.message, `${what}: ${ours.log}`).toBeUndefined();
      if (!status.ok) continue;
      const kernel = kernelRefusal(assemble(source), { type: type === "xdp" ? ProgType.XDP : ProgType.SCHED_CLS, name: "redir" });
      if (refusal) expect(kernel, what).toMatch(refusal);
      else expect(kernel, what).toBeUndefined();
    }
    if (!status.ok) console.log(`kernel comparison skipped: ${status.reason}`);
  });
});
