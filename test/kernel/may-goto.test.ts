// may_goto (BPF_JMP | BPF_JCOND, kernel 6.9+) from C: fixtures/may_goto_xdp.c writes loops with
// can_loop / cond_break, whose only bound the verifier can rely on is the runtime's per-frame
// budget. Our verifier and the kernel's accept it (converging where the loop counter stays
// imprecise), and the interpreter, the JIT and the kernel (BPF_PROG_TEST_RUN) give the same
// verdicts, frames and map. The loops end by their own conditions here: the budget's exhaustion
// cannot be compared with 6.18 on x86-64, whose JIT bounds may_goto by time (250 ms a frame) —
// test/engines/semantics.ts holds the count the interpreter and the JIT both keep.

import { afterAll, describe, expect, it } from "vitest";
import { findProgram, verifyObjectProgram } from "../../vm/elf/load/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { kernelBridge, kernelMapSpec, ProgType, verifierStats } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";
import { PROGRAM_TYPES } from "../../vm/programs/types.js";
import { verify } from "../../vm/verifier/index.js";
import { loadCorpus } from "../verifier/corpus.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

describe("may_goto_xdp.o (can_loop / cond_break from C)", () => {
  const obj = fixtureObject("may_goto_xdp");
  const p = findProgram(obj);
  const ours = () => verifyObjectProgram(obj, p, { helpers: nodeHelperTables() });
  const maps = obj.maps.map((m) => kernelMapSpec(m.spec));

  it("holds may_goto instructions, and our verifier accepts it", () => {
    expect(p.error).toBeUndefined();
    expect(p.insns.filter((ins) => ins.opcode === 0xe5).length).toBeGreaterThanOrEqual(3);
    const r = ours();
    expect(r.message).toBeUndefined();
    expect(r.status).toBe("accepted");
  });

  it.skipIf(!status.ok)("the kernel accepts it; our processed count stays near its own", () => {
    const prog = kernelBridge().load(p.insns, { type: ProgType.XDP, maps, log: 4 });
    const kernel = verifierStats(prog.log)!.processedInsns;
    prog.close();
    const here = ours().result!.processedInsns;
    console.log(`may_goto_xdp: processed ${here} insns here, ${kernel} in the kernel (${(here / kernel).toFixed(2)}×)`);
    // 38,247 against 38,227 on 6.18; 50,364 while loops after another shared its visit.
    expect(here).toBeLessThanOrEqual(1.1 * kernel);
  });

  it("the interpreter, the JIT and the kernel agree on every frame and the map", async () => {
    const data = frames("mix:300:seed=13");
    const interp = await runOurs(obj, "interpreter", data);
    expect(await runOurs(obj, "jit", data)).toEqual(interp);
    // The loops ran: records and folds differ from frame to frame, and the count loop reached 1000.
    const words = interp.results.map((r) => Buffer.from(r.packet, "hex")).filter((b) => b.length >= 64).map((b) => [0, 1, 2, 3].map((k) => b.readUInt32LE(4 * k)));
    expect(new Set(words.map((w) => w[0])).size).toBeGreaterThan(5);
    expect(new Set(words.map((w) => w[2])).size).toBeGreaterThan(100);
    expect(words.every((w) => w[3] === 1000)).toBe(true);
    expect(new Set(interp.results.map((r) => r.verdict)).size).toBe(2);
    if (!status.ok) return;
    expect(runKernel(obj, data)).toEqual(interp);
  });
});

// The corpus's accepted may_goto programs take the kernel's own processed-instruction counts:
// loops converge where the kernel's do, and a loop in each call of a subprogram is visited on
// its own (the kernel keys loop visits by call chain), so the second call prunes against the
// first call's finished checkpoints.
describe.skipIf(!status.ok)("corpus/verifier's may_goto programs: the kernel's processed counts", () => {
  for (const e of loadCorpus().filter((c) => c.name.includes("may_goto") && c.expect === undefined)) {
    it(e.name, () => {
      const prog = kernelBridge().load(e.insns, { type: PROGRAM_TYPES[e.type].kernelType!, log: 4, name: e.name });
      const kernel = verifierStats(prog.log)!.processedInsns;
      prog.close();
      expect(verify(e.insns, { type: e.type, maps: e.maps }).processedInsns).toBe(kernel);
    });
  }
});
