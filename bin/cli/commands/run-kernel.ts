// `ebpf-wasm run PROG.o --engine kernel`: the same program, maps and packets in the Linux kernel
// (bpf() through vm/node/kernel's helper process: BPF_MAP_CREATE, BPF_PROG_LOAD,
// BPF_PROG_TEST_RUN per packet, map reads) — the native reference for `run` on our engines.
// Nothing is attached; every fd is closed at the end.
//
// What differs from a run on our engines, and why:
//   - socket filters: BPF_PROG_TEST_RUN hands a socket filter the frame after the 14-byte
//     Ethernet header it pulls, while a packet socket's filter (and our runtime) sees the frame
//     from its first byte; each frame is therefore sent behind a header of its own
//     (vm/node/kernel/socket-frame.ts), and that header is cut from the packet the kernel returns;
//     a socket filter's MAC and network headers are therefore the test run's, 14 bytes before
//     a packet socket's: LD_ABS / LD_IND at SKF_LL_OFF / SKF_NET_OFF and skb_load_bytes_relative
//     read other bytes there (the report says so when the program uses them);
//   - BTF: each program is loaded with the object's BTF (DATASEC sizes and offsets filled in) and
//     its func_info from .BTF.ext, as libbpf does (vm/elf/load/kernel-btf.ts);
//   - XDP metadata (bpf_xdp_adjust_meta) is not part of the packet a result shows, as on our
//     engines: the bridge splits it off the test run's data_out (KernelBridge.testRun);
//   - static PROG_ARRAY slots (libbpf's `.values = { [i] = &prog }`): the object's maps are
//     created once, every program of a slot is loaded onto them and its fd put in its slot, as
//     libbpf does; maps of maps get their inner template as inner_map_fd and their static
//     slots (`.values = { [i] = &inner }`) the inner maps' fds; a map of maps' value read back
//     is the kernel's map id, not ours (MapHandle.id), as a PROG_ARRAY's is a program id;
//   - read-back: keyed maps are iterated (BPF_MAP_GET_NEXT_KEY), queues and stacks popped until
//     empty (BPF_MAP_LOOKUP_AND_DELETE_ELEM) and ring buffers drained through their mmap()ed
//     pages (KernelMap.drain), so `maps` reads as on our engines (run-object.ts dumpMaps); a
//     perf event array is left out (no perf event is opened in the kernel).

import { BpfError } from "../../../vm/errors.js";
import { findProgram, verifierMaps, verifyObjectProgram, type BpfObject, type ObjectProgram } from "../../../vm/elf/load/index.js";
import { withCpuSlots } from "../../../vm/elf/load/maps.js";
import { programFuncInfo } from "../../../vm/elf/load/kernel-btf.js";
import { nodeHelperTables } from "../../../vm/elf/load/machine.node.js";
import { SKB_MAX_ALLOC } from "../../../vm/helpers/packet/uapi.js";
import type { Insn } from "../../../vm/isa/instruction.js";
import { hasPerCpuValues } from "../../../vm/maps/types.js";
import { describe } from "../../../vm/isa/table.js";
import { behindSocketHeader, KernelError, kernelBridge, type KernelMap, type KernelMapSpec } from "../../../vm/node/kernel/engine.js";
import { KernelBridge, runnerPath, type KernelProgram } from "../../../vm/node/kernel/bridge.js";
import { netnsAvailable, netnsWrapper } from "../../../vm/node/kernel/netns.js";
import { cgroupDirectoryById } from "../../../vm/node/host-cgroup.js";
import type { NetworkModel } from "../../../vm/net/model.js";
import type { Packet } from "../../../vm/packets/index.js";
import { PROGRAM_TYPES, SK_BUFF_SOCKET, SK_BUFF_TC } from "../../../vm/programs/index.js";
import type { PacketResult } from "../../../vm/runtime/run.js";
import { CliError } from "../args.js";
import { mapInitFailure, unreadable, type MapInit, type RunReport } from "./run-object.js";

const BPF_F_RDONLY_PROG = 1 << 7;
const PERF_EVENT_ARRAY = 4;
const XSKMAP = 17;
const CGROUP_ARRAY = 8;
const QUEUE = 22;
const STACK = 23;
const RINGBUF = 27;
const BLOOM_FILTER = 30;
const MAP_OF_MAPS = new Set([12, 13]);
const ETH_HLEN = 14;

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const u32 = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);

export function runInKernel(
  obj: BpfObject, entry: ObjectProgram, packets: readonly Packet[], inits: readonly MapInit[],
  options: { verify: boolean; results: boolean; network?: NetworkModel; settleMs?: number },
): RunReport {
  if (entry.error) throw entry.error;
  if (!entry.type) throw new BpfError(`program '${entry.name}' cannot run: ${entry.unsupported}`);
  if (!options.network) return runWith(kernelBridge(), obj, entry, packets, inits, options);
  // --network: the runner lives in a private network namespace built from the model (the
  // kernel's bpf_fib_lookup and check_mtu then see it), gone when the runner exits.
  const netns = netnsAvailable(options.network);
  if (!netns.ok) throw new CliError(`--engine kernel --network: ${netns.reason}`);
  const bridge = new KernelBridge(runnerPath(), netnsWrapper(options.network));
  try {
    return runWith(bridge, obj, entry, packets, inits, options);
  } finally {
    bridge.close();
  }
}

function runWith(
  bridge: KernelBridge, obj: BpfObject, entry: ObjectProgram, packets: readonly Packet[], inits: readonly MapInit[],
  options: { verify: boolean; results: boolean; settleMs?: number },
): RunReport {
  const status = bridge.available();
  if (!status.ok) throw new CliError(`--engine kernel is not available here: ${status.reason}`);
  const type = PROGRAM_TYPES[entry.type!];
  // libbpf: a PERF_EVENT_ARRAY without max_entries has a slot per possible CPU (withCpuSlots).
  const specs: KernelMapSpec[] = verifierMaps(obj).map((m, fd) => withCpuSlots({
    name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
    // The object's own read-only maps (.rodata); a DEVMAP is read-only to programs by itself
    // and refuses BPF_F_RDONLY_PROG at creation.
    flags: obj.maps[fd]!.spec.flags | (obj.maps[fd]!.readonly ? BPF_F_RDONLY_PROG : 0),
    // A map of maps: its inner template, created, passed as inner_map_fd and closed (libbpf).
    ...(m.inner ? { inner: { name: m.inner.name, type: m.inner.type, keySize: m.inner.keySize, valueSize: m.inner.valueSize, maxEntries: m.inner.maxEntries, flags: m.inner.flags ?? 0 } } : {}),
    // A value with a struct bpf_spin_lock: created with BTF saying where (the kernel needs it).
    ...(m.spinLock !== undefined ? { spinLock: m.spinLock } : {}),
    ...(m.timer !== undefined ? { timer: m.timer } : {}),
    // A BLOOM_FILTER's number of hash functions.
    ...(obj.maps[fd]!.spec.mapExtra ? { mapExtra: obj.maps[fd]!.spec.mapExtra } : {}),
  }, status.possibleCpus ?? 1));
  const kmaps: KernelMap[] = [];
  const programs: KernelProgram[] = [];
  const load = (p: ObjectProgram): KernelProgram => {
    if (p.error) throw p.error;
    if (options.verify) {
      const v = verifyObjectProgram(obj, p, { helpers: nodeHelperTables() });
      if (v.status !== "accepted") throw new BpfError(`program '${p.name}' was rejected by the verifier: ${v.message}`);
    }
    // The object's BTF and func_info, as libbpf loads a program (a tail call from a subprogram
    // needs them; a global subprogram is then verified on its own, as there).
    const funcInfo = programFuncInfo(obj, p);
    const attach = p.sectionType?.expectedAttach; // xdp/devmap: egress_ifindex is readable
    const loadOptions = { type: PROGRAM_TYPES[p.type ?? entry.type!].kernelType!, sharedMaps: kmaps, name: p.name, ...(attach !== undefined ? { expectedAttachType: attach } : {}) };
    let k: KernelProgram;
    try {
      k = bridge.load(p.insns, { ...loadOptions, ...(funcInfo ? { funcInfo } : {}) });
    } catch (err) {
      // libbpf drops a BTF the kernel refuses (bpf_object__sanitize_and_load_btf) and loads
      // without it; a program that needs it (global functions) is refused then anyway.
      if (!(funcInfo && err instanceof KernelError && err.log.includes("BPF_BTF_LOAD refused the program's BTF"))) throw err;
      k = bridge.load(p.insns, loadOptions);
      btfDropped.push(p.name);
    }
    programs.push(k);
    return k;
  };
  const btfDropped: string[] = [];
  let prog: KernelProgram;
  try {
    for (const spec of specs) kmaps.push(bridge.createMap(spec));
    // Global data as libbpf sets it up: written, and .rodata frozen, before any program is
    // loaded — the kernel verifier reads a frozen read-only map's values as constants.
    obj.maps.forEach((m, fd) => {
      if (m.origin !== "data") return;
      if (m.initial) kmaps[fd]!.update(u32(0), m.initial);
      if (m.readonly) kmaps[fd]!.freeze();
    });
    // Static map-of-maps slots (libbpf init_map_in_map_slots): key the u32 index, value the fd.
    obj.maps.forEach((m, fd) => {
      for (const slot of m.innerSlots ?? []) {
        kmaps[fd]!.update(u32(slot.index), u32(kmaps[obj.maps.findIndex((x) => x.name === slot.map)]!.fd));
      }
    });
    prog = load(entry);
    obj.maps.forEach((m, fd) => {
      for (const slot of m.slots ?? []) kmaps[fd]!.update(u32(slot.index), u32(load(findProgram(obj, slot.program)).fd));
    });
  } catch (err) {
    for (const p of programs) p.close();
    for (const m of kmaps) m.close();
    if (err instanceof KernelError) throw new CliError(`--engine kernel: ${err.message}`);
    throw err;
  }
  try {
    const cpus = status.possibleCpus ?? 1;
    for (const init of inits) {
      const fd = obj.maps.findIndex((m) => m.name === init.map);
      const map = kmaps[fd]!;
      if (map.spec.type === XSKMAP) throw new CliError(`--map ${init.map}=${init.file}: an XSKMAP slot takes an AF_XDP socket's fd, and the kernel engine opens no AF_XDP socket (the interpreter and JIT take socket ids)`);
      fillKernelMap(map, init, cpus, kmaps, bridge);
    }
    const socket = entry.type === "socket_filter";
    // A cgroup_skb or lwt program's test run pulls the Ethernet header as a socket filter's does,
    // and our runtime starts its packet at the network header too; the kernel's data_out has 14
    // zeroed bytes pushed in front (bpf_prog_test_run_skb, !is_l2), cut here.
    const l3 = type.networkHeader === true;
    const ctx = entry.type === "sched_cls" || l3 ? new Uint8Array(SK_BUFF_TC.size) : socket ? new Uint8Array(SK_BUFF_SOCKET.size) : undefined;
    const data = packets.map((p) => (socket ? behindSocketHeader(p.data) : p.data));
    // A tc program may grow its skb up to SKB_MAX_ALLOC (skb_change_tail / change_head /
    // adjust_room), an lwt_xmit one too, an lwt_in one by an encapsulation: data_out needs that
    // room, or the kernel cuts it and reports ENOSPC.
    const grows = entry.type === "sched_cls" || entry.type === "lwt_xmit" || entry.type === "lwt_in";
    const runs = prog.testRunMany(data, ctx ? { ctx, ...(grows ? { dataOutExtra: SKB_MAX_ALLOC } : {}) } : {});
    const verdicts: Record<string, number> = {};
    const results: PacketResult[] = [];
    let ns = 0;
    runs.forEach((k) => {
      ns += k.duration;
      const retval = BigInt(k.retval >>> 0);
      const verdict = k.errno ? `ERROR(${k.errno})` : type.verdict(retval);
      verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
      if (options.results) {
        let packet = socket || l3 ? k.data.subarray(Math.min(ETH_HLEN, k.data.length)) : k.data;
        if (socket && k.retval !== 0 && k.retval < packet.length) packet = packet.subarray(0, k.retval);
        results.push({ verdict, retval, packet: packet.slice() });
      }
    });
    // BPF timers the runs started fire in the kernel's softirq, later: give them `settleMs` before
    // the maps are read (closing the maps then cancels what is still pending).
    if (options.settleMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, options.settleMs);
    const maps: Record<string, unknown[]> = {};
    const notes: string[] = [];
    kmaps.forEach((map, fd) => {
      const name = obj.maps[fd]!.name;
      if (map.spec.type === PERF_EVENT_ARRAY) notes.push(`map '${name}' (perf event array): no perf event is opened in the kernel (that needs perf_event_open), so bpf_perf_event_output returns -ENOENT there; the other engines open slot i on CPU i`);
      else maps[name] = dumpKernelMap(map, cpus);
    });
    if (socket && readsHeadersRelative(entry.insns)) notes.push(SOCKET_HEADERS_NOTE);
    if (btfDropped.length) notes.push(`the kernel refused the object's BTF (BPF_BTF_LOAD): ${btfDropped.join(", ")} loaded without it, as libbpf does`);
    if (runs.some((k) => k.errno)) notes.push("ERROR(n): BPF_PROG_TEST_RUN refused the packet with errno n (e.g. a frame too short for an skb, or longer than a test run takes)");
    // BPF_PROG_TEST_RUN has only the bytes it is given: skb->len is their count (ctx_in may not set
    // len), while our engines give a frame cut at capture its wire length (vm/runtime/README.md).
    const cut = ctx ? packets.filter((p) => p.origLen > p.data.length).length : 0;
    if (cut) notes.push(`${cut} frame(s) were cut at capture (captured < wire length): the kernel's test run has only the captured bytes, so its skb->len and wire_len are the captured length, where the interpreter and JIT give the wire length as a live filter sees it; verdicts of programs that read skb->len can differ on those frames`);
    return { verdicts, packets: packets.length, results: options.results ? results : undefined, maps, ms: ns / 1e6, ...(notes.length ? { notes } : {}) };
  } finally {
    for (const p of programs) p.close();
    for (const m of kmaps) m.close();
  }
}


/** A per-CPU value for the kernel: one value per possible CPU at an 8-byte stride. */
function kernelValue(map: KernelMap, value: Uint8Array | Uint8Array[], cpus: number): Uint8Array {
  if (!hasPerCpuValues(map.spec.type)) {
    if (Array.isArray(value)) throw new CliError(`map '${map.spec.name}': one value per CPU is only for per-CPU maps`);
    return value;
  }
  const stride = Math.ceil(map.spec.valueSize / 8) * 8;
  const out = new Uint8Array(stride * cpus);
  for (let c = 0; c < cpus; c++) {
    const v = Array.isArray(value) ? value[c] : value;
    if (v) out.set(v, c * stride);
  }
  return out;
}

/** --map entries into a kernel map: pushed onto a queue, stack or bloom filter, updated in any keyed map. */
function fillKernelMap(map: KernelMap, init: MapInit, cpus: number, kmaps: readonly KernelMap[], bridge: KernelBridge): void {
  const refuse = (why: string): never => {
    throw new CliError(`--map ${init.map}=${init.file}: ${why}`);
  };
  if (map.spec.type === RINGBUF) refuse("a ring buffer has no entries to set");
  if (map.spec.type === PERF_EVENT_ARRAY) refuse("a perf event array's slots are opened by a reader, not set");
  for (const [i, e] of init.entries.entries()) {
    const fail = mapInitFailure(init, i);
    try {
      const value = kernelValue(map, e.value, cpus);
      if (map.spec.type === QUEUE || map.spec.type === STACK || map.spec.type === BLOOM_FILTER) map.push(value);
      else if (MAP_OF_MAPS.has(map.spec.type)) map.update(e.key!, innerMapFd(value, kmaps, fail));
      else if (map.spec.type === CGROUP_ARRAY) {
        const fd = cgroupFd(value, bridge, fail);
        try {
          map.update(e.key!, fd);
        } finally {
          bridge.closeFd(new DataView(fd.buffer).getUint32(0, true)); // the slot holds the cgroup itself
        }
      }
      else map.update(e.key!, value);
    } catch (err) {
      if (err instanceof KernelError) fail(`the kernel refused it: ${err.message}`);
      throw err;
    }
  }
}

/** A map of maps' value is an inner map's fd: on our engines its index among the object's maps, here that map's kernel fd. */
function innerMapFd(value: Uint8Array, kmaps: readonly KernelMap[], fail: (why: string) => never): Uint8Array {
  const index = value.length === 4 ? new DataView(value.buffer, value.byteOffset).getUint32(0, true) : -1;
  const target = kmaps[index];
  return target ? u32(target.fd) : fail(`a map of maps' value is the inner map's fd (its index among the object's maps, 4 bytes), got ${hex(value)}`);
}

/** A CGROUP_ARRAY's value is a cgroup: on our engines its id, here an fd of its directory (the caller closes it). */
function cgroupFd(value: Uint8Array, bridge: KernelBridge, fail: (why: string) => never): Uint8Array {
  const id = value.length === 4 ? new DataView(value.buffer, value.byteOffset).getUint32(0, true) : 0;
  const dir = id ? cgroupDirectoryById(id) : undefined;
  return dir ? u32(bridge.openCgroup(dir)) : fail(`a CGROUP_ARRAY's value is a cgroup v2 id (4 bytes) of this machine, got ${hex(value)}`);
}

/**
 * A kernel map's contents as run-object.ts dumps ours: records of a ring buffer and values of a
 * queue or stack (both consumed, in the order a reader gets them) as {value}, keyed maps as
 * {key, value} in the kernel's iteration order, per-CPU values one per possible CPU.
 */
function dumpKernelMap(map: KernelMap, cpus: number): unknown[] {
  const why = unreadable(map.spec.type, map.spec.flags ?? 0);
  if (why) return [{ unreadable: why }];
  if (map.spec.type === RINGBUF) return map.drain().map((r) => ({ value: hex(r) }));
  if (map.spec.type === QUEUE || map.spec.type === STACK) return map.popAll().map((v) => ({ value: hex(v) }));
  const entries: unknown[] = [];
  for (const key of map.keys()) {
    const value = map.lookup(key);
    if (!value) continue;
    if (hasPerCpuValues(map.spec.type)) {
      const stride = Math.ceil(map.spec.valueSize / 8) * 8;
      entries.push({ key: hex(key), value: Array.from({ length: cpus }, (_, c) => hex(value.subarray(c * stride, c * stride + map.spec.valueSize))) });
    } else {
      entries.push({ key: hex(key), value: hex(value) });
    }
  }
  return entries;
}

const SKB_LOAD_BYTES_RELATIVE = 68;
const SOCKET_HEADERS_NOTE =
  "the program reads relative to the MAC or network header (LD_ABS / LD_IND at SKF_LL_OFF / SKF_NET_OFF, or skb_load_bytes_relative): in the kernel's test run of a socket filter those headers lie 14 bytes before a packet socket's (the header it pulls comes first), so those reads differ from the interpreter's and the JIT's, which give a packet socket's view";

/** LD_ABS / LD_IND with a negative offset (SKF_LL_OFF, SKF_NET_OFF) or a call of skb_load_bytes_relative. */
function readsHeadersRelative(insns: readonly Insn[]): boolean {
  return insns.some((ins) => {
    const def = describe(ins);
    return (def?.kind === "ldpkt" && ins.imm < 0) || (def?.kind === "call" && def.target === "helper" && ins.imm === SKB_LOAD_BYTES_RELATIVE);
  });
}
