// Map lookups from JIT-compiled eBPF (issue 4 "Must show": ns per map operation from JIT code):
// a program loops over N keys calling bpf_map_lookup_elem and summing the values it finds, and
// the same loop without the call gives the loop's own cost; ns per lookup is the difference over
// N. Rows, each on a HASH (1024 entries, 8-byte values) and an ARRAY of the same size:
//
//   jit (wasm-to-wasm)    the maps runtime export imported into the JIT module (the default for hashes)
//   jit (inlined)         ARRAY lookups inlined as wasm (the default for arrays)
//   jit (array, call)     the same ARRAY lookup through the runtime export (inlineArrays: false)
//   jit (JS helper)       every map helper through its JS HelperDef (mapCalls: "js"), as before
//   interpreter           the interpreter's JS helper
//
// Timed in process CPU time (the loop is single-threaded), median of rounds after warm-up.
// Reference (issue 4, this machine): 5.3 ns per lookup through a wasm-to-wasm import; ~150 ns
// through a JS function; the kernel's XDP firewall with one HASH lookup ≈ 18 ns per packet.
// Numbers are printed and returned, never asserted.
//
//   node dist/bench/micro/jit-maps.js [--quick] [--json]

import { pathToFileURL } from "node:url";
import { JitEngine } from "../../jit/engine.js";
import type { JitOptions } from "../../jit/compile.js";
import { assemble } from "../../vm/asm/assembler.js";
import type { Engine, LoadedProgram, RunInput } from "../../vm/engine.js";
import { Interpreter } from "../../vm/interpreter/index.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";

export interface JitMapsRow {
  readonly map: "hash" | "array";
  readonly op: "lookup hit" | "lookup miss";
  readonly via: string;
  /** ns per lookup: loop with the call minus the loop alone, over the lookups. */
  readonly ns: number;
}

export interface JitMapsReport {
  readonly entries: number;
  readonly lookupsPerRun: number;
  /** ns per iteration of the loop without the lookup, per engine. */
  readonly loopNs: Record<string, number>;
  readonly rows: JitMapsRow[];
}

const ENTRIES = 1024;
const FD = { hash: 0, array: 1 } as const;

/**
 * Sum the values of keys (i & 1023) + offset for i < n. `call` is the lookup, or a stand-in that
 * leaves r0 pointing at a zeroed stack slot (the loop alone).
 */
function loopSource(fd: number, n: number, offset: number, call: boolean): string {
  return `
    stdw [%r10-16], 0
    mov %r6, 0
    mov %r7, 0
    loop:
    mov %r1, %r6
    and %r1, ${ENTRIES - 1}
    add %r1, ${offset}
    stxw [%r10-4], %r1
    lddw %r1, map_fd ${fd}
    mov %r2, %r10
    add %r2, -4
    ${call ? "call 1" : "mov %r0, %r10\nadd %r0, -16"}
    jeq %r0, 0, skip
    ldxdw %r1, [%r0]
    add %r7, %r1
    skip:
    add %r6, 1
    jlt %r6, ${n}, loop
    mov %r0, %r7
    exit`;
}

/** CPU ns per run of `prog`: the median of `rounds` after `warmups`, each round ≥ 20 ms of CPU. */
export function nsPerRun(prog: LoadedProgram, input: RunInput, rounds: number, warmups: number): number {
  const once = (reps: number): number => {
    const t0 = process.cpuUsage();
    for (let k = 0; k < reps; k++) prog.run(input);
    const t = process.cpuUsage(t0);
    return ((t.user + t.system) * 1e3) / reps;
  };
  // Warm up until V8 has tiered the code up (the first runs execute baseline code).
  let reps = 1;
  while (once(reps) * reps < 20e6) reps *= 2;
  for (let w = 0; w < warmups; w++) once(reps);
  const xs = Array.from({ length: rounds }, () => once(reps)).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

function machineWithMaps(): RuntimeMachine {
  const m = createNodeMachine({
    type: "xdp",
    cpus: 1,
    packetMax: 256,
    maps: [
      { name: "hash", type: "hash", keySize: 4, valueSize: 8, maxEntries: ENTRIES },
      { name: "array", type: "array", keySize: 4, valueSize: 8, maxEntries: ENTRIES },
    ],
  });
  const key = new Uint8Array(4);
  const value = new Uint8Array(8);
  for (let k = 0; k < ENTRIES; k++) {
    new DataView(key.buffer).setUint32(0, k, true);
    new DataView(value.buffer).setUint32(0, k + 1, true);
    m.maps.keyed("hash").update(key, value);
    m.maps.keyed("array").update(key, value);
  }
  return m;
}

export async function runJitMapsBench(options: { quick?: boolean; long?: boolean; log?: (line: string) => void } = {}): Promise<JitMapsReport> {
  const log = options.log ?? console.log;
  const quick = options.quick ?? false;
  const n = quick ? 2_000 : 20_000;
  // Rounds of >= 20 ms CPU each, after warm-up rounds (the default keeps `npm run bench` < 3 min).
  const rounds = quick ? 3 : options.long ? 9 : 5;
  const warmups = quick ? 2 : options.long ? 5 : 3;
  const m = machineWithMaps();
  // The interpreter checks every access: the map values are a region it may read.
  const input: RunInput = { args: [BigInt(m.layout.cpu(0).ctx)], regions: [{ start: m.layout.mapsBase, end: m.layout.mapsBase + m.layout.mapsSize, writable: false, name: "maps" }] };
  // Expected sums: a hit on key k adds k + 1; misses add nothing.
  let hitSum = 0n;
  for (let i = 0; i < n; i++) hitSum += BigInt((i & (ENTRIES - 1)) + 1);
  const engines: Array<{ via: string; engine: Engine; maps: ReadonlyArray<"hash" | "array"> }> = [
    { via: "jit (wasm-to-wasm)", engine: new JitEngine(), maps: ["hash"] },
    { via: "jit (inlined)", engine: new JitEngine(), maps: ["array"] },
    { via: "jit (array, call)", engine: new JitEngine({ inlineArrays: false } satisfies JitOptions), maps: ["array"] },
    { via: "jit (JS helper)", engine: new JitEngine({ mapCalls: "js" }), maps: ["hash", "array"] },
    { via: "interpreter", engine: new Interpreter({ maxInsns: 1e12 }), maps: ["hash", "array"] },
  ];
  const loopNs: Record<string, number> = {};
  const rows: JitMapsRow[] = [];
  for (const { via, engine, maps } of engines) {
    const engineName = engine.name;
    if (loopNs[engineName] === undefined) {
      const base = await engine.load({ insns: assemble(loopSource(FD.hash, n, 0, false)), name: "loop" }, m);
      loopNs[engineName] = nsPerRun(base, input, rounds, warmups) / n;
      base.dispose();
    }
    for (const map of maps) {
      for (const [op, offset] of [["lookup hit", 0], ["lookup miss", ENTRIES]] as const) {
        if (map === "array" && op === "lookup miss" && via !== "jit (inlined)") continue; // an array miss is a bounds check
        const prog = await engine.load({ insns: assemble(loopSource(FD[map], n, offset, true)), name: `${map} ${op}` }, m);
        const r0 = prog.run(input);
        const want = op === "lookup hit" ? hitSum : 0n;
        if (r0 !== want) throw new Error(`${via} ${map} ${op}: r0 = ${r0}, expected ${want}`);
        rows.push({ map, op, via, ns: nsPerRun(prog, input, rounds, warmups) / n - loopNs[engineName]! });
        prog.dispose();
      }
    }
  }
  log(`Map lookups from eBPF code: ns per lookup (${ENTRIES}-entry maps, ${n} lookups per run, loop cost subtracted; CPU time, median)`);
  log(`  loop alone: ${Object.entries(loopNs).map(([e, ns]) => `${e} ${ns.toFixed(2)} ns/iteration`).join(", ")}`);
  log("  map    op            via                   ns/lookup");
  for (const r of rows) log(`  ${r.map.padEnd(6)} ${r.op.padEnd(13)} ${r.via.padEnd(21)} ${r.ns.toFixed(2).padStart(8)}`);
  log("  reference (issue 4): 5.3 ns/lookup wasm-to-wasm, ~150 ns through a JS function; kernel XDP firewall, one HASH lookup: ~18 ns/packet");
  return { entries: ENTRIES, lookupsPerRun: n, loopNs, rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const json = process.argv.includes("--json");
  const report = await runJitMapsBench({ quick: process.argv.includes("--quick"), log: json ? () => {} : console.log });
  if (json) console.log(JSON.stringify(report, null, 2));
}
