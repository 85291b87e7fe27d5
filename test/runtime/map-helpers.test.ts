// Map helpers called from programs (vm/helpers/maps.ts) on the interpreter: results and error
// codes as the kernel returns them in r0, per-CPU values by CPU, queues and stacks, the ring
// buffer read back by the consumer API, and faults for what the verifier would refuse.

import { describe, expect, it } from "vitest";
import { BpfRuntimeError } from "../../vm/errors.js";
import * as abi from "../../vm/maps/abi.js";
import { sumPerCpu } from "../../vm/maps/percpu.js";
import { frame, machine, negErrno, readU64, runner, u32, u64 } from "./fixture.js";

const m = machine("xdp", [
  { name: "h", type: "hash", keySize: 4, valueSize: 8, maxEntries: 2 },
  { name: "a", type: "array", keySize: 4, valueSize: 8, maxEntries: 4 },
  { name: "pc", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 2 },
  { name: "ph", type: "percpu_hash", keySize: 4, valueSize: 8, maxEntries: 8 },
  { name: "q", type: "queue", keySize: 0, valueSize: 8, maxEntries: 3 },
  { name: "s", type: "stack", keySize: 0, valueSize: 8, maxEntries: 3 },
  { name: "rb", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096 },
  { name: "lpm", type: "lpm_trie", keySize: 8, valueSize: 8, maxEntries: 8, flags: abi.BPF_F_NO_PREALLOC },
]);
const FD = { h: 0, a: 1, pc: 2, ph: 3, q: 4, s: 5, rb: 6, lpm: 7 };

/** Run a program once (on `cpu`) and return r0. */
const run = (source: string, cpu = 0, packet = frame()): bigint => runner(m, source, { cpu }).run(packet).retval;

const keyArg = (key: number): string => `stw [%r10-4], ${key}\nmov %r2, %r10\nadd %r2, -4`;

/** bpf_map_lookup_elem(fd, key): *(u64 *)value, or 0xdead for NULL. */
const lookup = (fd: number, key: number, cpu = 0): bigint =>
  run(`${keyArg(key)}\nlddw %r1, map_fd ${fd}\ncall 1\njeq %r0, 0, null\nldxdw %r0, [%r0]\nexit\nnull:\nmov %r0, 0xdead\nexit`, cpu);

/** bpf_map_update_elem(fd, key, value, flags): r0. */
const update = (fd: number, key: number, value: number, flags: number, cpu = 0): bigint =>
  run(`${keyArg(key)}\nstdw [%r10-16], ${value}\nmov %r3, %r10\nadd %r3, -16\nmov %r4, ${flags}\nlddw %r1, map_fd ${fd}\ncall 2\nexit`, cpu);

/** bpf_map_delete_elem(fd, key): r0. */
const remove = (fd: number, key: number): bigint => run(`${keyArg(key)}\nlddw %r1, map_fd ${fd}\ncall 3\nexit`);

describe("map_lookup_elem, map_update_elem, map_delete_elem", () => {
  it("hash: update flags and their error codes, lookups, deletes", () => {
    expect(lookup(FD.h, 1)).toBe(0xdeadn);
    expect(update(FD.h, 1, 100, abi.BPF_ANY)).toBe(0n);
    expect(lookup(FD.h, 1)).toBe(100n);
    expect(update(FD.h, 1, 101, abi.BPF_NOEXIST)).toBe(negErrno(abi.EEXIST));
    expect(update(FD.h, 2, 200, abi.BPF_EXIST)).toBe(negErrno(abi.ENOENT));
    expect(update(FD.h, 1, 102, abi.BPF_EXIST)).toBe(0n);
    expect(update(FD.h, 2, 200, abi.BPF_NOEXIST)).toBe(0n);
    expect(update(FD.h, 3, 300, abi.BPF_ANY)).toBe(negErrno(abi.E2BIG)); // max_entries 2
    expect(update(FD.h, 1, 1, abi.BPF_F_LOCK)).toBe(negErrno(abi.EINVAL));
    expect(update(FD.h, 1, 1, 8)).toBe(negErrno(abi.EINVAL));
    // User space sees what the program wrote, and the program sees what user space writes.
    expect(readU64(m.maps.keyed("h").lookup(u32(1))!)).toBe(102n);
    m.maps.keyed("h").update(u32(2), u64(222n));
    expect(lookup(FD.h, 2)).toBe(222n);
    expect(remove(FD.h, 1)).toBe(0n);
    expect(remove(FD.h, 1)).toBe(negErrno(abi.ENOENT));
    expect(lookup(FD.h, 1)).toBe(0xdeadn);
    expect(m.maps.keyed("h").size).toBe(1);
  });

  it("a lookup returns a pointer the program writes through; user space sees the write", () => {
    m.maps.keyed("h").update(u32(9), u64(5n));
    const r0 = run(`${keyArg(9)}\nlddw %r1, map_fd ${FD.h}\ncall 1\njeq %r0, 0, out\nmov %r1, 10\nlock add [%r0], %r1\nldxdw %r0, [%r0]\nout:\nexit`);
    expect(r0).toBe(15n);
    expect(readU64(m.maps.keyed("h").lookup(u32(9))!)).toBe(15n);
    m.maps.keyed("h").delete(u32(9));
  });

  it("array: every index exists, out of range is NULL / -E2BIG, NOEXIST is -EEXIST, delete is -EINVAL", () => {
    expect(lookup(FD.a, 3)).toBe(0n);
    expect(lookup(FD.a, 4)).toBe(0xdeadn);
    expect(update(FD.a, 3, 33, abi.BPF_ANY)).toBe(0n);
    expect(update(FD.a, 3, 34, abi.BPF_EXIST)).toBe(0n);
    expect(update(FD.a, 3, 35, abi.BPF_NOEXIST)).toBe(negErrno(abi.EEXIST));
    expect(update(FD.a, 4, 1, abi.BPF_ANY)).toBe(negErrno(abi.E2BIG));
    expect(lookup(FD.a, 3)).toBe(34n);
    expect(remove(FD.a, 3)).toBe(negErrno(abi.EINVAL));
  });

  it("LPM trie: a program's lookup finds the longest matching prefix", () => {
    const trie = m.maps.keyed("lpm");
    trie.update(new Uint8Array([8, 0, 0, 0, 10, 0, 0, 0]), u64(8n));
    trie.update(new Uint8Array([16, 0, 0, 0, 10, 1, 0, 0]), u64(16n));
    const find = (a: number, b: number, c: number, d: number): bigint =>
      run(`stw [%r10-8], 32\nstw [%r10-4], ${(a | (b << 8) | (c << 16) | (d << 24)) | 0}\nmov %r2, %r10\nadd %r2, -8\nlddw %r1, map_fd ${FD.lpm}\ncall 1\njeq %r0, 0, null\nldxdw %r0, [%r0]\nexit\nnull:\nmov %r0, 0xdead\nexit`);
    expect(find(10, 1, 2, 3)).toBe(16n);
    expect(find(10, 2, 2, 3)).toBe(8n);
    expect(find(11, 1, 2, 3)).toBe(0xdeadn);
  });
});

describe("per-CPU maps from programs", () => {
  it("PERCPU_ARRAY: each CPU updates its own value", () => {
    // value[0] += get_smp_processor_id() + 1
    const bump = `call 8\nadd %r0, 1\nmov %r6, %r0\n${keyArg(0)}\nlddw %r1, map_fd ${FD.pc}\ncall 1\njeq %r0, 0, out\nlock add [%r0], %r6\nout:\nmov %r0, 2\nexit`;
    run(bump, 0);
    run(bump, 1);
    run(bump, 1);
    const values = m.maps.perCpu("pc").lookup(u32(0))!;
    expect(values.map((v) => readU64(v))).toEqual([1n, 4n]);
    expect(sumPerCpu(values)).toBe(5n);
    expect(lookup(FD.pc, 0, 0)).toBe(1n);
    expect(lookup(FD.pc, 0, 1)).toBe(4n);
  });

  it("PERCPU_HASH: a program's update writes its CPU's value and zeroes the others for a new key", () => {
    expect(update(FD.ph, 5, 7, abi.BPF_ANY, 1)).toBe(0n);
    expect(m.maps.perCpu("ph").lookup(u32(5))!.map((v) => readU64(v))).toEqual([0n, 7n]);
    expect(update(FD.ph, 5, 3, abi.BPF_EXIST, 0)).toBe(0n);
    expect(m.maps.perCpu("ph").lookup(u32(5))!.map((v) => readU64(v))).toEqual([3n, 7n]);
    expect(lookup(FD.ph, 5, 1)).toBe(7n);
  });
});

describe("queue and stack helpers", () => {
  const push = (fd: number, value: number, flags = 0): bigint =>
    run(`stdw [%r10-8], ${value}\nmov %r2, %r10\nadd %r2, -8\nmov %r3, ${flags}\nlddw %r1, map_fd ${fd}\ncall 87\nexit`);
  /** pop (88) or peek (89): the value, or the helper's error. */
  const take = (fd: number, id: 88 | 89): bigint =>
    run(`mov %r2, %r10\nadd %r2, -8\nlddw %r1, map_fd ${fd}\ncall ${id}\njne %r0, 0, out\nldxdw %r0, [%r10-8]\nout:\nexit`);

  it("QUEUE: FIFO, -E2BIG when full, BPF_EXIST drops the oldest, -ENOENT when empty", () => {
    expect(take(FD.q, 88)).toBe(negErrno(abi.ENOENT));
    for (const v of [11, 12, 13]) expect(push(FD.q, v)).toBe(0n);
    expect(push(FD.q, 14)).toBe(negErrno(abi.E2BIG));
    expect(push(FD.q, 14, abi.BPF_NOEXIST)).toBe(negErrno(abi.EINVAL));
    expect(push(FD.q, 14, abi.BPF_EXIST)).toBe(0n);
    expect(take(FD.q, 89)).toBe(12n);
    expect(take(FD.q, 88)).toBe(12n);
    expect(readU64(m.maps.queue("q").pop()!)).toBe(13n); // user space pops the same queue
    expect(take(FD.q, 88)).toBe(14n);
    expect(take(FD.q, 88)).toBe(negErrno(abi.ENOENT));
  });

  it("STACK: LIFO", () => {
    for (const v of [21, 22, 23]) expect(push(FD.s, v)).toBe(0n);
    expect(take(FD.s, 89)).toBe(23n);
    expect(take(FD.s, 88)).toBe(23n);
    expect(take(FD.s, 88)).toBe(22n);
    m.maps.queue("s").push(u64(99n));
    expect(take(FD.s, 88)).toBe(99n);
    expect(take(FD.s, 88)).toBe(21n);
  });
});

describe("ring buffer helpers", () => {
  const rb = () => m.maps.ringbuf("rb");
  /** ringbuf_output of `size` packet bytes (from xdp_md.data). */
  const output = (size: number, flags = 0, packet = frame({ length: 1100 })): bigint =>
    run(`ldxw %r2, [%r1]\nmov %r3, ${size}\nmov %r4, ${flags}\nlddw %r1, map_fd ${FD.rb}\ncall 130\nexit`, 0, packet);
  /** reserve 16 bytes, fill them, submit (132) or discard (133): 1, or 0 when reserve gave NULL. */
  const reserve = (size: number, commit: 132 | 133): bigint =>
    run(`lddw %r1, map_fd ${FD.rb}\nmov %r2, ${size}\nmov %r3, 0\ncall 131\njeq %r0, 0, none\nstdw [%r0], 0x11\nstdw [%r0+8], 0x22\nmov %r1, %r0\nmov %r2, 0\ncall ${commit}\nmov %r0, 1\nexit\nnone:\nexit`);
  const query = (flag: number): bigint => run(`lddw %r1, map_fd ${FD.rb}\nmov %r2, ${flag}\ncall 134\nexit`);

  it("output, reserve+submit and reserve+discard reach the consumer as the kernel's records", () => {
    const packet = frame({ length: 1100 }).map((_, i) => i & 0xff);
    expect(output(5, 0, packet)).toBe(0n);
    expect(reserve(16, 132)).toBe(1n);
    expect(reserve(16, 133)).toBe(1n);
    expect(query(abi.BPF_RB_AVAIL_DATA)).toBe(16n + 24n + 24n); // 8-byte headers, rounded to 8
    expect(query(abi.BPF_RB_RING_SIZE)).toBe(4096n);
    expect(query(abi.BPF_RB_PROD_POS)).toBe(64n);
    const records = rb().drain();
    expect(records.map((r) => [...r])).toEqual([
      [0, 1, 2, 3, 4],
      [0x11, 0, 0, 0, 0, 0, 0, 0, 0x22, 0, 0, 0, 0, 0, 0, 0],
    ]);
    expect(query(abi.BPF_RB_CONS_POS)).toBe(64n);
    expect(query(abi.BPF_RB_AVAIL_DATA)).toBe(0n);
  });

  it("a full ring: ringbuf_output gives -EAGAIN and ringbuf_reserve NULL; bad flags -EINVAL / NULL", () => {
    for (let i = 0; i < 4; i++) expect(output(1000)).toBe(0n); // 4 × 1008 bytes of 4096
    expect(output(1000)).toBe(negErrno(abi.EAGAIN));
    expect(reserve(100, 132)).toBe(0n);
    expect(output(8, 4)).toBe(negErrno(abi.EINVAL));
    expect(rb().drain().length).toBe(4);
    expect(reserve(16, 132)).toBe(1n);
    expect(run(`lddw %r1, map_fd ${FD.rb}\nmov %r2, 8\nmov %r3, 1\ncall 131\nexit`)).toBe(0n); // flags != 0
    expect(run(`lddw %r1, map_fd ${FD.rb}\nmov %r2, 8192\nmov %r3, 0\ncall 131\nexit`)).toBe(0n); // larger than the ring
    expect(rb().drain().length).toBe(1);
  });

  it("submitting something that is not a reserved record faults instead of corrupting the ring", () => {
    const fault = (source: string): string => {
      try {
        run(source);
      } catch (err) {
        expect(err).toBeInstanceOf(BpfRuntimeError);
        return (err as Error).message;
      }
      throw new Error("no fault");
    };
    expect(fault("mov %r1, %r10\nadd %r1, -16\nmov %r2, 0\ncall 132\nexit")).toMatch(
      /insn 3 \(call 0x84\): helper ringbuf_submit \(#132\) failed: bpf_ringbuf_submit: R1 \(0x[0-9a-f]+\) is not a ring buffer record reserved by bpf_ringbuf_reserve/,
    );
    const twice = `lddw %r1, map_fd ${FD.rb}\nmov %r2, 8\nmov %r3, 0\ncall 131\njeq %r0, 0, out\nmov %r6, %r0\nmov %r1, %r6\nmov %r2, 0\ncall 132\nmov %r1, %r6\nmov %r2, 0\ncall 133\nout:\nexit`;
    expect(fault(twice)).toMatch(/insn 12 \(call 0x85\): .*not yet submitted or discarded/);
    expect(rb().drain().length).toBe(1);
  });
});

describe("faults for arguments the verifier would refuse", () => {
  const fault = (source: string): BpfRuntimeError => {
    try {
      run(source);
    } catch (err) {
      expect(err).toBeInstanceOf(BpfRuntimeError);
      return err as BpfRuntimeError;
    }
    throw new Error("no fault");
  };

  it("a map pointer that is not a map", () => {
    const err = fault(`${keyArg(1)}\nmov %r1, 0x40000\ncall 1\nexit`);
    expect(err.message).toMatch(/insn 4 \(call 1\): helper map_lookup_elem \(#1\) failed: R1 \(0x40000\) is not a map pointer of this machine/);
    expect(err.where.insn).toBe(4);
  });

  it("a NULL key", () => {
    expect(fault(`lddw %r1, map_fd ${FD.h}\nmov %r2, 0\ncall 1\nexit`).message).toMatch(/R2 key of map 'h' \[0x0, \+4\) is a null pointer/);
  });

  it("a map of a type the helper does not take (check_map_func_compatibility)", () => {
    expect(fault(`${keyArg(1)}\nlddw %r1, map_fd ${FD.rb}\ncall 1\nexit`).message).toMatch(/cannot pass map_type 27 \(map 'rb'\) into func bpf_map_lookup_elem#1/);
    expect(fault(`mov %r2, %r10\nadd %r2, -8\nmov %r3, 0\nlddw %r1, map_fd ${FD.h}\ncall 87\nexit`).message).toMatch(/cannot pass map_type 1 \(map 'h'\) into func bpf_map_push_elem#87/);
    expect(fault(`lddw %r1, map_fd ${FD.q}\nmov %r2, 0\ncall 134\nexit`).message).toMatch(/cannot pass map_type 22 .* bpf_ringbuf_query#134/);
  });
});
