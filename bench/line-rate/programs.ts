// The programs the line-rate benchmark runs: corpus/programs objects (or any .o a user names),
// loaded with the object loader (vm/elf/load), plus what each needs in its maps before it does
// real work — the same entries in our maps and in the kernel's, so both engines see the same state.

import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { BpfError } from "../../vm/errors.js";
import type { Insn } from "../../vm/isa/instruction.js";
import { isPerCpu, parseMapType, type MapSpec, type MapType } from "../../vm/maps/types.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import { findProgram, loadObject, type BpfObject, type ObjectProgram } from "../../vm/elf/load/index.js";
import { instantiateObjectNode, type NodeObjectMachineOptions } from "../../vm/elf/load/machine.node.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { packageRoot } from "../root.js";
import type { PacketLike } from "./corpora.js";

/** A map write both engines apply before running: key and value bytes. */
export interface MapEntry {
  readonly map: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

export interface BenchProgram {
  /** What rows call it: the object's base name, or object:function when it has several programs. */
  readonly name: string;
  readonly file: string;
  readonly type: ProgramTypeName;
  readonly insns: readonly Insn[];
  /** The object's maps in fd order. */
  readonly maps: readonly MapSpec[];
  readonly object: BpfObject;
  /** The entry program of the object. */
  readonly entry: ObjectProgram;
  /** Whether the object fills PROG_ARRAY slots (a tail-call chain). */
  readonly tailCalls: boolean;
  /** Entries to write into the maps, given the packets the program will see. */
  setup(packets: readonly PacketLike[]): MapEntry[];
}

/**
 * The programs of the default suite, in order: the reference workloads of issue 7 first, then a
 * tc classifier (an __sk_buff program: the pool's driver places its contexts, vm/pool/placements.ts)
 * and a tc source NAT (seven packet helper calls a packet: skb_load/store_bytes, l3/l4_csum_replace,
 * which JIT code calls in wasm, jit/README.md "Packet helpers").
 */
export const DEFAULT_PROGRAMS = ["xdp_parser", "xdp_firewall", "proto_counter", "tc_classifier", "tc_snat"];
/**
 * Every corpus program with a default set-up (--program all). tc_ct_nat's verdicts depend on the
 * conntrack entries earlier packets left: the kernel check replays the same packets from the same
 * initial maps on both sides (replay.ts), so it compares the same history.
 */
export const ALL_PROGRAMS = [
  "xdp_parser", "xdp_firewall", "proto_counter", "syn_limiter", "l4_lb", "ipv6_parser", "calls_loop",
  "ringbuf_logger", "tail_calls", "socket_ldabs", "tc_classifier", "tc_snat", "tc_pull_relative", "tc_ct_nat",
];

const u32le = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

/** Most `allow` entries: each is one BPF_MAP_UPDATE_ELEM round trip for the kernel engine. */
const MAX_ALLOW = 4096;

/**
 * The firewall's `allow` map: every other distinct {saddr, daddr, dport} of the IPv4 TCP/UDP
 * packets the program will see, up to 4096 entries — so flows pass and are dropped, and every
 * lookup is a real hash probe (flood64's 65536 random sources mostly miss).
 */
function firewallEntries(packets: readonly PacketLike[]): MapEntry[] {
  const seen = new Set<string>();
  const entries: MapEntry[] = [];
  let k = 0;
  for (const p of packets) {
    const key = flowKey(p.data);
    if (!key) continue;
    const id = key.join(",");
    if (seen.has(id)) continue;
    seen.add(id);
    if (k++ % 2 === 0 && entries.length < MAX_ALLOW) entries.push({ map: "allow", key, value: u32le(1) });
  }
  return entries;
}

/** struct flow_key { __be32 saddr, daddr; __be16 dport; __u16 pad; } of a frame, as xdp_firewall.c reads it. */
export function flowKey(frame: Uint8Array): Uint8Array | undefined {
  let off = 14;
  if (frame.length < 14) return undefined;
  let proto = (frame[12]! << 8) | frame[13]!;
  if (proto === 0x8100) {
    if (frame.length < 18) return undefined;
    proto = (frame[16]! << 8) | frame[17]!;
    off = 18;
  }
  if (proto !== 0x0800 || frame.length < off + 20) return undefined;
  const l4 = off + (frame[off]! & 0x0f) * 4;
  const ipProto = frame[off + 9]!;
  const l4Size = ipProto === 6 ? 20 : ipProto === 17 ? 8 : 0;
  if (l4Size === 0 || frame.length < l4 + l4Size) return undefined;
  const key = new Uint8Array(12);
  key.set(frame.subarray(off + 12, off + 20), 0);
  key.set(frame.subarray(l4 + 2, l4 + 4), 8);
  return key;
}

/** l4_lb: four backends 10.1.0.1..4 with MACs 02:00:00:00:00:01..04. */
function loadBalancerEntries(): MapEntry[] {
  const backends = [1, 2, 3, 4].map((i) => {
    const value = new Uint8Array(12);
    value.set([10, 1, 0, i], 0);
    value.set([2, 0, 0, 0, 0, i], 4);
    return { map: "backends", key: u32le(i - 1), value };
  });
  return [{ map: "backend_count", key: u32le(0), value: u32le(4) }, ...backends];
}

const SETUPS: Record<string, (packets: readonly PacketLike[]) => MapEntry[]> = {
  xdp_firewall: firewallEntries,
  l4_lb: loadBalancerEntries,
};

/** Resolve a program argument: a corpus program name, NAME:FUNCTION, or a path to a .o. */
export function loadBenchProgram(spec: string): BenchProgram {
  const [path, fn] = splitSpec(spec);
  const file = path.endsWith(".o") ? path : join(packageRoot(), "corpus", "programs", `${path}.o`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new BpfError(`program '${spec}': cannot read ${file}: ${(err as Error).message}`);
  }
  const base = basename(file, ".o");
  let object: BpfObject;
  let entry: ObjectProgram;
  try {
    object = loadObject(bytes);
    // The entry: the named function, else the one program no PROG_ARRAY slot points at.
    entry = findProgram(object, fn);
    if (entry.error) throw entry.error;
    if (!entry.type) throw new BpfError(entry.unsupported ?? "unsupported program type");
  } catch (err) {
    if (!(err instanceof BpfError)) throw err;
    throw new BpfError(`program '${spec}' (${file}): ${err.message}`, err.where);
  }
  const targets = new Set(object.maps.flatMap((m) => (m.slots ?? []).map((s) => s.program)));
  const name = object.programs.length - targets.size > 1 || fn ? `${base}:${entry.name}` : base;
  const setup = SETUPS[base] ?? ((): MapEntry[] => []);
  return {
    name, file, type: entry.type!, insns: entry.insns, maps: object.maps.map((m) => m.spec), object, entry,
    tailCalls: targets.size > 0, setup,
  };
}

/**
 * A machine for the program (its maps, global data, PROG_ARRAY slots filled), the program and
 * every tail-call target verified, as `ebpf-wasm run` does (vm/elf/load instantiateObject).
 */
export function benchMachine(program: BenchProgram, options: Omit<NodeObjectMachineOptions, "verify" | "log">): RuntimeMachine {
  return instantiateObjectNode(program.object, program.entry, options).machine;
}

/** Write map entries through the user-space API (per-CPU maps: the same value on every CPU). */
export function writeEntries(machine: RuntimeMachine, program: BenchProgram, entries: readonly MapEntry[]): void {
  for (const e of entries) {
    const spec = program.maps.find((m) => m.name === e.map)!;
    const type = (typeof spec.type === "number" ? spec.type : parseMapType(spec.type)) as MapType;
    if (isPerCpu(type)) machine.maps.perCpu(e.map).update(e.key, e.value);
    else machine.maps.keyed(e.map).update(e.key, e.value);
  }
}

function splitSpec(spec: string): [string, string | undefined] {
  const at = spec.lastIndexOf(":");
  return at > 0 && !spec.slice(at).includes("/") ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
}
