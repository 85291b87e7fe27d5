// Loading a program into a pool, on the thread that owns the machine: the check that it may run
// in place (packet-writes.ts, over every tail-call target too), the machine's program table to
// send along, and the engine's preparation — the JIT compiles once here (workers instantiate the
// same WebAssembly.Module), the interpreter checks the program here so that a bad one is refused
// once rather than in every worker.

import type { Program } from "../engine.js";
import { BpfError } from "../errors.js";
import { encode } from "../isa/instruction.js";
import type { RuntimeMachine } from "../runtime/machine.js";
import { readsSkbSocket } from "../runtime/test-run-socket.js";
import { packetWrites, type PacketWrites } from "./packet-writes.js";
import type { ProgramRef } from "./protocol.js";
import type { LoadOptions, PoolProgram } from "./types.js";

/** `call 12` (BPF_JMP | BPF_CALL, src 0: a helper): bpf_tail_call. */
const CALL = 0x85;
const TAIL_CALL = 12;

/** Prepare `program` for the pool's workers under ref id `id`. */
export async function loadPoolProgram(machine: RuntimeMachine, program: Program, options: LoadOptions, id: number): Promise<PoolProgram> {
  const engine = options.engine ?? "jit";
  const writes = writesOf(machine, program);
  // Only XDP runs in place: an __sk_buff has per-packet fields the runtime writes with the copy.
  const inPlace = options.inPlace !== false && machine.type.name === "xdp" && !writes.writes;
  const name = program.name ?? "program";
  const table = machine.programs.entries().map(([at, p]) => [at, { insns: p.insns.map((i) => ({ ...i })), name: p.name }] as const);
  const readsSocket = [program, ...tailCallTargets(machine, program)].some((p) => readsSkbSocket(p.insns));
  const base = { id, name, engine, insns: encode(program.insns), inPlace, table, readsSkbSocket: readsSocket };
  let ref: ProgramRef;
  if (engine === "jit") {
    const { compileModule } = await import("../../jit/modules.js");
    ref = { ...base, jit: await compileModule(program, machine, options.jit) };
  } else if (engine === "interpreter") {
    const { Interpreter } = await import("../interpreter/engine.js");
    new Interpreter().loadSync(program, machine).dispose();
    ref = base;
  } else {
    throw new BpfError(`the pool runs engines jit and interpreter, not '${engine as string}'`);
  }
  return { ref, name, engine, packetWrites: writes };
}

/**
 * packetWrites of the program and, when it makes tail calls, of every program of the machine's
 * table: a tail call runs the target on the same packet (in place too).
 */
function writesOf(machine: RuntimeMachine, program: Program): PacketWrites {
  const type = machine.type;
  const own = packetWrites(program.insns, type);
  if (own.writes || !makesTailCalls(program)) return own;
  for (const [id, target] of machine.programs.entries()) {
    const w = packetWrites(target.insns, type);
    if (w.writes) return { writes: true, reason: `tail-call target ${id} ('${target.name ?? "program"}') may write: ${w.reason}` };
  }
  return { writes: false, reason: `${own.reason} (nor in any tail-call target)` };
}

const makesTailCalls = (program: Program): boolean => program.insns.some((i) => i.opcode === CALL && i.src === 0 && i.imm === TAIL_CALL);

/** The programs a tail call of `program` may run on the same packet: the machine's table, if it makes tail calls. */
const tailCallTargets = (machine: RuntimeMachine, program: Program): Program[] =>
  makesTailCalls(program) ? machine.programs.entries().map(([, p]) => p) : [];
