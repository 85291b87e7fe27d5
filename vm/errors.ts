// One error type for every bad input the runtime refuses (bytecode, assembly, ELF, pcap, map
// keys) and every fault a run stops on. It always says *what* and *where*: the instruction
// index, the source line, or the byte offset, so a user can find the culprit without a debugger.

export interface BpfErrorWhere {
  /** Instruction slot index (as the kernel numbers them). */
  insn?: number;
  /** 1-based line in an assembly or text source. */
  line?: number;
  /** Byte offset in a binary input (ELF, pcap, bytecode). */
  offset?: number;
  /** Address in the eBPF address space (a runtime fault). */
  addr?: number;
}

export class BpfError extends Error {
  readonly where: BpfErrorWhere;

  constructor(message: string, where: BpfErrorWhere = {}) {
    super(message);
    this.name = "BpfError";
    this.where = where;
  }
}

/** A fault while a program runs: out-of-bounds access, call depth, bad helper argument. */
export class BpfRuntimeError extends BpfError {
  constructor(message: string, where: BpfErrorWhere = {}) {
    super(message, where);
    this.name = "BpfRuntimeError";
  }
}
