// Our verifier (vm/verifier) must accept what the kernel's accepts when the programs call the
// packet and trace helpers: the helpers' signatures (HelperDef.args / ret) are what it checks
// them against. Every program here also loads in the kernel in the other tests.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { baseHelpers, HelperTable } from "../../vm/helpers/index.js";
import { packetHelpers } from "../../vm/helpers/packet/index.js";
import { TraceLog, traceHelpers } from "../../vm/helpers/trace.js";
import { Layout } from "../../vm/memory/layout.js";
import { verify, type VerifierMap } from "../../vm/verifier/index.js";
import type { NetType } from "./harness.js";
import { ADJUST_ALL, CSUM_DIFF, CSUM_REPLACE, LOAD_SOCKET, LOAD_TC, PERF, printkProgram, STORE } from "./programs.js";

const layout = new Layout({ cpus: 1, packetMax: 2048 });

function helpersOf(type: NetType): HelperTable {
  return new HelperTable([...baseHelpers().list(), ...traceHelpers(new TraceLog()), ...packetHelpers(type, { layout })]);
}

const PERF_EVENT_ARRAY: VerifierMap = { type: 4, keySize: 4, valueSize: 4, maxEntries: 2, name: "events" };
const DEVMAP: VerifierMap = { type: 14, keySize: 4, valueSize: 4, maxEntries: 4, name: "tx_ports" };

const PROGRAMS: ReadonlyArray<[string, NetType, string, VerifierMap[]?]> = [
  ["xdp_adjust_* with offsets from the packet", "xdp", ADJUST_ALL],
  ["csum_diff over packet ranges of variable size", "xdp", CSUM_DIFF],
  ["l3_csum_replace", "sched_cls", CSUM_REPLACE(10)],
  ["l4_csum_replace", "sched_cls", CSUM_REPLACE(11)],
  ...[1, 8, 32].map((n): [string, NetType, string] => [`skb_load_bytes of ${n}`, "sched_cls", LOAD_TC(n)]),
  ...[1, 8, 32].map((n): [string, NetType, string] => [`skb_store_bytes of ${n}`, "sched_cls", STORE(n)]),
  ["skb_load_bytes in a socket filter", "socket_filter", LOAD_SOCKET(0, 4)],
  ["perf_event_output", "xdp", PERF("lddw %r2, map_fd 0"), [PERF_EVENT_ARRAY]],
  ["trace_printk with a string and numbers", "xdp", printkProgram("%s %d %llx", [{ stack: "abc" }, 1n, 2n])],
  ["redirect_map", "xdp", "lddw %r1, map_fd 0\nmov %r2, 1\nmov %r3, 2\ncall 51\nexit", [DEVMAP]],
  ["redirect", "sched_cls", "mov %r1, 3\nmov %r2, 1\ncall 23\nexit"],
  ["get_hash_recalc / set_hash / set_hash_invalid", "sched_cls", "mov %r6, %r1\nmov %r2, 5\ncall 48\nmov %r1, %r6\ncall 41\nmov %r1, %r6\ncall 34\nexit"],
];

describe("the verifier with the packet helpers", () => {
  for (const [name, type, source, maps] of PROGRAMS) {
    it(`accepts ${name} (${type})`, () => {
      const result = verify(assemble(source), { type, helpers: helpersOf(type), maps: maps ?? [] });
      expect(result.message ?? "accepted").toBe("accepted");
    });
  }

  it("refuses a packet pointer kept across xdp_adjust_head", () => {
    const src = `
      mov %r6, %r1
      ldxw %r7, [%r6+0]
      ldxw %r8, [%r6+4]
      mov %r2, %r7
      add %r2, 8
      jgt %r2, %r8, out
      mov %r1, %r6
      mov %r2, -4
      call 44
      ldxb %r0, [%r7+0]
    out:
      exit`;
    const result = verify(assemble(src), { type: "xdp", helpers: helpersOf("xdp") });
    expect(result.accepted).toBe(false);
    expect(result.insn).toBe(9);
  });
});
