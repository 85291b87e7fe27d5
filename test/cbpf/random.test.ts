// Random classic programs: every opcode Linux accepts, random jumps, scratch memory, ancillary
// loads, division by X, shifts by X ≥ 32, out-of-bounds loads. Each checked program is
// translated, passed through the verifier (vm/verifier, as a socket filter: a checked classic
// program must become a loadable eBPF one) and run on the interpreter over random packets; r0
// must equal the classic oracle's.

import { describe, expect, it } from "vitest";
import { Rng } from "../../corpus/gen/index.js";
import { checkClassic, listSockFilters, translateClassic } from "../../vm/cbpf/index.js";
import { verify } from "../../vm/verifier/index.js";
import { SocketFilterRunner } from "./harness.js";
import { runClassic } from "./oracle.js";
import { randomProgram, randomSkb } from "./random-programs.js";

describe("random classic programs: translation on the interpreter = the classic oracle", () => {
  it("verifies and agrees on 400 checked programs × 25 packets", async () => {
    const rng = new Rng(20240601n);
    let programs = 0;
    let refused = 0;
    let runs = 0;
    let nonzero = 0;
    while (programs < 400) {
      const prog = randomProgram(rng);
      try {
        checkClassic(prog);
      } catch {
        refused++;
        continue;
      }
      programs++;
      const insns = translateClassic(prog);
      const verdict = verify(insns, { type: "socket_filter" });
      if (!verdict.accepted) throw new Error(`program ${programs}: the verifier refuses the translation: ${verdict.message}\n${listSockFilters(prog)}`);
      const runner = await SocketFilterRunner.load("interpreter", insns);
      try {
        for (let p = 0; p < 25; p++) {
          const data = rng.bytes(rng.pick([0, 1, 14, rng.int(80)]));
          const skb = randomSkb(rng, data);
          const want = runClassic(prog, data, skb.oracle);
          const got = runner.run(data, skb.fields);
          if (got !== want) {
            throw new Error(`program ${programs} on a ${data.length}-byte packet: engine r0 ${got}, oracle ${want}\n${listSockFilters(prog)}`);
          }
          runs++;
          if (got !== 0) nonzero++;
        }
      } finally {
        runner.dispose();
      }
    }
    console.log(`random cBPF: ${programs} programs (${refused} refused by the checker), ${runs} runs, ${nonzero} non-zero results`);
    expect(nonzero).toBeGreaterThan(runs / 10);
  });
});
