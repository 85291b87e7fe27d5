// Kernel-semantics edge cases per instruction kind, as small programs with the r0 they must
// return on every engine. Expected values follow RFC 9669 and the kernel's choices (DESIGN.md
// "Semantics"); each was worked out by hand (or with Python's big integers), not copied from an
// engine's output.

export interface SemanticsCase {
  readonly name: string;
  readonly asm: string;
  readonly result: bigint;
  /** Input memory as hex bytes (r1 points at a copy, r2 = its length). */
  readonly mem?: string;
}

const prog = (...lines: string[]): string => [...lines, "exit"].join("\n");

/** r0 = 1 if `jump` (written with target +1) is taken after `setup`, else 2. */
function jump(name: string, setup: string[], insn: string, taken: boolean): SemanticsCase {
  return {
    name,
    asm: ["mov %r0, 2", ...setup, `${insn}, +1`, "exit", "mov %r0, 1", "exit"].join("\n"),
    result: taken ? 1n : 2n,
  };
}

const LLONG_MIN = 0x8000000000000000n;
const ALL_ONES = 0xffffffffffffffffn;

export const ALU64_CASES: readonly SemanticsCase[] = [
  { name: "add carries into the high word", asm: prog("lddw %r0, 0xffffffff", "add %r0, 1"), result: 0x100000000n },
  { name: "add imm is sign-extended", asm: prog("mov %r0, 5", "add %r0, -6"), result: ALL_ONES },
  { name: "add wraps at 64 bits", asm: prog("lddw %r0, 0xffffffffffffffff", "mov %r1, 2", "add %r0, %r1"), result: 1n },
  { name: "sub borrows from the high word", asm: prog("lddw %r0, 0x100000000", "sub %r0, 1"), result: 0xffffffffn },
  { name: "sub register", asm: prog("mov %r0, 3", "mov %r1, 5", "sub %r0, %r1"), result: 0xfffffffffffffffen },
  { name: "mul full 64-bit product (low half)", asm: prog("lddw %r0, 0x123456789abcdef0", "lddw %r1, 0x0fedcba987654321", "mul %r0, %r1"), result: 0x2236d88fe5618cf0n },
  { name: "mul by negative imm", asm: prog("mov %r0, 3", "mul %r0, -2"), result: 0xfffffffffffffffan },
  { name: "mul of two 32-bit values above 2^53", asm: prog("mov32 %r0, -1", "mov32 %r1, -1", "mul %r0, %r1"), result: 0xfffffffe00000001n },
  { name: "div by zero register gives 0", asm: prog("mov %r0, 7", "mov %r1, 0", "div %r0, %r1"), result: 0n },
  { name: "div imm zero gives 0", asm: prog("mov %r0, 7", "div %r0, 0"), result: 0n },
  { name: "div is unsigned", asm: prog("lddw %r0, 0xffffffffffffffff", "div %r0, 3"), result: 0x5555555555555555n },
  { name: "div imm -1 is 2^64-1 unsigned", asm: prog("mov %r0, 10", "div %r0, -1"), result: 0n },
  { name: "div 64-bit by 17-bit", asm: prog("lddw %r0, 0xfedcba9876543210", "mov %r1, 0x12345", "div %r0, %r1"), result: 0xe0004fa01c4dn },
  { name: "div wide by wide", asm: prog("lddw %r0, 0x8000000000000001", "lddw %r1, 0xffffffff00000000", "div %r0, %r1"), result: 0n },
  { name: "mod by zero leaves dst", asm: prog("lddw %r0, 0x123456789", "mov %r1, 0", "mod %r0, %r1"), result: 0x123456789n },
  { name: "mod wide", asm: prog("lddw %r0, 0xfffffffffffffffe", "lddw %r1, 0x100000001", "mod %r0, %r1"), result: 0x100000000n },
  { name: "mod wide by wider", asm: prog("lddw %r0, 0x8000000000000001", "lddw %r1, 0xffffffff00000000", "mod %r0, %r1"), result: 0x8000000000000001n },
  { name: "sdiv LLONG_MIN by -1 is LLONG_MIN", asm: prog("lddw %r0, 0x8000000000000000", "sdiv %r0, -1"), result: LLONG_MIN },
  { name: "smod LLONG_MIN by -1 is 0", asm: prog("lddw %r0, 0x8000000000000000", "smod %r0, -1"), result: 0n },
  { name: "sdiv truncates toward zero", asm: prog("mov %r0, -7", "sdiv %r0, 2"), result: 0xfffffffffffffffdn },
  { name: "smod takes the dividend's sign", asm: prog("mov %r0, -7", "smod %r0, 2"), result: ALL_ONES },
  { name: "smod positive by negative", asm: prog("mov %r0, 7", "mov %r1, -2", "smod %r0, %r1"), result: 1n },
  { name: "sdiv by zero gives 0", asm: prog("mov %r0, -7", "mov %r1, 0", "sdiv %r0, %r1"), result: 0n },
  { name: "smod by zero leaves dst", asm: prog("mov %r0, -7", "mov %r1, 0", "smod %r0, %r1"), result: 0xfffffffffffffff9n },
  { name: "sdiv wide negative", asm: prog("lddw %r0, 0xfedcba9876543210", "sdiv %r0, 0x12345"), result: 0xfffffeffffa4ffe0n },
  { name: "smod wide negative", asm: prog("lddw %r0, 0xfedcba9876543210", "smod %r0, 0x12345"), result: 0xffffffffffff9ab0n },
  { name: "sdiv wide by wide negative", asm: prog("lddw %r0, 0x8000000000000001", "lddw %r1, 0xffffffff00000000", "sdiv %r0, %r1"), result: 0x7fffffffn },
  { name: "smod wide by wide negative", asm: prog("lddw %r0, 0x8000000000000001", "lddw %r1, 0xffffffff00000000", "smod %r0, %r1"), result: 0xffffffff00000001n },
  { name: "lsh count is masked to 6 bits (imm)", asm: prog("mov %r0, 1", "lsh %r0, 65"), result: 2n },
  { name: "lsh count is masked to 6 bits (reg)", asm: prog("mov %r0, 1", "mov %r1, 64", "lsh %r0, %r1"), result: 1n },
  { name: "lsh into the high word", asm: prog("mov %r0, 3", "lsh %r0, 40"), result: 3n << 40n },
  { name: "lsh across the word boundary", asm: prog("lddw %r0, 0x80000001", "lsh %r0, 1"), result: 0x100000002n },
  { name: "rsh is logical", asm: prog("lddw %r0, 0x8000000000000000", "rsh %r0, 63"), result: 1n },
  { name: "rsh across the word boundary", asm: prog("lddw %r0, 0x100000000", "mov %r1, 1", "rsh %r0, %r1"), result: 0x80000000n },
  { name: "arsh keeps the sign", asm: prog("lddw %r0, 0x8000000000000000", "arsh %r0, 63"), result: ALL_ONES },
  { name: "arsh by 4", asm: prog("lddw %r0, 0x8000000000000010", "arsh %r0, 4"), result: 0xf800000000000001n },
  { name: "arsh by 32 of a negative", asm: prog("lddw %r0, 0xfffffffe00000000", "arsh %r0, 32"), result: 0xfffffffffffffffen },
  { name: "neg", asm: prog("mov %r0, 1", "neg %r0"), result: ALL_ONES },
  { name: "neg of 0", asm: prog("mov %r0, 0", "neg %r0"), result: 0n },
  { name: "neg of LLONG_MIN", asm: prog("lddw %r0, 0x8000000000000000", "neg %r0"), result: LLONG_MIN },
  { name: "neg of 2^32", asm: prog("lddw %r0, 0x100000000", "neg %r0"), result: 0xffffffff00000000n },
  { name: "mov imm is sign-extended", asm: prog("mov %r0, -1"), result: ALL_ONES },
  { name: "mov register copies 64 bits", asm: prog("lddw %r1, 0xaaaaaaaabbbbbbbb", "mov %r0, %r1"), result: 0xaaaaaaaabbbbbbbbn },
  { name: "or with a sign-extended imm", asm: prog("lddw %r0, 0x1234567800000000", "or %r0, -65536"), result: 0xffffffffffff0000n },
  { name: "and with a sign-extended imm", asm: prog("lddw %r0, 0x1234567887654321", "and %r0, -2"), result: 0x1234567887654320n },
  { name: "and with a positive imm clears the high word", asm: prog("lddw %r0, 0x1234567887654321", "and %r0, 0xff"), result: 0x21n },
  { name: "xor registers", asm: prog("lddw %r0, 0xff00ff00ff00ff00", "lddw %r1, 0x0ff00ff00ff00ff0", "xor %r0, %r1"), result: 0xf0f0f0f0f0f0f0f0n },
];

export const ALU32_CASES: readonly SemanticsCase[] = [
  { name: "add32 wraps and zero-extends", asm: prog("lddw %r0, 0xffffffffffffffff", "add32 %r0, 1"), result: 0n },
  { name: "add32 result is zero-extended", asm: prog("lddw %r0, 0x1234567800000001", "add32 %r0, -2"), result: 0xffffffffn },
  { name: "mov32 register zero-extends", asm: prog("lddw %r1, 0xaaaaaaaabbbbbbbb", "mov32 %r0, %r1"), result: 0xbbbbbbbbn },
  { name: "mov32 imm -1 zero-extends", asm: prog("mov32 %r0, -1"), result: 0xffffffffn },
  { name: "sub32", asm: prog("mov32 %r0, 0", "sub32 %r0, 1"), result: 0xffffffffn },
  { name: "mul32 keeps the low 32 bits", asm: prog("mov32 %r0, 0x10001", "mul32 %r0, 0x10001"), result: 0x20001n },
  { name: "mul32 ignores the high words", asm: prog("lddw %r0, 0x700000003", "lddw %r1, 0x900000005", "mul32 %r0, %r1"), result: 15n },
  { name: "div32 is unsigned", asm: prog("mov32 %r0, -1", "div32 %r0, 2"), result: 0x7fffffffn },
  { name: "div32 by zero gives 0", asm: prog("lddw %r0, 0x100000005", "mov %r1, 0", "div32 %r0, %r1"), result: 0n },
  { name: "div32 uses the low word of src", asm: prog("mov %r0, 9", "lddw %r1, 0x100000003", "div32 %r0, %r1"), result: 3n },
  { name: "mod32 by zero keeps the low word, zero-extended", asm: prog("lddw %r0, 0x100000005", "mov %r1, 0", "mod32 %r0, %r1"), result: 5n },
  { name: "mod32 by a src whose low word is zero", asm: prog("mov %r0, 7", "lddw %r1, 0x100000000", "mod32 %r0, %r1"), result: 7n },
  { name: "mod32 imm zero", asm: prog("lddw %r0, 0xffffffff00000009", "mod32 %r0, 0"), result: 9n },
  { name: "mod32 is unsigned", asm: prog("mov32 %r0, -1", "mod32 %r0, 10"), result: 5n },
  { name: "sdiv32 INT_MIN by -1 is INT_MIN", asm: prog("mov32 %r0, 0x80000000", "sdiv32 %r0, -1"), result: 0x80000000n },
  { name: "smod32 INT_MIN by -1 is 0", asm: prog("mov32 %r0, 0x80000000", "smod32 %r0, -1"), result: 0n },
  { name: "sdiv32 truncates and zero-extends", asm: prog("mov32 %r0, -7", "sdiv32 %r0, 2"), result: 0xfffffffdn },
  { name: "smod32 result zero-extended", asm: prog("mov32 %r0, -7", "mov32 %r1, 2", "smod32 %r0, %r1"), result: 0xffffffffn },
  { name: "sdiv32 by zero gives 0", asm: prog("mov32 %r0, -7", "sdiv32 %r0, 0"), result: 0n },
  { name: "smod32 by zero leaves the low word", asm: prog("mov %r0, -7", "smod32 %r0, 0"), result: 0xfffffff9n },
  { name: "lsh32 count is masked to 5 bits", asm: prog("mov32 %r0, 1", "lsh32 %r0, 33"), result: 2n },
  { name: "lsh32 drops bits above 32", asm: prog("mov32 %r0, 0x80000001", "lsh32 %r0, 1"), result: 2n },
  { name: "rsh32 ignores the high word", asm: prog("lddw %r0, 0xffffffff00000010", "rsh32 %r0, 4"), result: 1n },
  { name: "arsh32 sign-extends within 32 bits, then zero-extends", asm: prog("mov32 %r0, 0x80000000", "arsh32 %r0, 31"), result: 0xffffffffn },
  { name: "arsh32 count masked (reg)", asm: prog("mov32 %r0, -16", "mov %r1, 34", "arsh32 %r0, %r1"), result: 0xfffffffcn },
  { name: "neg32", asm: prog("mov32 %r0, 1", "neg32 %r0"), result: 0xffffffffn },
  { name: "neg32 INT_MIN", asm: prog("mov32 %r0, 0x80000000", "neg32 %r0"), result: 0x80000000n },
  { name: "or32/and32/xor32 zero-extend", asm: prog("lddw %r0, 0xffffffff0000ffff", "or32 %r0, 0x100", "and32 %r0, 0xff00", "xor32 %r0, 1"), result: 0xff01n },
];

export const MOVSX_END_CASES: readonly SemanticsCase[] = [
  { name: "movsx864", asm: prog("mov %r1, 0x180", "movsx864 %r0, %r1"), result: 0xffffffffffffff80n },
  { name: "movsx1664", asm: prog("mov %r1, 0x8000", "movsx1664 %r0, %r1"), result: 0xffffffffffff8000n },
  { name: "movsx3264", asm: prog("mov32 %r1, 0x80000000", "movsx3264 %r0, %r1"), result: 0xffffffff80000000n },
  { name: "movsx3264 positive", asm: prog("lddw %r1, 0xffffffff7fffffff", "movsx3264 %r0, %r1"), result: 0x7fffffffn },
  { name: "movsx832 zero-extends the 32-bit result", asm: prog("mov %r1, 0x1ff", "movsx832 %r0, %r1"), result: 0xffffffffn },
  { name: "movsx1632", asm: prog("mov %r1, 0x8000", "movsx1632 %r0, %r1"), result: 0xffff8000n },
  { name: "le16 truncates", asm: prog("lddw %r0, 0x1122334455667788", "le16 %r0"), result: 0x7788n },
  { name: "le32 truncates", asm: prog("lddw %r0, 0x1122334455667788", "le32 %r0"), result: 0x55667788n },
  { name: "le64 is a no-op", asm: prog("lddw %r0, 0x1122334455667788", "le64 %r0"), result: 0x1122334455667788n },
  { name: "be16 swaps and truncates", asm: prog("lddw %r0, 0x1122334455667788", "be16 %r0"), result: 0x8877n },
  { name: "be32 swaps and truncates", asm: prog("lddw %r0, 0x1122334455667788", "be32 %r0"), result: 0x88776655n },
  { name: "be64 swaps", asm: prog("lddw %r0, 0x1122334455667788", "be64 %r0"), result: 0x8877665544332211n },
  { name: "bswap16", asm: prog("lddw %r0, 0x1122334455667788", "bswap16 %r0"), result: 0x8877n },
  { name: "bswap32", asm: prog("lddw %r0, 0x1122334455667788", "bswap32 %r0"), result: 0x88776655n },
  { name: "bswap64", asm: prog("lddw %r0, 0x1122334455667788", "bswap64 %r0"), result: 0x8877665544332211n },
  { name: "lddw loads 64 bits", asm: prog("lddw %r0, 0x8000000000000001"), result: 0x8000000000000001n },
];

const NEG1 = ["lddw %r1, 0xffffffffffffffff"];
const LOW_NEG = ["lddw %r1, 0x80000000"]; // positive as 64 bits, negative as 32
const HIGH_ONLY = ["lddw %r1, 0x100000000"];

export const JUMP_CASES: readonly SemanticsCase[] = [
  jump("jgt is unsigned", NEG1, "jgt %r1, 1", true),
  jump("jsgt is signed", NEG1, "jsgt %r1, 1", false),
  jump("jge equal", ["mov %r1, 5"], "jge %r1, 5", true),
  jump("jlt unsigned", ["mov %r1, 1", "mov %r2, -1"], "jlt %r1, %r2", true),
  jump("jle unsigned", NEG1, "jle %r1, 0", false),
  jump("jslt signed", NEG1, "jslt %r1, 0", true),
  jump("jsle signed equal", NEG1, "jsle %r1, -1", true),
  jump("jsge signed", ["mov %r1, -5", "mov %r2, -6"], "jsge %r1, %r2", true),
  jump("jeq imm is sign-extended (64-bit)", NEG1, "jeq %r1, -1", true),
  jump("jeq compares the high word", ["mov32 %r1, -1"], "jeq %r1, -1", false),
  jump("jeq32 compares the low word only", ["mov32 %r1, -1"], "jeq32 %r1, -1", true),
  jump("jne high words differ", ["mov %r1, 0", ...HIGH_ONLY.map((l) => l.replace("%r1", "%r2"))], "jne %r1, %r2", true),
  jump("jne32 ignores high words", ["mov %r1, 0", ...HIGH_ONLY.map((l) => l.replace("%r1", "%r2"))], "jne32 %r1, %r2", false),
  jump("jset on the high word", [...HIGH_ONLY, "lddw %r2, 0x300000000"], "jset %r1, %r2", true),
  jump("jset32 ignores the high word", [...HIGH_ONLY, "lddw %r2, 0x300000000"], "jset32 %r1, %r2", false),
  jump("jset imm sign-extended", HIGH_ONLY, "jset %r1, 0x80000000", true),
  jump("jsgt32 uses the low word as signed", LOW_NEG, "jsgt32 %r1, 0", false),
  jump("jsgt uses all 64 bits", LOW_NEG, "jsgt %r1, 0", true),
  jump("jgt32 unsigned", LOW_NEG, "jgt32 %r1, 1", true),
  jump("jlt32 unsigned", ["mov32 %r1, 1", "mov32 %r2, -1"], "jlt32 %r1, %r2", true),
  jump("jle32 unsigned", LOW_NEG, "jle32 %r1, 0x7fffffff", false),
  jump("jge32 register", ["mov32 %r1, 7", "lddw %r2, 0xffffffff00000007"], "jge32 %r1, %r2", true),
  jump("jslt32 signed", LOW_NEG, "jslt32 %r1, 0", true),
  jump("jsle32 signed", ["mov32 %r1, -1"], "jsle32 %r1, -1", true),
  jump("jsge32 signed", ["mov32 %r1, -2"], "jsge32 %r1, -1", false),
  jump("jeq32 register", ["lddw %r1, 0x500000009", "mov %r2, 9"], "jeq32 %r1, %r2", true),
  { name: "ja skips", asm: prog("mov %r0, 1", "ja +1", "mov %r0, 2"), result: 1n },
  { name: "ja32 (gotol) jumps by imm", asm: prog("mov %r0, 1", "ja32 +1", "mov %r0, 2"), result: 1n },
  {
    name: "backward jump: a counted loop",
    asm: ["mov %r0, 0", "mov %r1, 10", "loop:", "add %r0, %r1", "sub %r1, 1", "jne %r1, 0, loop", "exit"].join("\n"),
    result: 55n,
  },
  {
    name: "ja32 backward",
    asm: ["mov %r0, 0", "ja32 check", "body:", "add %r0, 3", "check:", "jlt %r0, 9, body", "exit"].join("\n"),
    result: 9n,
  },
];

/** include/linux/bpf.h BPF_MAX_LOOPS: each frame's may_goto budget. */
const LOOPS = 8n * 1024n * 1024n;
/** `mov r0, 0`, then a loop adding 1 to r0 until may_goto's budget is spent (`label` names it). */
const budgetLoop = (label: string): string[] => [`${label}:`, `may_goto ${label}_end`, "add %r0, 1", `ja ${label}`, `${label}_end:`];

// may_goto (kernel 6.9+): `if (budget == 0) goto off; budget--`, the budget BPF_MAX_LOOPS per
// call frame (kernel/bpf/verifier.c do_misc_fixups: the prologue stores it in a hidden stack
// slot of each subprogram using may_goto).
export const MAY_GOTO_CASES: readonly SemanticsCase[] = [
  { name: "a loop runs until the budget is spent", asm: prog("mov %r0, 0", ...budgetLoop("a")), result: LOOPS },
  {
    name: "the jump is taken once the budget is spent, not before",
    asm: prog("mov %r0, 0", "l:", "add %r0, 1", "may_goto +1", "ja l"),
    result: LOOPS + 1n,
  },
  {
    name: "a backward may_goto",
    asm: ["mov %r0, 0", "ja check", "spent:", "add %r0, 1", "exit", "check:", "may_goto spent", "add %r0, 2", "ja check"].join("\n"),
    result: 2n * LOOPS + 1n,
  },
  { name: "a spent budget stays spent for the frame's other loops", asm: prog("mov %r0, 0", ...budgetLoop("a"), ...budgetLoop("b")), result: LOOPS },
  {
    name: "may_goto +0 spends the budget and goes on",
    asm: prog("mov %r0, 0", "l:", "may_goto +0", "add %r0, 1", "may_goto +1", "ja l"),
    result: LOOPS / 2n + 1n,
  },
  {
    name: "each call of a subprogram has its own budget, apart from its caller's",
    asm: ["mov %r0, 0", ...budgetLoop("a"), "mov %r6, %r0", "call local f", "add %r6, %r0", "call local f", "add %r0, %r6", "exit", "f:", "mov %r0, 0", ...budgetLoop("b"), "exit"].join("\n"),
    result: 3n * LOOPS,
  },
  // A loop entered at A or at B (irreducible: the JIT's dispatch loop), a may_goto after each;
  // each round spends 2 and adds 3, r2 (the input's length) picks the entry.
  ...[["at A", "", 3n * (LOOPS / 2n) + 1n], ["at B", "00", 3n * (LOOPS / 2n) + 2n]].map(([at, mem, result]) => ({
    name: `a loop with two entries, entered ${at as string}`,
    asm: ["mov %r0, 0", "jne %r2, 0, b", "a:", "add %r0, 1", "may_goto end", "b:", "add %r0, 2", "may_goto end", "ja a", "end:", "exit"].join("\n"),
    mem: mem as string,
    result: result as bigint,
  })),
  {
    name: "each bpf_loop callback call has its own budget",
    asm: [
      "stdw [%r10-8], 0", "mov %r1, 3", "lddw %r2, func cb", "mov %r3, %r10", "add %r3, -8", "mov %r4, 0", "call 181",
      "ldxdw %r0, [%r10-8]", "exit",
      "cb:", "mov %r0, 0", "mov %r3, 0", "l:", "may_goto +2", "add %r3, 1", "ja l", "ldxdw %r4, [%r2]", "add %r4, %r3", "stxdw [%r2], %r4", "exit",
    ].join("\n"),
    result: 3n * LOOPS,
  },
];

export const MEMORY_CASES: readonly SemanticsCase[] = [
  {
    name: "stack stores and loads of every size",
    asm: prog(
      "stdw [%r10-8], 0", "stb [%r10-8], 0x11", "sth [%r10-6], 0x2233", "stw [%r10-4], 0x44556677",
      "ldxdw %r0, [%r10-8]",
    ),
    result: 0x4455667722330011n,
  },
  { name: "stdw imm is sign-extended", asm: prog("stdw [%r10-8], -1", "ldxdw %r0, [%r10-8]"), result: ALL_ONES },
  { name: "ldxw zero-extends", asm: prog("stw [%r10-4], -1", "ldxw %r0, [%r10-4]"), result: 0xffffffffn },
  { name: "ldxh and ldxb zero-extend", asm: prog("stw [%r10-4], -1", "ldxh %r0, [%r10-4]", "ldxb %r1, [%r10-2]", "add %r0, %r1"), result: 0xffffn + 0xffn },
  { name: "ldxsb sign-extends", asm: prog("stb [%r10-1], 0x80", "ldxsb %r0, [%r10-1]"), result: 0xffffffffffffff80n },
  { name: "ldxsh sign-extends", asm: prog("sth [%r10-2], 0x8001", "ldxsh %r0, [%r10-2]"), result: 0xffffffffffff8001n },
  { name: "ldxsw sign-extends", asm: prog("stw [%r10-4], 0x80000002", "ldxsw %r0, [%r10-4]"), result: 0xffffffff80000002n },
  {
    name: "stx of every size stores the low bytes",
    asm: prog(
      "lddw %r1, 0x1122334455667788", "stdw [%r10-16], 0", "stxb [%r10-16], %r1", "stxh [%r10-14], %r1", "stxw [%r10-12], %r1",
      "ldxdw %r0, [%r10-16]", "stxdw [%r10-8], %r1", "ldxdw %r2, [%r10-8]", "xor %r0, %r2",
    ),
    result: 0x5566778877880088n ^ 0x1122334455667788n,
  },
  { name: "loads from the input are little-endian", asm: prog("ldxdw %r0, [%r1]"), mem: "11 22 33 44 55 66 77 88", result: 0x8877665544332211n },
  { name: "r2 holds the input length", asm: prog("mov %r0, %r2"), mem: "00 01 02 03 04", result: 5n },
  { name: "r2 is 0 without input", asm: prog("mov %r0, %r2"), result: 0n },
  { name: "the input is writable", asm: prog("stw [%r1+4], 0x01020304", "ldxw %r0, [%r1+2]"), mem: "aa bb cc dd ee ff 00 11", result: 0x0304ddccn },
  { name: "negative offsets from a register", asm: prog("add %r1, 8", "ldxb %r0, [%r1-1]"), mem: "00 00 00 00 00 00 00 7f", result: 0x7fn },
];

export const ATOMIC_CASES: readonly SemanticsCase[] = [
  { name: "lock add", asm: prog("stdw [%r10-8], 1", "mov %r1, 2", "lock add [%r10-8], %r1", "ldxdw %r0, [%r10-8]"), result: 3n },
  { name: "lock add keeps src", asm: prog("stdw [%r10-8], 1", "mov %r1, 2", "lock add [%r10-8], %r1", "mov %r0, %r1"), result: 2n },
  { name: "lock fetch add returns the old value in src", asm: prog("stdw [%r10-8], 40", "mov %r1, 2", "lock fetch add [%r10-8], %r1", "ldxdw %r0, [%r10-8]", "lsh %r0, 8", "or %r0, %r1"), result: (42n << 8n) | 40n },
  { name: "lock add 64-bit carries", asm: prog("stw [%r10-8], -1", "stw [%r10-4], 0", "mov %r1, 1", "lock add [%r10-8], %r1", "ldxdw %r0, [%r10-8]"), result: 0x100000000n },
  { name: "lock add32 touches only 32 bits", asm: prog("stw [%r10-8], -1", "stw [%r10-4], 7", "mov %r1, 1", "lock add32 [%r10-8], %r1", "ldxdw %r0, [%r10-8]"), result: 0x700000000n },
  { name: "lock fetch add32 zero-extends the old value", asm: prog("stw [%r10-4], -1", "mov %r1, 1", "lock fetch add32 [%r10-4], %r1", "mov %r0, %r1"), result: 0xffffffffn },
  { name: "lock or", asm: prog("stdw [%r10-8], 0x0f", "mov %r1, 0x30", "lock or [%r10-8], %r1", "ldxdw %r0, [%r10-8]"), result: 0x3fn },
  { name: "lock and", asm: prog("stdw [%r10-8], 0x3c", "mov %r1, 0x0f", "lock and [%r10-8], %r1", "ldxdw %r0, [%r10-8]"), result: 0x0cn },
  { name: "lock xor", asm: prog("stdw [%r10-8], 0x3c", "mov %r1, 0x0f", "lock xor [%r10-8], %r1", "ldxdw %r0, [%r10-8]"), result: 0x33n },
  { name: "lock fetch or returns old", asm: prog("stdw [%r10-8], 0x0f", "mov %r1, 0x30", "lock fetch or [%r10-8], %r1", "mov %r0, %r1"), result: 0x0fn },
  { name: "lock fetch and32 returns old", asm: prog("stw [%r10-4], 0x3c", "mov %r1, 0x0f", "lock fetch and32 [%r10-4], %r1", "mov %r0, %r1"), result: 0x3cn },
  { name: "lock fetch xor32 updates memory", asm: prog("stw [%r10-4], 0x3c", "mov %r1, 0x0f", "lock fetch xor32 [%r10-4], %r1", "ldxw %r0, [%r10-4]"), result: 0x33n },
  { name: "xchg swaps", asm: prog("stdw [%r10-8], 5", "mov %r1, 9", "lock xchg [%r10-8], %r1", "ldxdw %r0, [%r10-8]", "lsh %r0, 8", "or %r0, %r1"), result: (9n << 8n) | 5n },
  { name: "xchg32 zero-extends", asm: prog("stw [%r10-4], -1", "lddw %r1, 0x1234567800000009", "lock xchg32 [%r10-4], %r1", "mov %r0, %r1"), result: 0xffffffffn },
  { name: "cmpxchg success stores src, r0 = old", asm: prog("stdw [%r10-8], 5", "mov %r0, 5", "mov %r1, 9", "lock cmpxchg [%r10-8], %r1", "ldxdw %r2, [%r10-8]", "lsh %r2, 8", "or %r0, %r2"), result: (9n << 8n) | 5n },
  { name: "cmpxchg failure leaves memory, r0 = old", asm: prog("stdw [%r10-8], 5", "mov %r0, 6", "mov %r1, 9", "lock cmpxchg [%r10-8], %r1", "ldxdw %r2, [%r10-8]", "lsh %r2, 8", "or %r0, %r2"), result: (5n << 8n) | 5n },
  { name: "cmpxchg32 compares the low word of r0", asm: prog("stw [%r10-4], 5", "lddw %r0, 0xffffffff00000005", "mov %r1, 9", "lock cmpxchg32 [%r10-4], %r1", "ldxw %r2, [%r10-4]", "lsh %r2, 36", "or %r0, %r2"), result: (9n << 36n) | 5n },
  { name: "atomics on the input", asm: prog("mov %r2, 1", "lock add32 [%r1+4], %r2", "ldxw %r0, [%r1+4]"), mem: "00 00 00 00 ff 00 00 00", result: 0x100n },
];

export const CALL_CASES: readonly SemanticsCase[] = [
  {
    name: "local call passes r1-r5 and returns r0",
    asm: ["mov %r1, 3", "mov %r5, 4", "call local f", "exit", "f:", "mov %r0, %r1", "mul %r0, %r5", "exit"].join("\n"),
    result: 12n,
  },
  {
    name: "r6-r9 are preserved across a local call",
    asm: [
      "mov %r6, 1", "mov %r7, 2", "mov %r8, 3", "mov %r9, 4", "call local f",
      "mov %r0, %r6", "lsh %r0, 8", "or %r0, %r7", "lsh %r0, 8", "or %r0, %r8", "lsh %r0, 8", "or %r0, %r9", "exit",
      "f:", "mov %r6, 9", "mov %r7, 9", "mov %r8, 9", "mov %r9, 9", "mov %r0, 0", "exit",
    ].join("\n"),
    result: 0x01020304n,
  },
  {
    name: "each call gets its own 512-byte frame",
    asm: ["mov %r6, %r10", "call local f", "sub %r6, %r0", "mov %r0, %r6", "exit", "f:", "mov %r0, %r10", "exit"].join("\n"),
    result: 512n,
  },
  {
    name: "callee stack does not clobber the caller's",
    asm: ["stdw [%r10-8], 7", "call local f", "ldxdw %r0, [%r10-8]", "exit", "f:", "stdw [%r10-8], 99", "mov %r0, 0", "exit"].join("\n"),
    result: 7n,
  },
  {
    name: "callee reads the caller's stack through a pointer",
    asm: ["stdw [%r10-8], 41", "mov %r1, %r10", "add %r1, -8", "call local f", "exit", "f:", "ldxdw %r0, [%r1]", "add %r0, 1", "exit"].join("\n"),
    result: 42n,
  },
  {
    name: "eight frames deep",
    asm: [
      "mov %r0, 0", "call local f1", "exit",
      "f1:", "add %r0, 1", "call local f2", "exit",
      "f2:", "add %r0, 1", "call local f3", "exit",
      "f3:", "add %r0, 1", "call local f4", "exit",
      "f4:", "add %r0, 1", "call local f5", "exit",
      "f5:", "add %r0, 1", "call local f6", "exit",
      "f6:", "add %r0, 1", "call local f7", "exit",
      "f7:", "add %r0, 1", "exit",
    ].join("\n"),
    result: 7n,
  },
  { name: "helper call: get_smp_processor_id is 0 on CPU 0", asm: prog("mov %r0, 99", "call 8"), result: 0n },
  { name: "helper call: execution continues after ktime_get_ns", asm: prog("call 5", "mov %r0, 2"), result: 2n },
  { name: "callx calls the helper whose id is in the register", asm: prog("mov %r0, 99", "mov %r3, 8", "callx %r3"), result: 0n },
];

/** Nine frames: one more than the kernel allows. */
export const TOO_DEEP = [
  "call local f1", "exit",
  ...Array.from({ length: 8 }, (_, k) => [`f${k + 1}:`, k === 7 ? "mov %r0, 0" : `call local f${k + 2}`, "exit"]).flat(),
].join("\n");

export const ALL_SEMANTICS: ReadonlyArray<readonly [string, readonly SemanticsCase[]]> = [
  ["alu64", ALU64_CASES],
  ["alu32", ALU32_CASES],
  ["movsx, byte swaps, lddw", MOVSX_END_CASES],
  ["jumps", JUMP_CASES],
  ["may_goto", MAY_GOTO_CASES],
  ["memory", MEMORY_CASES],
  ["atomics", ATOMIC_CASES],
  ["calls", CALL_CASES],
];
