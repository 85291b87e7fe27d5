// The map-less programs of corpus/programs as clang built them (read with vm/elf's elfFunction;
// programs with maps wait for the ELF loader), run by the PacketRunner over generated traffic,
// and where the kernel is available compared with BPF_PROG_TEST_RUN: r0, the packet after the
// run, and the __sk_buff fields the tc classifier writes.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generate, parseGenSpec } from "../../corpus/gen/index.js";
import { elfFunction, parseElf } from "../../vm/elf/index.js";
import type { Insn } from "../../vm/isa/instruction.js";
import { behindSocketHeader, KernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { SK_BUFF_TC, ctxField } from "../../vm/programs/index.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { kernelAvailability } from "../kernel/available.js";
import { interp, machine } from "./fixture.js";

const dir = join(import.meta.dirname, "..", "..", "corpus", "programs");
const objectFunction = (file: string, section: string, symbol: string): Insn[] => elfFunction(parseElf(readFileSync(join(dir, file))), section, symbol);
const packets = generate(parseGenSpec("mix:300:seed=5")).map((p) => p.data).filter((d) => d.length >= 14);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const available = kernelAvailability();
const bridge = available.ok ? new KernelBridge() : undefined;
afterAll(() => bridge?.close());

describe("clang-built corpus programs through the runtime", () => {
  it("xdp_parser.o: verdicts over a mix (and the kernel's, when available)", () => {
    const insns = objectFunction("xdp_parser.o", "xdp", "xdp_parser");
    const m = machine("xdp");
    const r = new PacketRunner(m, interp.loadSync({ insns, name: "xdp_parser" }, m));
    const batch = r.runBatch(packets, { results: true });
    expect(Object.keys(batch.verdicts).sort()).toEqual(["XDP_DROP", "XDP_PASS"]);
    if (!bridge) return;
    const prog = bridge.load(insns, { type: ProgType.XDP, name: "xdp_parser" });
    try {
      prog.testRunMany(packets).forEach((k, i) => {
        expect(k.errno).toBe(0);
        expect(Number(batch.results![i]!.retval), `packet ${i}`).toBe(k.retval);
        expect(hex(batch.results![i]!.packet)).toBe(hex(k.data));
      });
    } finally {
      prog.close();
    }
  });

  it("tc_classifier.o: mark and priority as the program sets them (and as the kernel does)", () => {
    const insns = objectFunction("tc_classifier.o", "tc", "tc_classifier");
    const m = machine("sched_cls");
    const r = new PacketRunner(m, interp.loadSync({ insns, name: "tc_classifier" }, m));
    const marks = packets.map((p) => {
      expect(r.run(p).verdict).toBe("TC_ACT_OK");
      return [r.field("mark"), r.field("priority")];
    });
    expect(new Set(marks.map(([mark]) => mark)).size).toBeGreaterThan(3);
    if (!bridge) return;
    const prog = bridge.load(insns, { type: ProgType.SCHED_CLS, name: "tc_classifier" });
    try {
      let compared = 0;
      packets.forEach((p, i) => {
        let out;
        try {
          out = prog.testRun({ data: p, ctx: new Uint8Array(SK_BUFF_TC.size) });
        } catch {
          return; // a malformed frame the kernel will not build an skb for (EINVAL)
        }
        const view = new DataView(out.ctx.buffer, out.ctx.byteOffset);
        expect([view.getUint32(ctxField(SK_BUFF_TC, "mark").offset, true), view.getUint32(ctxField(SK_BUFF_TC, "priority").offset, true)], `packet ${i}`).toEqual(marks[i]);
        compared++;
      });
      expect(compared).toBeGreaterThan(packets.length * 0.95);
    } finally {
      prog.close();
    }
  });

  it("socket_ldabs.o: LD_ABS as clang emits it; r0 bytes kept (and the kernel's r0)", () => {
    const insns = objectFunction("socket_ldabs.o", "socket", "socket_ldabs");
    const m = machine("socket_filter");
    const r = new PacketRunner(m, interp.loadSync({ insns, name: "socket_ldabs" }, m));
    const batch = r.runBatch(packets, { results: true });
    expect(Object.keys(batch.verdicts).sort()).toEqual(["accept", "drop"]);
    for (const [i, res] of batch.results!.entries()) {
      const keep = Number(res.retval & 0xffffffffn);
      if (keep !== 0) expect(res.packet.length).toBe(Math.min(keep, packets[i]!.length));
    }
    if (!bridge) return;
    const prog = bridge.load(insns, { type: ProgType.SOCKET_FILTER, name: "socket_ldabs" });
    try {
      // The kernel's socket filter sees the frame after a 14-byte header it pulls: a dummy one.
      const behind = packets.map(behindSocketHeader);
      prog.testRunMany(behind).forEach((k, i) => {
        expect(k.errno).toBe(0);
        expect(Number(batch.results![i]!.retval & 0xffffffffn), `packet ${i}`).toBe(k.retval);
      });
    } finally {
      prog.close();
    }
  });
});
