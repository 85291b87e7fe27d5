// eBPF opcode fields, as RFC 9669 §3 and the kernel's include/uapi/linux/bpf_common.h and
// linux/bpf.h name them. The opcode byte is split three ways depending on the class:
//
//   ALU/ALU64/JMP/JMP32:  | op (4 bits) | source (1 bit) | class (3 bits) |
//   LD/LDX/ST/STX:        | mode (3)    | size (2)       | class (3)      |

/** Instruction classes (RFC 9669 §3.3, the low 3 bits). */
export const Cls = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;

/** Source operand bit for ALU and JMP classes (RFC 9669 §4): K = imm, X = src register. */
export const Src = {
  K: 0x00,
  X: 0x08,
} as const;

/** ALU operation codes, the high 4 bits (RFC 9669 §4.1). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30, // off=1: SDIV
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90, // off=1: SMOD
  XOR: 0xa0,
  MOV: 0xb0, // off=8/16/32: MOVSX
  ARSH: 0xc0,
  END: 0xd0, // byte swaps (RFC 9669 §4.2)
} as const;

/** Jump operation codes, the high 4 bits (RFC 9669 §4.3). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  JCOND: 0xe0, // JMP only, src = 0: may_goto (kernel 6.9+, not in RFC 9669)
} as const;

/** Access sizes for load and store classes (RFC 9669 §5.1). */
export const Size = {
  W: 0x00, // 4 bytes
  H: 0x08, // 2 bytes
  B: 0x10, // 1 byte
  DW: 0x18, // 8 bytes
} as const;

/** Byte count of each size code, indexed by `size >> 3`. */
export const SIZE_BYTES = [4, 2, 1, 8] as const;

/** Load/store modes (RFC 9669 §5). */
export const Mode = {
  IMM: 0x00, // LD only: lddw (64-bit immediate, two slots)
  ABS: 0x20, // LD only: legacy packet load at constant offset
  IND: 0x40, // LD only: legacy packet load at register + constant
  MEM: 0x60,
  MEMSX: 0x80, // LDX only: sign-extending load (v4)
  ATOMIC: 0xc0, // STX only
} as const;

/** Atomic operations, in the imm field of STX|ATOMIC (RFC 9669 §5.3). */
export const Atomic = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  FETCH: 0x01,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
} as const;

/**
 * `src` field of `lddw` (RFC 9669 §5.4 and linux/bpf.h BPF_PSEUDO_*): what the 64-bit
 * immediate means. Only 0 is a plain constant; the rest are resolved by a loader.
 */
export const Pseudo = {
  NONE: 0,
  MAP_FD: 1, // imm = map fd (or index): dst = map pointer
  MAP_VALUE: 2, // imm = map fd, next imm = offset: dst = address of the map's value + offset
  BTF_ID: 3,
  FUNC: 4, // imm = pc-relative subprogram: dst = its address (for callbacks)
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** `src` field of `call` (linux/bpf.h): helper by id, bpf-to-bpf call, kernel function. */
export const CallSrc = {
  HELPER: 0,
  LOCAL: 1, // BPF_PSEUDO_CALL: imm = pc-relative target
  KFUNC: 2, // BPF_PSEUDO_KFUNC_CALL
} as const;

export const cls = (opcode: number): number => opcode & 0x07;
export const srcBit = (opcode: number): number => opcode & 0x08;
export const op = (opcode: number): number => opcode & 0xf0;
export const size = (opcode: number): number => opcode & 0x18;
export const mode = (opcode: number): number => opcode & 0xe0;
export const sizeBytes = (opcode: number): number => SIZE_BYTES[size(opcode) >> 3]!;

/**
 * `may_goto` (BPF_JMP | BPF_JCOND, src BPF_MAY_GOTO = 0): a per-call-frame budget of iterations.
 * Each frame starts with BPF_MAX_LOOPS (include/linux/bpf.h) and the instruction jumps once it
 * is spent, else takes one. (6.15+ x86-64 and arm64 JITs bound it by time instead, 250 ms a
 * frame; a count keeps runs reproducible, as the kernel's interpreter and other JITs do.)
 */
export const MAY_GOTO_LOOPS = 8 * 1024 * 1024;

/** The frame pointer register: read-only, points at the top of the current 512-byte frame. */
export const R10 = 10;
/** Registers r0..r10 (RFC 9669 §2.4). */
export const NUM_REGS = 11;
/** Stack bytes per frame (kernel MAX_BPF_STACK). */
export const STACK_SIZE = 512;
/** Nested bpf-to-bpf call frames (kernel MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;
/** Chained tail calls (kernel MAX_TAIL_CALL_CNT). */
export const MAX_TAIL_CALLS = 33;
/**
 * Frames a CPU's stack holds (vm/memory/layout.ts): a program's MAX_CALL_FRAMES, and one more per
 * tail call — a subprogram's tail call hands its frame to the target, whose own calls go on below
 * it (the selftests' tailcall_bpf2bpf_hierarchy programs go 9 frames deep; the kernel bounds this
 * by stack bytes, 256 a frame where tail calls and calls mix). A tail call is taken only with room
 * below for the target's MAX_CALL_FRAMES (both engines fault otherwise), so no chain leaves the
 * CPU's stack.
 */
export const STACK_FRAMES = MAX_CALL_FRAMES + MAX_TAIL_CALLS;
