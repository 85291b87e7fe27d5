// The programs of a machine that tail calls can reach. A PROG_ARRAY slot holds a program id from
// this table (0 = empty), as the kernel's slot holds a struct bpf_prog that BPF_PROG_LOAD
// returned an fd for: `add` checks the program as loading would (structure, helpers, map
// references) and hands back its id; user space then writes the id into a slot.
//
// Engines compile entries themselves, on demand: the table may grow after a program that
// tail-calls into it was loaded (vm/runtime/README.md §6).

import { BpfError } from "../errors.js";
import type { Program } from "../engine.js";

/** What `add` runs on a program before accepting it; throws a BpfError to refuse it. */
export type ProgramCheck = (program: Program) => void;

/** The largest id: ids are u32 values in a PROG_ARRAY slot. */
const MAX_ID = 0xffffffff;

export class ProgramTable {
  private readonly byId = new Map<number, Program>();
  private nextId = 1;

  constructor(private readonly check?: ProgramCheck) {}

  /** Accept a program (BPF_PROG_LOAD): its id, for PROG_ARRAY slots. */
  add(program: Program): number {
    try {
      this.check?.(program);
    } catch (err) {
      if (err instanceof BpfError) {
        throw new BpfError(`program ${program.name ? `'${program.name}' ` : ""}refused: ${err.message}`, err.where);
      }
      throw err;
    }
    if (this.nextId > MAX_ID) throw new BpfError("program table is full: no u32 id left");
    const id = this.nextId++;
    this.byId.set(id, program);
    return id;
  }

  /**
   * Put a program under a given id (a worker rebuilding its creator's table, see
   * describeMachine). The id must be free.
   */
  set(id: number, program: Program): void {
    if (!Number.isInteger(id) || id < 1 || id > MAX_ID) throw new BpfError(`program id ${id} is not a u32 from 1`);
    if (this.byId.has(id)) throw new BpfError(`program id ${id} is taken`);
    this.check?.(program);
    this.byId.set(id, program);
    if (id >= this.nextId) this.nextId = id + 1;
  }

  get(id: number): Program | undefined {
    return this.byId.get(id);
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  /** The id of a program added earlier (by identity), if any. */
  idOf(program: Program): number | undefined {
    for (const [id, p] of this.byId) if (p === program) return id;
    return undefined;
  }

  get size(): number {
    return this.byId.size;
  }

  /** [id, program] pairs in id order: plain data for workers. */
  entries(): Array<[number, Program]> {
    return [...this.byId.entries()].sort((a, b) => a[0] - b[0]);
  }
}
