// Machines (vm/runtime/machine.ts): maps by fd, the helper table of each program type, sizing,
// shared memories, and attaching a second view (a worker's) to the same machine.

import { describe, expect, it } from "vitest";
import { BpfError } from "../../vm/errors.js";
import type { HelperDef } from "../../vm/helpers/registry.js";
import { loadMapsModule } from "../../vm/maps/load.node.js";
import { attachMachine, createMachine, describeMachine, mapsArenaSize } from "../../vm/runtime/machine.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { frame, interp, machine, program, readU64, runner, u32 } from "./fixture.js";

const stub = (id: number, name: string): HelperDef => ({ id, name, args: [], ret: "integer", impl: () => 0n });

describe("createMachine", () => {
  it("creates the maps in order: fd = index", () => {
    const m = machine("xdp", [
      { name: "a", type: "hash", keySize: 4, valueSize: 4, maxEntries: 4 },
      { name: "b", type: "array", keySize: 4, valueSize: 4, maxEntries: 4 },
    ]);
    expect(m.maps.byFd(0)!.name).toBe("a");
    expect(m.maps.byFd(1)!.name).toBe("b");
    expect(m.type.name).toBe("xdp");
    expect(m.layout.cpus).toBe(2);
  });

  it("each program type gets the helpers the kernel's func_proto allows it", () => {
    const ids = (type: "xdp" | "socket_filter" | "sched_cls" | "conformance"): number[] =>
      createNodeMachine({ type }).helpers.list().map((h) => h.id);
    // bpf_base_func_proto's: every type, the raw conformance type included.
    const base = [1, 2, 3, 5, 6, 7, 8, 12, 87, 88, 89, 125, 130, 131, 132, 133, 134];
    for (const type of ["xdp", "socket_filter", "sched_cls", "conformance"] as const) {
      for (const id of base) expect(ids(type), `${type} has helper ${id}`).toContain(id);
    }
    const has = (type: Parameters<typeof ids>[0], yes: number[], no: number[]): void => {
      for (const id of yes) expect(ids(type), `${type} has ${id}`).toContain(id);
      for (const id of no) expect(ids(type), `${type} lacks ${id}`).not.toContain(id);
    };
    has("xdp", [23, 28, 44, 51, 54, 65], [9, 10, 11, 26, 34]);
    has("sched_cls", [9, 10, 11, 23, 26, 28, 34], [44, 51, 54, 65]);
    has("socket_filter", [26], [9, 23, 28, 44]);
    has("conformance", [], [9, 23, 26, 44]);
  });

  it("filters helper sources by type with the kernel's rules (extra sources too)", () => {
    // Stand-ins for helpers nobody implements yet: get_socket_cookie (skb types), fib_lookup (tc, xdp).
    const extra = [() => [stub(46, "get_socket_cookie"), stub(69, "fib_lookup"), stub(9000, "no_rule")]];
    const ids = (type: "xdp" | "socket_filter" | "sched_cls" | "conformance"): number[] =>
      createNodeMachine({ type, extraHelpers: extra }).helpers.list().map((h) => h.id).filter((id) => [46, 69, 9000].includes(id));
    expect(ids("xdp")).toEqual([69, 9000]);
    expect(ids("socket_filter")).toEqual([46, 9000]);
    expect(ids("sched_cls")).toEqual([46, 69, 9000]);
    expect(ids("conformance")).toEqual([9000]);
  });

  it("an extra helper replaces the runtime's helper of the same id", () => {
    const fixed: HelperDef = { id: 5, name: "ktime_get_ns", args: [], ret: "integer", impl: () => 42n };
    const m = machine("xdp", [], { extraHelpers: [() => [fixed]] });
    expect(runner(m, "call 5\nexit").run(frame()).retval).toBe(42n);
  });

  it("trace_printk lines and perf_event_output records land on the machine", () => {
    const m = machine("xdp");
    const r = runner(m, `
      stw [%r10-8], 0x216968
      mov %r1, %r10
      add %r1, -8
      mov %r2, 4
      call 6
      mov %r0, 2
      exit`);
    expect(r.run(frame()).verdict).toBe("XDP_PASS");
    expect(m.trace.texts).toEqual(["hi!"]);
  });

  it("sizes the maps arena for the maps when mapsSize is not given", () => {
    const specs = [{ name: "big", type: "hash", keySize: 16, valueSize: 64, maxEntries: 100_000 }];
    expect(mapsArenaSize(specs, 1)).toBeGreaterThan(1 << 20);
    const m = createNodeMachine({ type: "xdp", maps: specs });
    expect(m.layout.mapsSize).toBeGreaterThanOrEqual(mapsArenaSize(specs, 1));
    expect(() => createNodeMachine({ type: "xdp", maps: specs, mapsSize: 1 << 16 })).toThrow(/map 'big' .* needs \d+ bytes but the maps arena has/);
  });

  it("refuses a maps module built for the other kind of memory, saying which it needs", () => {
    expect(() => createMachine({ type: "xdp", shared: true, mapsModule: loadMapsModule(false) })).toThrow(/it needs build\/maps.wasm \(shared\)/);
  });

  it("unknown program types and bad map specs are BpfErrors or clear errors", () => {
    expect(() => createNodeMachine({ type: "kprobe" as "xdp" })).toThrow(/unknown program type 'kprobe'/);
    expect(() => createNodeMachine({ type: "xdp", maps: [{ name: "x", type: "bloom", keySize: 4, valueSize: 4, maxEntries: 1 }] })).toThrow(BpfError);
  });
});

describe("describeMachine / attachMachine (a worker's view of the same machine)", () => {
  it("shares maps and the program table through the shared memory", () => {
    const m = createNodeMachine({
      type: "xdp",
      shared: true,
      cpus: 2,
      packetMax: 1024,
      maps: [
        { name: "jmp", type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 1 },
        { name: "n", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 1 },
      ],
    });
    const bump = "stw [%r10-4], 0\nlddw %r1, map_fd 1\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, out\nmov %r1, 1\nlock add [%r0], %r1\nout:\nmov %r0, 2\nexit";
    const id = m.programs.add(program(bump, "bump"));
    m.maps.keyed("jmp").update(u32(0), u32(id));
    const description = structuredClone(describeMachine(m)); // plain data, as posted to a worker
    const w = attachMachine(description, m.memory, loadMapsModule(true));
    expect(w.programs.get(id)!.name).toBe("bump");
    // The attached machine runs, on CPU 1, the entry that tail-calls into the shared table.
    const entry = program("lddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit");
    const r = new PacketRunner(w, interp.loadSync(entry, w), { cpu: 1 });
    expect(r.run(frame()).verdict).toBe("XDP_PASS");
    expect(m.maps.perCpu("n").lookup(u32(0))!.map((v) => readU64(v))).toEqual([0n, 1n]);
    expect(() => w.maps.create({ name: "new", type: "array", keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow(/cannot create any/);
  });

  it("refuses a memory smaller than the layout", () => {
    const m = createNodeMachine({ type: "xdp", shared: true });
    const small = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
    expect(() => attachMachine(describeMachine(m), small, loadMapsModule(true))).toThrow(/smaller than the machine's layout/);
  });
});
