// The kernel as the authority: the same small programs, with the same maps and packets, run in the
// kernel (BPF_PROG_TEST_RUN through vm/node/kernel) and on the interpreter through the runtime's
// PacketRunner; verdicts (r0), packet bytes after the run and map contents must be equal.
//
// Test-run facts these comparisons rely on (checked by the ctx test below): the device is lo
// (ifindex 1, all-zero MAC and broadcast address — the runtime's defaults); skb->skb_iif is 0;
// with a ctx_in, wire_len = len; a socket filter sees the frame from byte 14 (eth_type_trans
// pulls the header), so socket filters get each frame behind a 14-byte header of its own
// (vm/node/kernel/socket-frame.ts). Frames shorter than 14 bytes are refused by the
// kernel (EINVAL) and left out.

import { afterAll, describe, expect, it } from "vitest";
import { generate, parseGenSpec } from "../../corpus/gen/index.js";
import { assemble } from "../../vm/asm/index.js";
import * as abi from "../../vm/maps/abi.js";
import type { QueueMap } from "../../vm/maps/queue.js";
import { parseMapType, type MapSpec } from "../../vm/maps/types.js";
import { behindSocketHeader, KernelBridge, ProgType, type KernelProgram } from "../../vm/node/kernel/engine.js";
import { SK_BUFF_TC, ctxField } from "../../vm/programs/index.js";
import { kernelAvailability } from "../kernel/available.js";
import { machine, runner, u32 } from "./fixture.js";

const available = kernelAvailability();
/** Our own runner process: it pins itself to a CPU of its own choosing, which per-CPU values show. */
const bridge = new KernelBridge();
const status = available.ok ? bridge.available() : available;
afterAll(() => bridge.close());

const packets = generate(parseGenSpec("mix:300:seed=21")).map((p) => p.data).filter((d) => d.length >= 14);
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const off = (name: string): number => ctxField(SK_BUFF_TC, name).offset;
/** Pop every value of our queue or stack, in pop order, as hex. */
const drainQueue = (q: QueueMap): string[] => { const out: string[] = []; for (let v = q.pop(); v; v = q.pop()) out.push(hex(v)); return out; };

type TypeName = "xdp" | "sched_cls" | "socket_filter";
const KERNEL_TYPE: Record<TypeName, number> = { xdp: ProgType.XDP, sched_cls: ProgType.SCHED_CLS, socket_filter: ProgType.SOCKET_FILTER };

/** Both sides of one comparison: the kernel program and our runner, on the same maps. */
function both(type: TypeName, source: string, specs: MapSpec[] = []) {
  const insns = assemble(source);
  const kernel = bridge.load(insns, {
    type: KERNEL_TYPE[type],
    name: "runtime_diff",
    maps: specs.map((s) => ({ type: parseMapType(s.type)!, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, flags: s.flags ?? 0, name: s.name })),
  });
  const m = machine(type, specs, { cpus: Math.max(2, status.possibleCpus ?? 1) });
  const ours = runner(m, source, { cpu: status.cpu ?? 0 });
  return { kernel, m, ours };
}

/** Run every packet on both; compare r0 (the kernel reports a u32) and the packet after. */
function compareRuns(type: TypeName, kernel: KernelProgram, ours: ReturnType<typeof runner>, frames: Uint8Array[], ctx?: Uint8Array): number[] {
  const dummy = type === "socket_filter";
  const input = dummy ? frames.map(behindSocketHeader) : frames;
  const results = kernel.testRunMany(input, ctx ? { ctx } : {});
  const retvals: number[] = [];
  let refused = 0;
  results.forEach((k, i) => {
    const o = ours.run(frames[i]!);
    if (k.errno !== 0) {
      // BPF_PROG_TEST_RUN builds an skb and refuses some malformed frames (e.g. an IPv6 frame too
      // short for its header): EINVAL, no run. They are few; every other packet is compared.
      expect(k.errno, `packet ${i}`).toBe(22);
      expect(type, `packet ${i} refused`).not.toBe("xdp");
      refused++;
      return;
    }
    expect(Number(o.retval & 0xffffffffn), `retval of packet ${i}`).toBe(k.retval);
    // The kernel's data_out of a socket filter starts at the dummy header and is not trimmed.
    if (!dummy) expect(hex(o.packet), `packet ${i} after the run`).toBe(hex(k.data));
    retvals.push(k.retval);
  });
  expect(refused).toBeLessThan(frames.length / 20);
  return retvals;
}

/** Every key → value of a map on both sides, as hex, sorted. */
function contents(kernel: KernelProgram, m: ReturnType<typeof machine>, fd: number): [string[], string[]] {
  const km = kernel.maps[fd]!;
  const ours = m.maps.keyed(m.maps.byFd(fd)!.name);
  const k = [...km.keys()].map((key) => `${hex(key)}=${hex(km.lookup(key)!)}`).sort();
  const o = [...ours.keys()].map((key) => `${hex(key)}=${hex(ours.lookup(key)!)}`).sort();
  return [k, o];
}

describe.skipIf(!status.ok)("the runtime agrees with the kernel", () => {
  it("XDP: hash lookups with a counter, MAC swap and XDP_TX for ICMP: verdicts, packets, map contents", () => {
    const specs: MapSpec[] = [{ name: "blocked", type: "hash", keySize: 4, valueSize: 8, maxEntries: 64 }];
    const { kernel, m, ours } = both("xdp", `
      mov %r6, %r1
      ldxw %r2, [%r6]
      ldxw %r3, [%r6+4]
      mov %r4, %r2
      add %r4, 34
      jgt %r4, %r3, pass
      ldxh %r5, [%r2+12]
      jne %r5, 0x0008, pass
      ldxw %r5, [%r2+26]
      stxw [%r10-4], %r5
      lddw %r1, map_fd 0
      mov %r2, %r10
      add %r2, -4
      call 1
      jeq %r0, 0, miss
      mov %r1, 1
      lock add [%r0], %r1
      mov %r0, 1
      exit
      miss:
      ldxw %r2, [%r6]
      ldxw %r3, [%r6+4]
      mov %r4, %r2
      add %r4, 34
      jgt %r4, %r3, pass
      ldxb %r5, [%r2+23]
      jne %r5, 1, pass
      ldxw %r7, [%r2]
      ldxh %r8, [%r2+4]
      ldxw %r9, [%r2+6]
      ldxh %r5, [%r2+10]
      stxw [%r2], %r9
      stxh [%r2+4], %r5
      stxw [%r2+6], %r7
      stxh [%r2+10], %r8
      mov %r0, 3
      exit
      pass:
      mov %r0, 2
      exit`, specs);
    try {
      // Block the sources of every 5th IPv4 packet, on both sides.
      packets.filter((d, i) => i % 5 === 0 && d.length >= 34 && d[12] === 8 && d[13] === 0).forEach((d) => {
        const key = d.subarray(26, 30);
        kernel.maps[0]!.update(key, new Uint8Array(8));
        m.maps.keyed("blocked").update(key, new Uint8Array(8));
      });
      const retvals = compareRuns("xdp", kernel, ours, packets);
      expect(new Set(retvals)).toEqual(new Set([1, 2, 3])); // every path taken
      const [k, o] = contents(kernel, m, 0);
      expect(o).toEqual(k);
      expect(k.some((e) => !e.endsWith("=0000000000000000"))).toBe(true);
    } finally {
      kernel.close();
    }
  });

  it("__sk_buff fields of a tc program (ctx_in given, as the runner fills wire_len)", () => {
    const fields = ["len", "pkt_type", "protocol", "ifindex", "ingress_ifindex", "vlan_present", "vlan_tci", "wire_len", "mark", "priority", "queue_mapping", "hash", "tc_index"];
    for (const name of fields) {
      const { kernel, ours } = both("sched_cls", `ldxw %r0, [%r1+${off(name)}]\nexit`);
      try {
        compareRuns("sched_cls", kernel, ours, packets, new Uint8Array(SK_BUFF_TC.size));
      } finally {
        kernel.close();
      }
    }
    const { kernel, ours } = both("sched_cls", `ldxw %r2, [%r1+${off("data")}]\nldxw %r0, [%r1+${off("data_end")}]\nsub %r0, %r2\nexit`);
    try {
      compareRuns("sched_cls", kernel, ours, packets);
    } finally {
      kernel.close();
    }
  });

  it("tc: a program that writes mark, rewrites the TTL and returns TC_ACT_SHOT for TCP", () => {
    const { kernel, ours } = both("sched_cls", `
      stw [%r1+${off("mark")}], 0x42
      ldxw %r2, [%r1+${off("data")}]
      ldxw %r3, [%r1+${off("data_end")}]
      mov %r4, %r2
      add %r4, 34
      jgt %r4, %r3, ok
      ldxw %r5, [%r1+${off("protocol")}]
      jne %r5, 0x0008, ok
      ldxb %r5, [%r2+22]
      add %r5, -1
      stxb [%r2+22], %r5
      ldxb %r5, [%r2+23]
      jne %r5, 6, ok
      ldxw %r0, [%r1+${off("mark")}]
      jne %r0, 0x42, ok
      mov %r0, 2
      exit
      ok:
      mov %r0, 0
      exit`);
    try {
      const retvals = compareRuns("sched_cls", kernel, ours, packets, new Uint8Array(SK_BUFF_TC.size));
      expect(new Set(retvals)).toEqual(new Set([0, 2]));
    } finally {
      kernel.close();
    }
  });

  it("socket filter: LD_ABS / LD_IND and skb->len", () => {
    const { kernel, ours } = both("socket_filter", `
      mov %r6, %r1
      ldabsh 12
      jne %r0, 0x0800, drop
      ldabsb 14
      and %r0, 0xf
      lsh %r0, 2
      mov %r7, %r0
      ldabsb 23
      jne %r0, 6, notcp
      ldindh %r7, 16
      jne %r0, 80, other
      ldxw %r0, [%r6]
      exit
      other:
      mov %r0, 20
      exit
      notcp:
      mov %r0, 1
      exit
      drop:
      mov %r0, 0
      exit`);
    try {
      const retvals = compareRuns("socket_filter", kernel, ours, packets);
      expect(new Set(retvals).size).toBeGreaterThan(2);
    } finally {
      kernel.close();
    }
  });

  it("socket filter: skb->pkt_type from the frame's destination MAC (short frames zero-padded)", () => {
    // r0 = pkt_type + 1, so every packet is accepted and its pkt_type shows in the return value.
    const { kernel, ours } = both("socket_filter", `
      ldxw %r0, [%r1+4]
      add %r0, 1
      exit`);
    try {
      const short = [Uint8Array.of(1), Uint8Array.of(0, 0, 0)];
      const retvals = compareRuns("socket_filter", kernel, ours, [...packets, ...short]);
      expect(new Set(retvals).size).toBeGreaterThan(1); // OTHERHOST and multicast/broadcast both occur
    } finally {
      kernel.close();
    }
  });

  it("map_update_elem flags from a program: the same error codes in r0, the same final contents", () => {
    // key = the frame's last byte & 7; flags = its second-to-last byte % 3 (ANY, NOEXIST, EXIST).
    const specs: MapSpec[] = [{ name: "h", type: "hash", keySize: 4, valueSize: 8, maxEntries: 5 }];
    const { kernel, m, ours } = both("xdp", `
      ldxw %r2, [%r1]
      ldxw %r3, [%r1+4]
      mov %r4, %r2
      add %r4, 14
      jgt %r4, %r3, out
      ldxb %r5, [%r2+13]
      and %r5, 7
      stxw [%r10-4], %r5
      ldxb %r4, [%r2+12]
      mod %r4, 3
      stxdw [%r10-16], %r4
      lddw %r1, map_fd 0
      mov %r2, %r10
      add %r2, -4
      mov %r3, %r10
      add %r3, -16
      call 2
      exit
      out:
      mov %r0, 2
      exit`, specs);
    try {
      const frames = packets.map((d, i) => { const f = d.slice(0, 60); f[12] = i * 7; f[13] = i * 13; return f; });
      const retvals = compareRuns("xdp", kernel, ours, frames);
      const errnos = new Set(retvals.map((r) => r | 0));
      for (const e of [0, -abi.EEXIST, -abi.ENOENT, -abi.E2BIG]) expect(errnos).toContain(e);
      const [k, o] = contents(kernel, m, 0);
      expect(o).toEqual(k);
    } finally {
      kernel.close();
    }
  });

  it("queue push until full, ring buffer output until full: the same results", () => {
    const specs: MapSpec[] = [
      { name: "q", type: "queue", keySize: 0, valueSize: 8, maxEntries: 4 },
      { name: "rb", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096 },
    ];
    // r0 = push(len) result, then ringbuf_output of 100 bytes; returns output's r0, or the ring's
    // available bytes (ringbuf_query) when it succeeded, with the push result in bits 16..23.
    const { kernel, m, ours } = both("xdp", `
      ldxw %r2, [%r1]
      ldxw %r3, [%r1+4]
      mov %r6, %r3
      sub %r6, %r2
      stxdw [%r10-8], %r6
      lddw %r1, map_fd 0
      mov %r2, %r10
      add %r2, -8
      mov %r3, 0
      call 87
      and %r0, 0xff
      lsh %r0, 16
      mov %r7, %r0
      stdw [%r10-8], 0
      stdw [%r10-16], 0
      stdw [%r10-24], 0
      stdw [%r10-32], 0
      stdw [%r10-40], 0
      stdw [%r10-48], 0
      stdw [%r10-56], 0
      stdw [%r10-64], 0
      stdw [%r10-72], 0
      stdw [%r10-80], 0
      stdw [%r10-88], 0
      stdw [%r10-96], 0
      stdw [%r10-104], 0
      lddw %r1, map_fd 1
      mov %r2, %r10
      add %r2, -104
      mov %r3, 100
      mov %r4, 0
      call 130
      jne %r0, 0, out
      lddw %r1, map_fd 1
      mov %r2, 0
      call 134
      out:
      or %r0, %r7
      exit`, specs);
    try {
      const retvals = compareRuns("xdp", kernel, ours, packets.slice(0, 40));
      expect(retvals.filter((r) => r >> 16 === 0).length).toBe(4); // four pushes fit
      expect(retvals.filter((r) => (r & 0xffff) === (-abi.EAGAIN & 0xffff)).length).toBe(4); // 36 records of 112 bytes fit
      // Read back from both: the queue's values (the first four lengths) and the ring's records.
      const [kq, kr] = kernel.maps;
      expect(hex(kq!.peek()!)).toBe(hex(m.maps.queue("q").peek()!));
      const queued = kq!.popAll().map(hex);
      expect(queued.length).toBe(4);
      expect(queued).toEqual(drainQueue(m.maps.queue("q")));
      const kernelRecords = kr!.drainRing();
      const ring = m.maps.ringbuf("rb");
      expect([kernelRecords.consumerPos, kernelRecords.producerPos]).toEqual([BigInt(ring.producerPosition), BigInt(ring.producerPosition)]);
      const records = kernelRecords.records.map(hex);
      expect(records.length).toBe(36);
      expect(records).toEqual(ring.drain().map(hex));
      expect(ring.consumerPosition).toBe(Number(kernelRecords.consumerPos));
      // Both drained: the queue and the ring take as many again.
      const again = compareRuns("xdp", kernel, ours, packets.slice(40, 80));
      expect(again.filter((r) => r >> 16 === 0).length).toBe(4);
      expect(again.filter((r) => (r & 0xffff) === (-abi.EAGAIN & 0xffff)).length).toBe(4);
      expect(kq!.popAll().map(hex)).toEqual(drainQueue(m.maps.queue("q")));
      expect(kr!.drain().map(hex)).toEqual(ring.drain().map(hex));
    } finally {
      kernel.close();
    }
  });

  it("PERCPU_ARRAY: the value of the CPU the program ran on, zero elsewhere", () => {
    const specs: MapSpec[] = [{ name: "pc", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 1 }];
    const { kernel, m, ours } = both("xdp", `
      stw [%r10-4], 0
      lddw %r1, map_fd 0
      mov %r2, %r10
      add %r2, -4
      call 1
      jeq %r0, 0, out
      mov %r1, 3
      lock add [%r0], %r1
      out:
      mov %r0, 2
      exit`, specs);
    try {
      compareRuns("xdp", kernel, ours, packets.slice(0, 10));
      const k = kernel.maps[0]!.lookup(u32(0))!;
      const o = m.maps.perCpu("pc").lookup(u32(0))!;
      const cpus = status.possibleCpus!;
      if (status.cpu !== undefined) {
        expect(hex(Buffer.concat(o.slice(0, cpus)))).toBe(hex(k));
        expect(hex(k)).toContain("1e00000000000000"); // 10 × 3 on the runner's CPU
      } else {
        // An unpinned runner (EBPF_WASM_KERNEL_PIN=0) may move between CPUs: compare totals.
        const total = (b: Uint8Array): bigint => Array.from({ length: b.length / 8 }, (_, c) => new DataView(b.buffer, b.byteOffset).getBigUint64(c * 8, true)).reduce((a, x) => a + x, 0n);
        expect(total(k)).toBe(30n);
        expect(total(Buffer.concat(o))).toBe(30n);
      }
    } finally {
      kernel.close();
    }
  });

  it("tail calls: a self-chain runs 34 times (33 tail calls), empty slots do not count", () => {
    const specs: MapSpec[] = [
      { name: "jmp", type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 2 },
      { name: "n", type: "array", keySize: 4, valueSize: 8, maxEntries: 1 },
    ];
    const empty = "mov %r1, %r6\nlddw %r2, map_fd 0\nmov %r3, 1\ncall 12\n";
    for (const empties of [0, 3]) {
      const source = `
        mov %r6, %r1
        stw [%r10-4], 0
        lddw %r1, map_fd 1
        mov %r2, %r10
        add %r2, -4
        call 1
        jeq %r0, 0, skip
        mov %r1, 1
        lock add [%r0], %r1
        skip:
        ${empty.repeat(empties)}
        mov %r1, %r6
        lddw %r2, map_fd 0
        mov %r3, 0
        call 12
        mov %r0, 1
        exit`;
      const { kernel, m, ours } = both("xdp", source, specs);
      try {
        kernel.maps[0]!.update(u32(0), u32(kernel.fd)); // the kernel's slot holds the program's fd
        m.maps.keyed("jmp").update(u32(0), u32(m.programs.add({ insns: assemble(source), name: "self" })));
        compareRuns("xdp", kernel, ours, packets.slice(0, 2));
        const [k, o] = contents(kernel, m, 1);
        expect(o).toEqual(k);
        expect(k).toEqual([`00000000=${hex(new Uint8Array(new BigUint64Array([68n]).buffer))}`]);
      } finally {
        kernel.maps[0]!.delete(u32(0));
        kernel.close();
      }
    }
  });
});

if (!status.ok) {
  describe("the runtime agrees with the kernel", () => {
    it.skip(`skipped: no kernel bpf() (${status.reason})`, () => {});
  });
}
