// Helper calls from JIT-compiled eBPF: ns per call, for the helpers packet programs call per
// packet. A program loops N times over the call (its arguments set up in the loop); the same loop
// with the call replaced by `mov r0, 0` gives the loop's own cost; ns per call is the difference
// over N. Each helper is timed the JIT's default way — a wasm-to-wasm twin in the maps runtime
// (jit/lower/packet.ts), get_smp_processor_id and get_prandom_u32 inline (lower/cpu-id.ts,
// lower/prandom.ts), else the JS helper — and the helpers with a twin also through their JS
// HelperDef (mapCalls: "js"), as before the twins.
//
// Timed in process CPU time, median of rounds after warm-up (bench/micro/jit-maps.ts's nsPerRun).
// Numbers are printed and returned, never asserted.
//
//   node dist/bench/micro/jit-helpers.js [--quick] [--json]

import { pathToFileURL } from "node:url";
import { JitEngine } from "../../jit/engine.js";
import { assemble } from "../../vm/asm/assembler.js";
import type { RunInput } from "../../vm/engine.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { nsPerRun } from "./jit-maps.js";

export interface JitHelperRow {
  readonly helper: string;
  readonly via: "jit" | "jit (JS helper)";
  /** ns per call: loop with the call minus the loop alone, over the calls. */
  readonly ns: number;
}

export interface JitHelpersReport {
  readonly callsPerRun: number;
  readonly rows: JitHelperRow[];
}

interface Case {
  readonly helper: string;
  readonly type: "xdp" | "sched_cls";
  /** The call with its arguments (r9 = the ctx; the stack is the buffer). */
  readonly call: string;
  /** Calls per loop iteration. */
  readonly calls: number;
  /** The JIT calls a wasm twin by default: time the JS helper too. */
  readonly twin: boolean;
}

const CASES: readonly Case[] = [
  { helper: "get_smp_processor_id", type: "xdp", call: "call 8", calls: 1, twin: false },
  { helper: "get_prandom_u32", type: "xdp", call: "call 7", calls: 1, twin: false },
  { helper: "ktime_get_ns", type: "xdp", call: "call 5", calls: 1, twin: false },
  { helper: "redirect", type: "xdp", call: "mov %r1, 3\nmov %r2, 0\ncall 23", calls: 1, twin: true },
  { helper: "redirect_map", type: "xdp", call: "lddw %r1, map_fd 0\nmov %r2, 1\nmov %r3, 0\ncall 51", calls: 1, twin: true },
  { helper: "xdp_adjust_head", type: "xdp", call: "mov %r1, %r9\nmov %r2, -14\ncall 44\nmov %r1, %r9\nmov %r2, 14\ncall 44", calls: 2, twin: true },
  { helper: "xdp_load_bytes", type: "xdp", call: "mov %r1, %r9\nmov %r2, 14\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 8\ncall 189", calls: 1, twin: true },
  { helper: "skb_load_bytes", type: "sched_cls", call: "mov %r1, %r9\nmov %r2, 26\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 4\ncall 26", calls: 1, twin: true },
  { helper: "l3_csum_replace", type: "sched_cls", call: "mov %r1, %r9\nmov %r2, 24\nmov %r3, 1\nmov %r4, 2\nmov %r5, 4\ncall 10", calls: 1, twin: true },
];

/** The loop: `body` n times, with r9 = ctx; r0 = 0 at the end. */
function loopSource(body: string, n: number): string {
  return `
    mov %r9, %r1
    mov %r6, ${n}
    loop:
    ${body}
    sub %r6, 1
    jne %r6, 0, loop
    mov %r0, 0
    exit`;
}

/** A machine of `type` with a DEVMAP (redirect_map's; slot 1 holds ifindex 1) and a 64-byte packet on CPU 0. */
function machineFor(type: Case["type"]): { m: RuntimeMachine; input: RunInput } {
  const m = createNodeMachine({ type, cpus: 1, packetMax: 256, maps: [{ name: "tx", type: "devmap", keySize: 4, valueSize: 4, maxEntries: 4 }] });
  m.maps.keyed("tx").update(new Uint8Array([1, 0, 0, 0]), new Uint8Array([1, 0, 0, 0]));
  const cpu = m.layout.cpu(0);
  const view = new DataView(m.memory.buffer);
  const [dataOff, endOff] = type === "xdp" ? [0, 4] : [76, 80];
  view.setUint32(cpu.ctx + dataOff, cpu.packetData, true);
  view.setUint32(cpu.ctx + endOff, cpu.packetData + 64, true);
  if (type === "xdp") view.setUint32(cpu.ctx + 8, cpu.packetData, true); // data_meta
  const regions: RunInput["regions"] = [
    { start: cpu.packetSlot, end: cpu.packetEnd, writable: true, name: "packet" },
    { start: cpu.ctx, end: cpu.ctx + 256, writable: false, name: "ctx" },
  ];
  return { m, input: { args: [BigInt(cpu.ctx)], regions } };
}

export async function runJitHelpersBench(options: { quick?: boolean; long?: boolean; log?: (line: string) => void } = {}): Promise<JitHelpersReport> {
  const log = options.log ?? console.log;
  const quick = options.quick ?? false;
  const n = quick ? 2_000 : 20_000;
  const rounds = quick ? 3 : options.long ? 9 : 5;
  const warmups = quick ? 2 : options.long ? 5 : 3;
  const rows: JitHelperRow[] = [];
  const machines = { xdp: machineFor("xdp"), sched_cls: machineFor("sched_cls") };
  const engines = [
    { via: "jit" as const, engine: new JitEngine() },
    { via: "jit (JS helper)" as const, engine: new JitEngine({ mapCalls: "js" }) },
  ];
  for (const c of CASES) {
    const { m, input } = machines[c.type];
    for (const { via, engine } of c.twin ? engines : engines.slice(0, 1)) {
      const base = await engine.load({ insns: assemble(loopSource(c.call.replace(/call \d+/g, "mov %r0, 0"), n)), name: "loop" }, m);
      const loopNs = nsPerRun(base, input, rounds, warmups);
      base.dispose();
      const prog = await engine.load({ insns: assemble(loopSource(c.call, n)), name: c.helper }, m);
      prog.run(input);
      rows.push({ helper: c.helper, via, ns: (nsPerRun(prog, input, rounds, warmups) - loopNs) / (n * c.calls) });
      prog.dispose();
    }
  }
  log(`Helper calls from JIT code: ns per call (${n} iterations per run, loop cost subtracted; CPU time, median)`);
  log("  helper                  jit (default)   jit (JS helper)");
  for (const c of CASES) {
    const [fast, js] = (["jit", "jit (JS helper)"] as const).map((via) => rows.find((r) => r.helper === c.helper && r.via === via)?.ns.toFixed(1) ?? "—");
    log(`  ${c.helper.padEnd(22)} ${fast!.padStart(10)}   ${js!.padStart(14)}`);
  }
  log("  (default: the packet helpers and redirects call their wasm twins in the maps runtime, get_smp_processor_id and get_prandom_u32 are inline, the others are JS helpers — no second row)");
  return { callsPerRun: n, rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const json = process.argv.includes("--json");
  const report = await runJitHelpersBench({ quick: process.argv.includes("--quick"), log: json ? () => {} : console.log });
  if (json) console.log(JSON.stringify(report, null, 2));
}
