// The packet and trace helpers inside the runtime (vm/runtime): a machine built by
// createNodeMachine with these helpers as extra sources, programs naming maps by fd, the
// PacketRunner reading back verdicts, packets and redirect targets — on the interpreter and the
// JIT, which must agree.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import { packetHelpers } from "../../vm/helpers/packet/index.js";
import { PerfEventSink, TraceLog, traceHelpers } from "../../vm/helpers/trace.js";
import type { BpfMap } from "../../vm/maps/map.js";
import type { MapSpec } from "../../vm/maps/types.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { loadRunner } from "../../vm/runtime/run.js";
import { resolveLddw } from "../../vm/program/lddw.js";

function machineWith(type: ProgramTypeName, maps: MapSpec[] = []) {
  const trace = new TraceLog();
  const perf = new PerfEventSink();
  const machine = createNodeMachine({
    type,
    maps,
    extraHelpers: [
      (env) => packetHelpers(env.type.name, { layout: env.layout, perf, mapLookup: (m, k, c) => env.maps.runtime.exports.map_lookup(m, k, c) }),
      () => traceHelpers(trace),
    ],
  });
  return { machine, trace, perf };
}

const ENGINES = ["interpreter", "jit"] as const;

describe("packet helpers in the runtime", () => {
  for (const engineName of ENGINES) {
    it(`XDP on the ${engineName}: push a 4-byte tag, print, redirect through a map`, async () => {
      const { machine, trace } = machineWith("xdp", [{ name: "tx_ports", type: "array", keySize: 4, valueSize: 4, maxEntries: 4 }]);
      (machine.maps.get("tx_ports") as BpfMap).update(new Uint8Array([1, 0, 0, 0]), new Uint8Array([9, 0, 0, 0]));
      const src = `
        mov %r6, %r1
        mov %r2, -4
        call 44
        jne %r0, 0, drop
        ldxw %r2, [%r6+0]
        ldxw %r3, [%r6+4]
        mov %r4, %r2
        add %r4, 4
        jgt %r4, %r3, drop
        stw [%r2+0], 0x44434241
        ldxw %r3, [%r6+4]
        sub %r3, %r2
        stdw [%r10-8], 0x0a6425
        mov %r1, %r10
        add %r1, -8
        mov %r2, 4
        call 6
        lddw %r1, map_fd 0
        mov %r2, 1
        mov %r3, 1
        call 51
        exit
      drop:
        mov %r0, 1
        exit`;
      // Map references resolved here: the JIT does not resolve lddw map_fd itself yet.
      const insns = resolveLddw(assemble(src), machine.maps.describe());
      const runner = await loadRunner(await getEngine(engineName), { insns, name: "tag" }, machine);
      try {
        const result = runner.run(Uint8Array.from({ length: 60 }, (_, i) => i));
        expect(result.verdict).toBe("XDP_REDIRECT");
        expect(result.redirect).toEqual({ kind: "map", map: "tx_ports", key: 1, flags: 0 });
        expect([...result.packet.subarray(0, 6)]).toEqual([0x41, 0x42, 0x43, 0x44, 0, 1]);
        expect(result.packet.length).toBe(64);
        expect(trace.texts).toEqual(["64\n"]);
      } finally {
        runner.dispose();
      }
    });

    it(`tc on the ${engineName}: rewrite bytes, fix the checksum, hash, redirect to ingress`, async () => {
      const { machine } = machineWith("sched_cls");
      const src = `
        mov %r6, %r1
        stdw [%r10-8], 0x0202
        mov %r1, %r6
        mov %r2, 14
        mov %r3, %r10
        add %r3, -8
        mov %r4, 2
        mov %r5, 2
        call 9
        mov %r1, %r6
        mov %r2, 24
        mov %r3, 0x0145
        mov %r4, 0x0202
        mov %r5, 2
        call 10
        mov %r1, %r6
        call 34
        jeq %r0, 0, drop
        mov %r1, 4
        mov %r2, 1
        call 23
        exit
      drop:
        mov %r0, 2
        exit`;
      const runner = await loadRunner(await getEngine(engineName), { insns: assemble(src), name: "rewrite" }, machine);
      try {
        const frame = new Uint8Array(60);
        frame.set([0x08, 0x00, 0x45, 0x01], 12);
        frame[24] = 0x12;
        frame[25] = 0x34;
        const result = runner.run(frame);
        expect(result.verdict).toBe("TC_ACT_REDIRECT");
        expect(result.redirect).toEqual({ kind: "ifindex", ifindex: 4, flags: 1 });
        expect([...result.packet.subarray(14, 16)]).toEqual([2, 2]);
        // RFC 1624: ~(~0x1234 + ~0x4501 + 0x0202) = 0x5533 in network order.
        expect([...result.packet.subarray(24, 26)]).toEqual([0x55, 0x33]);
      } finally {
        runner.dispose();
      }
    });
  }
});
