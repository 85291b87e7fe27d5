// `ebpf-wasm run PROG.o`: run one program of a BPF object over packets (a pcap/pcapng capture or
// the seeded generator) on an engine, and report verdict counts, the maps afterwards and
// throughput (issue 5 item 5). The object is loaded with vm/elf/load, verified (unless
// --no-verify, which is announced on stderr and in the report), instantiated on a machine with
// its maps, global data and PROG_ARRAY slots, and run through the PacketRunner
// (vm/runtime/run.ts); --engine kernel runs it in the Linux kernel instead (run-kernel.ts).

import { statSync, writeFileSync, type Stats } from "node:fs";
import { resolve } from "node:path";
import { generate } from "../../../corpus/gen/index.js";
import { BpfError } from "../../../vm/errors.js";
import { findProgram, type BpfObject, type ObjectProgram } from "../../../vm/elf/load/index.js";
import { instantiateObjectNode } from "../../../vm/elf/load/machine.node.js";
import { getEngine, type EngineOptions } from "../../../vm/engines.js";
import type { MapSet } from "../../../vm/maps/mapset.js";
import { BpfMap } from "../../../vm/maps/map.js";
import { QueueMap } from "../../../vm/maps/queue.js";
import { BloomFilterMap } from "../../../vm/maps/bloom-filter.js";
import { RingBuf } from "../../../vm/maps/ringbuf.js";
import { PerfEventArray } from "../../../vm/maps/perf-event-array.js";
import type { PerfRecord } from "../../../vm/helpers/trace.js";
import { isPerCpu } from "../../../vm/maps/types.js";
import { PROGRAM_TYPES } from "../../../vm/programs/types.js";
import { Network, type NetworkModel } from "../../../vm/net/model.js";
import { checkCgroup, type CgroupModel } from "../../../vm/helpers/packet/skb-cgroup.js";
import { hostCgroup } from "../../../vm/node/host-cgroup.js";
import { readCapture, toEthernet, writePcap, type Packet } from "../../../vm/packets/index.js";
import { loadRunner, type PacketResult } from "../../../vm/runtime/run.js";
import { CliError, positiveInt, stringOption, UsageError, type OptionSpec, type ParsedArgs } from "../args.js";
import type { Io } from "../command.js";
import { readObject, TYPE_OPTION } from "../object-file.js";
import { engineOptions } from "../engine-options.js";
import { readBytes, readText } from "../io.js";

/** Options of the object mode (merged into `run`'s spec). */
export const OBJECT_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  program: { type: "string", valueName: "NAME", description: "PROG.o: the program to run (function or section name; default: the object's entry program)" },
  pcap: { type: "string", valueName: "FILE", description: "PROG.o: packets from a pcap or pcapng capture (non-Ethernet link types adapted or skipped)" },
  gen: { type: "string", valueName: "SPEC", description: "PROG.o: generated packets, KIND:COUNT[:seed=N] (default mix:1000:seed=1)" },
  map: { type: "string", valueName: "NAME=FILE.json", description: "PROG.o: initial entries of a map, [{\"key\": HEX, \"value\": HEX}] (repeatable)" },
  network: {
    type: "string",
    valueName: "FILE.json",
    description: "PROG.o: the network bpf_fib_lookup, bpf_check_mtu and the socket lookups see: {devices, routes, neighbours, sockets} (vm/net/model.ts, vm/net/sockets.ts); default a fresh namespace, lo only. --engine kernel builds it in a private network namespace",
  },
  cgroup: {
    type: "string",
    valueName: "host|FILE.json",
    description: "PROG.o: the cgroup of the task running the program (skb_cgroup_id, skb_ancestor_cgroup_id, sk_cgroup_id, get_cgroup_classid): 'host' for this process's, which is what --engine kernel reports, or {\"path\": [1, ...ids from the root down], \"classid\": N} (vm/helpers/packet/skb-cgroup.ts); default the root cgroup, classid 0",
  },
  "prandom-seed": {
    type: "number",
    valueName: "N",
    description: "PROG.o: seed every CPU's bpf_get_prandom_u32 generator, for the same numbers run after run (both engines draw the same ones); default a random seed. Not with --engine kernel",
  },
  out: { type: "string", valueName: "FILE.pcap", description: "PROG.o: write the packets as they leave the program (dropped ones left out)" },
  "per-packet": { type: "boolean", description: "PROG.o: list every packet's verdict, r0 and length" },
  "no-verify": { type: "boolean", description: "PROG.o: DO NOT VERIFY the program (conformance experiments only; announced loudly)" },
  "timers-ms": {
    type: "number",
    valueName: "MS",
    description: "PROG.o: after the packets, wait up to MS ms for the BPF timers the program started (bpf_timer_start) to fire before the maps are read; without it, timers still pending are cancelled, as closing the maps does",
  },
  type: TYPE_OPTION,
};

const DEFAULT_GEN = "mix:1000:seed=1";
/** Verdicts after which the packet goes nowhere (left out of --out). */
const DROPPED = new Set(["XDP_DROP", "XDP_ABORTED", "TC_ACT_SHOT", "TC_ACT_STOLEN", "drop", "drop+cn", "BPF_DROP"]);
/** Packets per runBatch call: progress updates between chunks. */
const CHUNK = 65_536;

/** Repeated --map options become one comma-separated value (parseArgs keeps the last only). */
export function joinMapOptions(argv: readonly string[]): string[] {
  const out: string[] = [];
  const maps: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (a === "--map" && i + 1 < argv.length) maps.push(argv[++i]!);
    else if (a.startsWith("--map=")) maps.push(a.slice(6));
    else out.push(a);
  }
  return maps.length > 0 ? ["--map", maps.join(","), ...out] : out;
}

export interface MapInit {
  readonly map: string;
  readonly file: string;
  readonly entries: ReadonlyArray<{ readonly key?: Uint8Array; readonly value: Uint8Array | Uint8Array[] }>;
}

export interface RunReport {
  readonly verdicts: Record<string, number>;
  readonly packets: number;
  readonly results: PacketResult[] | undefined;
  readonly maps: Record<string, unknown[]>;
  /** Time inside the runs, in ms. */
  readonly ms: number;
  /** bpf_trace_printk lines, oldest first. */
  readonly trace?: readonly string[];
  /** Redirect verdicts by recorded target ("tx[1] -> ifindex 3", "ifindex 2"). */
  readonly redirects?: Record<string, number>;
  /** bpf_perf_event_output records: count per CPU, the first few in hex. */
  readonly perf?: PerfReport;
  /** What the reader should know about this run (engine differences). */
  readonly notes?: readonly string[];
}

export interface PerfReport {
  readonly records: number;
  readonly byCpu: Record<string, number>;
  readonly first: ReadonlyArray<{ readonly cpu: number; readonly index: number; readonly data: string }>;
  /** Records refused because the sink was full. */
  readonly lost: number;
}

/** How many records the report shows in hex. */
const PERF_SHOWN = 8;

function perfReport(records: readonly PerfRecord[], lost: number): PerfReport | undefined {
  if (records.length === 0 && lost === 0) return undefined;
  const byCpu: Record<string, number> = {};
  for (const r of records) byCpu[r.cpu] = (byCpu[r.cpu] ?? 0) + 1;
  const first = records.slice(0, PERF_SHOWN).map((r) => ({ cpu: r.cpu, index: r.index, data: hex(r.data) }));
  return { records: records.length, byCpu, first, lost };
}

export async function runObject(path: string, args: ParsedArgs, io: Io): Promise<number> {
  const engineName = stringOption(args, "engine")!;
  const verify = args.options["no-verify"] !== true;
  if (!verify) {
    io.stderr("ebpf-wasm run: WARNING: --no-verify: the program runs WITHOUT verification; a program the verifier would reject may fault or misbehave. Use it for conformance experiments only.\n");
  }
  refuseOverwritingInput(stringOption(args, "out"), stringOption(args, "pcap"));
  const { obj, inits } = withGlobalData(readObject(path, 1, args), args);
  const entry = findProgram(obj, stringOption(args, "program"));
  const { packets, input, notes } = readPackets(args);
  const wantResults = args.options["per-packet"] === true || stringOption(args, "out") !== undefined;
  const network = readNetwork(stringOption(args, "network"));
  const cgroup = readCgroup(stringOption(args, "cgroup"), engineName);
  const timersMs = args.options["timers-ms"] === undefined ? 0 : positiveInt(args, "timers-ms");
  const prandomSeed = args.options["prandom-seed"] === undefined ? undefined : seedOption(args, engineName);
  let report: RunReport;
  if (engineName === "kernel") {
    const { runInKernel } = await import("./run-kernel.js");
    report = runInKernel(obj, entry, packets, inits, { verify, results: wantResults, settleMs: timersMs, ...(network ? { network } : {}) });
  } else {
    report = await runHere(obj, entry, engineName, packets, inits, { verify, results: wantResults, engine: engineOptions(args), network, cgroup, timersMs, prandomSeed });
  }
  const out = stringOption(args, "out");
  if (out !== undefined) writeOut(out, packets, report.results!, PROGRAM_TYPES[entry.type!].networkHeader === true);
  const summary = {
    program: entry.name,
    section: entry.section,
    type: entry.type,
    engine: engineName,
    verified: verify,
    input,
    ...(notes.length + (report.notes?.length ?? 0) > 0 ? { notes: [...notes, ...(report.notes ?? [])] } : {}),
    packets: report.packets,
    verdicts: report.verdicts,
    maps: report.maps,
    ms: round3(report.ms),
    ns_per_packet: report.packets > 0 ? round3((report.ms * 1e6) / report.packets) : null,
    mpps: report.ms > 0 ? round3(report.packets / report.ms / 1000) : null,
    ...(report.trace ? { trace: report.trace } : {}),
    ...(report.redirects ? { redirects: report.redirects } : {}),
    ...(report.perf ? { perf: report.perf } : {}),
    ...(args.options["per-packet"] === true
      ? { results: report.results!.map((r, index) => ({ index, verdict: r.verdict, retval: `0x${r.retval.toString(16)}`, len: r.packet.length })) }
      : {}),
  };
  io.stdout(args.options.json === true ? `${JSON.stringify(summary)}\n` : formatText(summary));
  return 0;
}

/** --out must not be the capture being read: writing it would destroy the input (the same file by any name). */
function refuseOverwritingInput(out: string | undefined, pcap: string | undefined): void {
  if (out === undefined || pcap === undefined) return;
  const same = (a: Stats, b: Stats): boolean => a.dev === b.dev && a.ino === b.ino;
  const o = statSync(out, { throwIfNoEntry: false });
  const p = statSync(pcap, { throwIfNoEntry: false });
  if (resolve(out) === resolve(pcap) || (o && p && same(o, p))) {
    throw new UsageError(`--out ${out} is the capture --pcap reads: writing it would destroy the input; choose another file`);
  }
}

function readPackets(args: ParsedArgs): { packets: Packet[]; input: string; notes: string[] } {
  const pcap = stringOption(args, "pcap");
  const gen = stringOption(args, "gen");
  if (pcap !== undefined && gen !== undefined) throw new UsageError("give only one of --pcap, --gen");
  if (pcap === undefined) {
    const spec = gen ?? DEFAULT_GEN;
    return { packets: generate(spec), input: `gen ${spec}`, notes: [] };
  }
  let capture;
  try {
    capture = readCapture(readBytes(pcap, "capture"));
  } catch (err) {
    if (err instanceof BpfError) throw new CliError(`cannot read capture '${pcap}': ${err.message}`);
    throw err;
  }
  const eth = toEthernet(capture.packets);
  const notes = [
    ...Object.entries(eth.adapted).map(([lt, n]) => `${n} ${lt} packets adapted to Ethernet`),
    ...Object.entries(eth.skipped).map(([why, n]) => `${n} packets skipped: ${why}`),
  ];
  return { packets: eth.packets, input: `pcap ${pcap}`, notes };
}

// ---- --network FILE.json --------------------------------------------------------------------

/** The network model in FILE (checked here, so a bad one is refused before any engine starts). */
function readNetwork(file: string | undefined): NetworkModel | undefined {
  if (file === undefined) return undefined;
  let model: NetworkModel;
  try {
    model = JSON.parse(readText(file, "network")) as NetworkModel;
  } catch (err) {
    if (err instanceof SyntaxError) throw new CliError(`--network ${file}: not JSON: ${err.message}`);
    throw err;
  }
  if (typeof model !== "object" || model === null || !Array.isArray(model.devices)) {
    throw new CliError(`--network ${file}: expected {"devices": [...], "routes": [...], "neighbours": [...], "sockets": [...]} (vm/net/model.ts)`);
  }
  try {
    new Network(model);
  } catch (err) {
    if (err instanceof BpfError) throw new CliError(`--network ${file}: ${err.message}`);
    throw err;
  }
  return model;
}

// ---- --prandom-seed N --------------------------------------------------------------------------

/** --prandom-seed: a non-negative integer; the kernel seeds its own generator. */
function seedOption(args: ParsedArgs, engineName: string): number {
  if (engineName === "kernel") throw new CliError("--prandom-seed: the kernel seeds its own bpf_get_prandom_u32 generator; it goes with --engine interpreter or jit");
  const seed = args.options["prandom-seed"];
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--prandom-seed must be a non-negative integer, got ${String(seed)}`);
  return seed;
}

// ---- --cgroup host|FILE.json -----------------------------------------------------------------

/** The cgroup model of --cgroup: this process's, or the one in FILE (checked here). */
function readCgroup(value: string | undefined, engineName: string): CgroupModel | undefined {
  if (value === undefined) return undefined;
  try {
    if (value === "host") return hostCgroup();
    if (engineName === "kernel") throw new CliError(`--cgroup ${value}: the kernel runs the program in this process's cgroup; only --cgroup host goes with --engine kernel`);
    let model: CgroupModel;
    try {
      model = JSON.parse(readText(value, "cgroup")) as CgroupModel;
    } catch (err) {
      if (err instanceof SyntaxError) throw new CliError(`--cgroup ${value}: not JSON: ${err.message}`);
      throw err;
    }
    if (typeof model !== "object" || model === null) throw new CliError(`--cgroup ${value}: expected {"path": [1, ...], "classid": N}`);
    checkCgroup(model);
    return model;
  } catch (err) {
    if (err instanceof BpfError) throw new CliError(`--cgroup ${value}: ${err.message}`);
    throw err;
  }
}

// ---- --map NAME=FILE.json ------------------------------------------------------------------

function parseHex(text: unknown, what: string): Uint8Array {
  if (text === undefined) throw new CliError(`${what}: missing (expected a hex string)`);
  if (typeof text !== "string") throw new CliError(`${what}: expected a hex string, got ${JSON.stringify(text)}`);
  const clean = text.replace(/^0x/i, "").replace(/[\s:_-]/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new CliError(`${what}: '${text}' is not a whole number of hex bytes`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function readMapInits(args: ParsedArgs, obj: BpfObject): MapInit[] {
  const value = stringOption(args, "map");
  if (value === undefined) return [];
  return value.split(",").map((item) => {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--map takes NAME=FILE.json, got '${item}'`);
    const map = item.slice(0, eq);
    const file = item.slice(eq + 1);
    const def = obj.maps.find((m) => m.name === map);
    if (!def) throw new CliError(`--map ${map}: the object has no map '${map}' (maps: ${obj.maps.map((m) => m.name).join(", ") || "none"})`);
    let json: unknown;
    try {
      json = JSON.parse(readText(file, "map file"));
    } catch (err) {
      if (err instanceof SyntaxError) throw new CliError(`map file '${file}': not JSON: ${err.message}`);
      throw err;
    }
    const list = Array.isArray(json) ? json : (json as { entries?: unknown })?.entries;
    if (!Array.isArray(list)) throw new CliError(`map file '${file}': expected an array of {"key": HEX, "value": HEX} (or {"entries": [...]})`);
    const keyless = def.spec.keySize === 0;
    const seen = new Map<string, number>(); // key (hex) → the entry that set it
    const entries = list.map((e: unknown, i) => {
      const what = `map file '${file}' entry ${i}`;
      if (typeof e !== "object" || e === null || Array.isArray(e)) throw new CliError(`${what}: expected an object {"key": HEX, "value": HEX}`);
      const extra = Object.keys(e).find((f) => f !== "key" && f !== "value");
      if (extra !== undefined) throw new CliError(`${what}: unknown field '${extra}' (an entry has "key" and "value")`);
      const { key, value } = e as { key?: unknown; value?: unknown };
      // A queue, stack or bloom filter takes values only: a key there would be ignored.
      if (keyless && key !== undefined) throw new CliError(`${what}: map '${map}' has no keys (key_size 0: its entries are values to push), but the entry has one`);
      const k = keyless ? undefined : parseHex(key, `${what} key`);
      if (k && k.length !== def.spec.keySize) throw new CliError(`${what}: key is ${k.length} bytes, map '${map}' has ${def.spec.keySize}-byte keys`);
      // A second value for a key would silently replace the first: almost always a mistake in the file.
      const earlier = k ? seen.get(hex(k)) : undefined;
      if (earlier !== undefined) throw new CliError(`${what}: key ${hex(k!)} is entry ${earlier}'s too`);
      if (k) seen.set(hex(k), i);
      const v = Array.isArray(value) ? value.map((x, c) => parseHex(x, `${what} value for CPU ${c}`)) : parseHex(value, `${what} value`);
      for (const one of Array.isArray(v) ? v : [v]) {
        if (one.length !== def.spec.valueSize) throw new CliError(`${what}: value is ${one.length} bytes, map '${map}' has ${def.spec.valueSize}-byte values`);
      }
      return k ? { key: k, value: v } : { value: v };
    });
    return { map, file, entries };
  });
}

/**
 * --map for global data (.data, .rodata, .bss) sets the object's initial contents, before
 * anything is loaded — what a libbpf skeleton does with `skel->rodata->x = ...` before
 * `__load()`: .rodata is frozen once written, and the verifier reads its frozen values (a loop
 * bound, an offset) as constants, so it must see the values the programs will run with. The
 * other maps' entries are written after loading (applyMapInits / fillKernelMap).
 */
export function withGlobalData(obj: BpfObject, args: ParsedArgs): { obj: BpfObject; inits: MapInit[] } {
  const all = readMapInits(args, obj);
  const isData = (init: MapInit): boolean => obj.maps.find((m) => m.name === init.map)!.origin === "data";
  const data = all.filter(isData);
  if (data.length === 0) return { obj, inits: all };
  const maps = obj.maps.map((m) => {
    const init = data.find((d) => d.map === m.name);
    if (!init) return m;
    let value = m.initial ?? new Uint8Array(m.spec.valueSize);
    for (const e of init.entries) {
      if (e.key && new DataView(e.key.buffer, e.key.byteOffset).getUint32(0, true) !== 0) {
        throw new CliError(`--map ${init.map}=${init.file}: global data has one entry, key 0 (00000000)`);
      }
      value = single(e.value, (why) => { throw new CliError(`--map ${init.map}=${init.file}: ${why}`); });
    }
    return { ...m, initial: value };
  });
  return { obj: { ...obj, maps }, inits: all.filter((i) => !isData(i)) };
}

/**
 * How a refused entry of --map NAME=FILE is named, on every engine: the file, the entry's index
 * in it and its key, so a long file points at its bad line.
 */
export function mapInitFailure(init: MapInit, i: number): (why: string) => never {
  const key = init.entries[i]?.key;
  return (why) => {
    throw new CliError(`--map ${init.map}=${init.file}: entry ${i}${key ? ` (key ${hex(key)})` : ""}: ${why}`);
  };
}

function applyMapInits(maps: MapSet, inits: readonly MapInit[]): void {
  for (const init of inits) {
    const map = maps.get(init.map)!;
    for (const [i, e] of init.entries.entries()) {
      const fail = mapInitFailure(init, i);
      try {
        if (map instanceof QueueMap) map.push(single(e.value, fail));
        else if (map instanceof BloomFilterMap) map.add(single(e.value, fail));
        else if (map instanceof RingBuf) fail("a ring buffer has no entries to set");
        else if (map.typeName === "prog_array") fail("PROG_ARRAY slots hold program ids; they are set from the object's static initialisation");
        else if (isPerCpu(map.type)) (map as unknown as BpfMap<Uint8Array[], Uint8Array | Uint8Array[]>).update(e.key!, e.value);
        else (map as BpfMap).update(e.key!, single(e.value, fail));
      } catch (err) {
        if (err instanceof BpfError) fail(err.message);
        throw err;
      }
    }
  }
}

function single(v: Uint8Array | Uint8Array[], fail: (why: string) => never): Uint8Array {
  return Array.isArray(v) ? fail("one value per CPU is only for per-CPU maps") : v;
}

// ---- runs --------------------------------------------------------------------------------

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const BPF_F_RDONLY = 1 << 3;
const BPF_F_WRONLY = 1 << 4;
const QUEUE_TYPES = new Set([22, 23]);
const XSKMAP = 17;
const CGROUP_ARRAY = 8;
const BLOOM_FILTER = 30;

/**
 * Why user space cannot read a map back after a run (the kernel's map_get_sys_perms): a
 * BPF_F_WRONLY map's fd may not read, and popping a BPF_F_RDONLY queue or stack needs write
 * access. Such a map is reported as `[{unreadable: why}]`, on every engine alike.
 */
export function unreadable(type: number, flags: number): string | undefined {
  if (flags & BPF_F_WRONLY) return "created BPF_F_WRONLY: user space may not read it";
  if (flags & BPF_F_RDONLY && QUEUE_TYPES.has(type)) return "created BPF_F_RDONLY: user space may not pop it";
  // xsk_map_lookup_elem_sys_only; the sockets a run redirected to are in the report's `redirects`.
  if (type === XSKMAP) return "an XSKMAP's slots hold AF_XDP sockets: user space may not look them up (EOPNOTSUPP)";
  if (type === CGROUP_ARRAY) return "a CGROUP_ARRAY's slots hold cgroups: user space may not look them up (ENOTSUPP)";
  // bloom_map_get_next_key: a bloom filter has no keys to walk, only values to peek for.
  if (type === BLOOM_FILTER) return "a BLOOM_FILTER has no keys to walk (get_next_key: EINVAL), only values to peek for";
  return undefined;
}

/** Every map's contents after the run: {key, value} hex strings, per-CPU values as arrays. */
function dumpMaps(maps: MapSet): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const map of maps) {
    const why = unreadable(map.type, map.flags);
    if (why) out[map.name] = [{ unreadable: why }];
    else if (map instanceof RingBuf) out[map.name] = map.drain().map((r) => ({ value: hex(r) }));
    else if (map instanceof PerfEventArray) {
      // Slots hold an open event's CPU, not data: the records are in the report's `perf`.
      const slots: unknown[] = [];
      for (let i = 0; i < map.maxEntries; i++) {
        const cpu = map.cpuOf(i);
        if (cpu !== undefined) slots.push({ slot: i, cpu });
      }
      out[map.name] = slots;
    }
    else if (map instanceof QueueMap) {
      const values: unknown[] = [];
      for (let v = map.pop(); v; v = map.pop()) values.push({ value: hex(v) });
      out[map.name] = values;
    } else {
      const entries: unknown[] = [];
      for (const [key, value] of (map as BpfMap<Uint8Array | Uint8Array[]>).entries()) {
        entries.push({ key: hex(key), value: Array.isArray(value) ? value.map(hex) : hex(value) });
      }
      out[map.name] = entries;
    }
  }
  return out;
}

/** The default packet slot of a CPU (vm/memory/layout.ts). */
const DEFAULT_PACKET_MAX = 65536;

/**
 * A packet slot for the capture's largest frame when the default is too small: captures taken
 * after GRO / TSO hold frames of 64 KiB and more (BIG TCP), which a run should take as they are
 * rather than stop at. (The kernel's test run refuses such a frame: the kernel engine reports it
 * as ERROR(errno) and goes on.)
 */
function packetSlotFor(packets: readonly Packet[]): { packetMax?: number } {
  let largest = 0;
  for (const p of packets) largest = Math.max(largest, p.data.length);
  return largest > DEFAULT_PACKET_MAX ? { packetMax: largest } : {};
}

async function runHere(
  obj: BpfObject, entry: ObjectProgram, engineName: string, packets: readonly Packet[], inits: readonly MapInit[],
  options: { verify: boolean; results: boolean; engine: EngineOptions; network: NetworkModel | undefined; cgroup: CgroupModel | undefined; timersMs: number; prandomSeed: number | undefined },
): Promise<RunReport> {
  const engine = await getEngine(engineName, options.engine);
  const loaded = instantiateObjectNode(obj, entry, {
    verify: options.verify,
    ...packetSlotFor(packets),
    ...(options.network ? { network: options.network } : {}),
    ...(options.cgroup ? { cgroup: options.cgroup } : {}),
    ...(options.prandomSeed !== undefined ? { prandomSeed: options.prandomSeed } : {}),
  });
  applyMapInits(loaded.machine.maps, inits);
  // A perf event reader (libbpf's perf_buffer) opens slot i on CPU i of every PERF_EVENT_ARRAY.
  for (const map of loaded.machine.maps) if (map instanceof PerfEventArray) map.openAll();
  const runner = await loadRunner(engine, loaded.program, loaded.machine);
  try {
    const verdicts: Record<string, number> = {};
    const results: PacketResult[] | undefined = options.results ? [] : undefined;
    const redirects: Record<string, number> = {};
    const progress = new Progress(packets.length);
    let ms = 0;
    for (let start = 0; start < packets.length; start += CHUNK) {
      const chunk = packets.slice(start, start + CHUNK);
      const t0 = performance.now();
      const batch = runner.runBatch(chunk, { results: options.results });
      ms += performance.now() - t0;
      for (const [name, n] of Object.entries(batch.verdicts)) verdicts[name] = (verdicts[name] ?? 0) + n;
      if (results) results.push(...batch.results!);
      for (const [target, n] of Object.entries(batch.redirects ?? {})) redirects[target] = (redirects[target] ?? 0) + n;
      progress.update(start + chunk.length);
    }
    progress.done();
    // BPF timers (vm/runtime/timers.ts): they fire only while this waits; what is still pending
    // then is cancelled before the maps are read, so the dump is the same every time.
    if (options.timersMs > 0) await loaded.machine.timers.settle(options.timersMs);
    loaded.machine.timers.close();
    const trace = loaded.machine.trace.texts;
    const perf = perfReport(loaded.machine.perf.take(), loaded.machine.perf.lost);
    return {
      verdicts, packets: packets.length, results, maps: dumpMaps(loaded.machine.maps), ms, ...(trace.length > 0 ? { trace } : {}),
      ...(Object.keys(redirects).length > 0 ? { redirects } : {}), ...(perf ? { perf } : {}),
    };
  } finally {
    loaded.machine.timers.close();
    runner.dispose();
  }
}

/** A progress line on stderr for long runs, only when stderr is a terminal. */
class Progress {
  private readonly on: boolean;
  private last = 0;

  constructor(private readonly total: number) {
    this.on = process.stderr.isTTY === true && total >= 4 * CHUNK;
  }

  update(done: number): void {
    if (!this.on || performance.now() - this.last < 200) return;
    this.last = performance.now();
    process.stderr.write(`\rrun: ${Math.floor((100 * done) / this.total)}% (${done}/${this.total} packets)`);
  }

  done(): void {
    if (this.on) process.stderr.write("\r\x1b[K");
  }
}

/** `l3`: the results start at the network header (cgroup_skb, lwt); the frame's own Ethernet header is put back. */
function writeOut(file: string, input: readonly Packet[], results: readonly PacketResult[], l3 = false): void {
  const out: Packet[] = [];
  results.forEach((r0, i) => {
    if (DROPPED.has(r0.verdict)) return;
    const p = input[i]!;
    const r = l3 ? { ...r0, packet: Uint8Array.from([...p.data.subarray(0, Math.min(14, p.data.length)), ...r0.packet]) } : r0;
    // A capture cut at the snaplen keeps its missing tail on the wire.
    const origLen = r.packet.length + Math.max(0, p.origLen - p.data.length);
    out.push({ data: r.packet, ts: p.ts, origLen, linkType: p.linkType, iface: 0 });
  });
  try {
    writeFileSync(file, writePcap(out));
  } catch (err) {
    throw new CliError(`cannot write '${file}': ${(err as Error).message}`);
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function formatText(s: Record<string, unknown> & { maps: Record<string, unknown[]> }): string {
  const verdicts = Object.entries(s.verdicts as Record<string, number>).sort((a, b) => b[1] - a[1]).map(([v, n]) => `${v} ${n}`).join(", ");
  const lines = [
    `program      ${String(s.program)} (section '${String(s.section)}', ${String(s.type)}) on ${String(s.engine)}${s.verified ? ", verified" : ", NOT VERIFIED (--no-verify)"}`,
    `input        ${String(s.input)}`,
    ...((s.notes as string[] | undefined) ?? []).map((n) => `             ${n}`),
    `packets      ${String(s.packets)}`,
    `verdicts     ${verdicts || "none"}`,
    `time         ${String(s.ms)} ms in runs${s.ns_per_packet !== null ? ` (${String(s.ns_per_packet)} ns/packet, ${String(s.mpps)} Mpps)` : ""}`,
  ];
  const names = Object.keys(s.maps);
  if (names.length > 0) lines.push("maps");
  for (const name of names) {
    const entries = s.maps[name]!;
    lines.push(`  ${name}: ${entries.length} entr${entries.length === 1 ? "y" : "ies"}`);
    for (const e of entries.slice(0, 8)) lines.push(`    ${JSON.stringify(e)}`);
    if (entries.length > 8) lines.push(`    ... ${entries.length - 8} more (--json prints all)`);
  }
  const trace = s.trace as string[] | undefined;
  if (trace) lines.push(`trace_printk (${trace.length} lines)`, ...trace.slice(0, 20).map((t) => `  ${t}`), ...(trace.length > 20 ? [`  ... ${trace.length - 20} more (--json prints all)`] : []));
  const redirects = s.redirects as Record<string, number> | undefined;
  if (redirects) lines.push("redirects", ...Object.entries(redirects).sort((a, b) => b[1] - a[1]).map(([t, n]) => `  ${t}: ${n}`));
  const perf = s.perf as PerfReport | undefined;
  if (perf) {
    const cpus = Object.entries(perf.byCpu).map(([c, n]) => `cpu ${c}: ${n}`).join(", ");
    lines.push(`perf events  ${perf.records} records (${cpus || "none"})${perf.lost ? `, ${perf.lost} lost` : ""}`);
    for (const r of perf.first) lines.push(`  cpu ${r.cpu} slot ${r.index}: ${r.data}`);
    if (perf.records > perf.first.length) lines.push(`  ... ${perf.records - perf.first.length} more`);
  }
  const results = s.results as Array<Record<string, unknown>> | undefined;
  if (results) for (const r of results) lines.push(`#${String(r.index)} ${String(r.verdict)} r0=${String(r.retval)} len=${String(r.len)}`);
  return lines.join("\n") + "\n";
}
