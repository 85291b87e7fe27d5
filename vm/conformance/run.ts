// Run one bpf_conformance test on an engine the way the official runner's plugins do
// (github.com/Alan-Jowett/bpf_conformance, src/bpf_conformance.cc and uBPF's plugin): the program
// gets r1 = a pointer to a copy of `-- mem` and r2 = its length (also when `-- mem` is empty),
// may read and write that copy and its own stack, and its r0 is compared with `-- result` as a
// 64-bit value. A test that expects an error passes when the engine refuses the program or the
// run faults.

import { BpfError } from "../errors.js";
import type { Engine, Machine, Region, RunInput } from "../engine.js";
import { baseHelpers } from "../helpers/index.js";
import { Layout } from "../memory/layout.js";
import { XDP_MD } from "../programs/xdp.js";
import type { ConformanceTest } from "./datafile.js";

export type ConformanceStatus = "pass" | "fail" | "skip";

export interface ConformanceOutcome {
  readonly name: string;
  readonly status: ConformanceStatus;
  /** Why it failed or was skipped; empty for a pass. */
  readonly message: string;
  /** r0 of the run, when the program ran to its end. */
  readonly r0?: bigint;
}

/** The machine conformance programs run on: one CPU, the base helpers (helper 5 = ktime_get_ns). */
export function conformanceMachine(layout = new Layout()): Machine {
  return { layout, memory: layout.createMemory(), helpers: baseHelpers() };
}

/**
 * Place `mem` in CPU `cpu`'s packet slot and build the run input: r1 = its address, r2 = its
 * length, one writable region named "input". The CPU's stack is zeroed first so that each test
 * starts from the same memory whatever ran before.
 */
export function conformanceInput(machine: Machine, mem: Uint8Array, cpu = 0): RunInput {
  const region = machine.layout.cpu(cpu);
  if (mem.length > machine.layout.packetMax) {
    throw new BpfError(`input memory of ${mem.length} bytes is larger than the packet slot (${machine.layout.packetMax} bytes)`);
  }
  const bytes = new Uint8Array(machine.memory.buffer);
  bytes.fill(0, region.stackBase, region.stackTop);
  bytes.set(mem, region.packetData);
  const input: Region = { start: region.packetData, end: region.packetData + mem.length, writable: true, name: "input" };
  return { cpu, args: [BigInt(region.packetData), BigInt(mem.length)], regions: [input] };
}

/**
 * The same input presented as an XDP program sees it (bpf_conformance's `--xdp_prolog`): r1 =
 * a struct xdp_md whose data / data_end hold the addresses of the copy of `mem`.
 */
export function xdpInput(machine: Machine, mem: Uint8Array, cpu = 0): RunInput {
  const plain = conformanceInput(machine, mem, cpu);
  const region = machine.layout.cpu(cpu);
  const view = new DataView(machine.memory.buffer);
  new Uint8Array(machine.memory.buffer).fill(0, region.ctx, region.ctx + XDP_MD.size);
  view.setUint32(region.ctx + fieldOffset("data"), region.packetData, true);
  view.setUint32(region.ctx + fieldOffset("data_end"), region.packetData + mem.length, true);
  const ctx: Region = { start: region.ctx, end: region.ctx + XDP_MD.size, writable: false, name: "ctx" };
  return { cpu, args: [BigInt(region.ctx)], regions: [ctx, ...(plain.regions ?? [])] };
}

const fieldOffset = (name: string): number => XDP_MD.fields.find((f) => f.name === name)!.offset;

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** Load and run one parsed test; never throws for a refusal or fault of the program itself. */
export async function runConformanceTest(
  test: ConformanceTest,
  engine: Engine,
  machine: Machine = conformanceMachine(),
): Promise<ConformanceOutcome> {
  const name = test.name;
  if (test.insns.length === 0) return { name, status: "skip", message: "the test has no program" };
  if (test.result === undefined && test.errorExpected === undefined) {
    return { name, status: "skip", message: "the test has neither `-- result` nor `-- error`" };
  }
  let r0: bigint;
  try {
    const loaded = await engine.load({ insns: test.insns, name }, machine);
    try {
      r0 = loaded.run(conformanceInput(machine, test.mem));
    } finally {
      loaded.dispose();
    }
  } catch (err) {
    if (!(err instanceof BpfError)) throw err; // a bug in the engine, not a verdict on the program
    if (test.errorExpected !== undefined) return { name, status: "pass", message: "" };
    return { name, status: "fail", message: `expected ${hex(test.result!)}, got error: ${err.message}` };
  }
  if (test.errorExpected !== undefined) {
    return { name, status: "fail", message: `expected error '${test.errorExpected}', got ${hex(r0)}`, r0 };
  }
  if (r0 !== test.result) return { name, status: "fail", message: `expected ${hex(test.result!)}, got ${hex(r0)}`, r0 };
  return { name, status: "pass", message: "", r0 };
}
