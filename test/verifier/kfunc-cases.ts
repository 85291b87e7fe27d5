// Raw programs calling the numeric iterator kfuncs, with the verdict and message of Linux 6.18
// (measured by loading each one: test/kernel/kfunc-iter.test.ts checks that the kernel still
// says so). Shared by test/verifier/kfunc-iter.test.ts (our verifier) and the kernel test.
// Every program is an XDP program; maps[0] is a HASH (8-byte keys and values), maps[1] a
// one-entry ARRAY whose 8-byte value starts with a struct bpf_spin_lock.

export interface KfuncCase {
  readonly name: string;
  readonly asm: string;
  /** undefined: accepted; else the reason, in the kernel's words. */
  readonly reason?: string;
  /** The refused instruction (ours; the kernel's log names the same one). */
  readonly insn?: number;
  /** Processed instructions, ours and the kernel's, where they are the same. */
  readonly processed?: number;
}

/** new(&it at fp-8, 0, 3): slots 0-4. */
const NEW = `mov %r1, %r10
add %r1, -8
mov %r2, 0
mov %r3, 3
call kfunc bpf_iter_num_new
`;
const R1_IT = `mov %r1, %r10
add %r1, -8
`;
const DESTROY = `${R1_IT}call kfunc bpf_iter_num_destroy
`;
const PASS = `mov %r0, 2
exit
`;

/** sum of the elements: the shape bpf_for compiles to (slots 5-12), then destroy (13-15). */
export const SUM_LOOP = `${NEW}mov %r6, 0
loop: ${R1_IT}call kfunc bpf_iter_num_next
jeq %r0, 0, out
ldxw %r2, [%r0]
add %r6, %r2
ja loop
out: ${DESTROY}${PASS}`;

export const KFUNC_CASES: readonly KfuncCase[] = [
  { name: "a loop summing the elements converges at its second widened iteration", asm: SUM_LOOP, processed: 48 },
  {
    // bpf_for(i, 0, 8) buf[i] = 1: the element's range check bounds a stack index.
    name: "the element, range-checked, indexes a stack buffer",
    asm: `${NEW.replace("mov %r3, 3", "mov %r3, 8")}stdw [%r10-16], 0
loop: ${R1_IT}call kfunc bpf_iter_num_next
jeq %r0, 0, out
ldxw %r6, [%r0]
jgt %r6, 7, loop
mov %r7, %r10
add %r7, -16
add %r7, %r6
stb [%r7], 1
ja loop
out: ${DESTROY}${PASS}`,
  },
  {
    name: "nested loops, each with its own iterator",
    asm: `${NEW}outer: ${R1_IT}call kfunc bpf_iter_num_next
jeq %r0, 0, done
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, 4
call kfunc bpf_iter_num_new
inner: mov %r1, %r10
add %r1, -16
call kfunc bpf_iter_num_next
jne %r0, 0, inner
mov %r1, %r10
add %r1, -16
call kfunc bpf_iter_num_destroy
ja outer
done: ${DESTROY}${PASS}`,
  },
  { name: "an iterator at the bottom of the stack", asm: NEW.replace(/-8/g, "-512") + DESTROY.replace(/-8/g, "-512") + PASS },
  {
    name: "a loop in a subprogram",
    asm: `call local f\n${PASS}f: ${SUM_LOOP.replace(PASS, "mov %r0, %r6\nexit\n")}`,
    processed: 55,
  },
  {
    name: "the iterator passed to a subprogram that calls next()",
    asm: `${NEW}${R1_IT}call local g\n${DESTROY}${PASS}g: call kfunc bpf_iter_num_next\nmov %r0, 0\nexit`,
    processed: 23,
  },
  {
    name: "a loop in a bpf_loop callback",
    asm: `mov %r1, 3\nlddw %r2, func cb\nmov %r3, 0\nmov %r4, 0\ncall 181\n${PASS}cb: ${NEW}loop: ${R1_IT}call kfunc bpf_iter_num_next\njne %r0, 0, loop\n${DESTROY}mov %r0, 0\nexit`,
    processed: 26,
  },
  {
    name: "two iterators stepped in one loop",
    asm: `${NEW}${NEW.replace("-8", "-16")}loop: ${R1_IT}call kfunc bpf_iter_num_next
jeq %r0, 0, out
mov %r1, %r10
add %r1, -16
call kfunc bpf_iter_num_next
ja loop
out: ${DESTROY.replace("-8", "-16")}${DESTROY}${PASS}`,
    processed: 50,
  },
  { name: "an iterator never destroyed is a leaked reference", asm: `${NEW}${PASS}`, reason: "Unreleased reference id=1 alloc_insn=4; BPF_EXIT instruction in main prog would lead to reference leak", insn: 6 },
  { name: "next() on an iterator never created", asm: `${R1_IT}call kfunc bpf_iter_num_next\n${PASS}`, reason: "expected an initialized iter_num as arg #0", insn: 2 },
  { name: "new() on an iterator already created", asm: `${NEW}${NEW}${DESTROY}${PASS}`, reason: "expected uninitialized iter_num as arg #0", insn: 9 },
  { name: "destroy() twice", asm: `${NEW}${DESTROY}${DESTROY}${PASS}`, reason: "expected an initialized iter_num as arg #0", insn: 10 },
  { name: "a load of the iterator's bytes", asm: `${NEW}ldxdw %r0, [%r10-8]\n${DESTROY}${PASS}`, reason: "invalid read from stack off -8+0 size 8", insn: 5 },
  { name: "a store over the iterator: it is no iterator any more", asm: `${NEW}stdw [%r10-8], 0\n${DESTROY}${PASS}`, reason: "expected an initialized iter_num as arg #0", insn: 8 },
  { name: "a 4-byte store into the iterator", asm: `${NEW}stw [%r10-4], 0\n${DESTROY}${PASS}`, reason: "expected an initialized iter_num as arg #0", insn: 8 },
  {
    name: "a helper reading the iterator's bytes",
    asm: `${NEW}lddw %r1, map_fd 0\nmov %r2, %r10\nadd %r2, -8\ncall 1\n${DESTROY}${PASS}`,
    reason: "invalid read from stack R2 off -8+0 size 8",
    insn: 9,
  },
  { name: "an iterator at an unaligned offset", asm: NEW.replace("-8", "-12") + PASS, reason: "cannot pass in iter at an offset=-12", insn: 4 },
  { name: "an iterator at fp+0", asm: NEW.replace("add %r1, -8\n", "") + PASS, reason: "invalid write to stack R1 off=0 size=8", insn: 3 },
  { name: "an iterator not on the stack", asm: NEW.replace("mov %r1, %r10\nadd %r1, -8\n", "") + PASS, reason: "arg#0 expected pointer to an iterator on stack", insn: 2 },
  { name: "a pointer for an int argument", asm: NEW.replace("mov %r2, 0", "mov %r2, %r10") + PASS, reason: "R2 is not a scalar", insn: 4 },
  { name: "an unset int argument", asm: NEW.replace("mov %r3, 3\n", "") + PASS, reason: "R3 is not a scalar", insn: 3 },
  {
    name: "the element is read-only",
    asm: SUM_LOOP.replace("ldxw %r2, [%r0]", "stw [%r0], 1"),
    reason: "R0 cannot write into rdonly_mem",
    insn: 10,
  },
  {
    name: "the element is 4 bytes",
    asm: SUM_LOOP.replace("ldxw %r2, [%r0]", "ldxw %r2, [%r0+4]"),
    reason: "invalid access to memory, mem_size=4 off=4 size=4; R0 min value is outside of the allowed memory range",
    insn: 10,
  },
  {
    name: "next()'s result used without its NULL check",
    asm: `${NEW}${R1_IT}call kfunc bpf_iter_num_next\nldxw %r6, [%r0]\n${DESTROY}${PASS}`,
    reason: "R0 invalid mem access 'scalar'",
    insn: 8,
  },
  {
    name: "an element pointer kept past destroy()",
    asm: `${NEW}${R1_IT}call kfunc bpf_iter_num_next\nmov %r6, %r0\n${DESTROY}jeq %r6, 0, +1\nldxw %r0, [%r6]\n${PASS}`,
    reason: "R6 invalid mem access 'scalar'",
    insn: 13,
  },
  {
    // kfunc_spin_allowed: the numeric iterator's kfuncs may be called holding the lock.
    name: "an iterator made and destroyed while holding a bpf_spin_lock",
    asm: `stw [%r10-4], 0
lddw %r1, map_fd 1
mov %r2, %r10
add %r2, -4
call 1
jne %r0, 0, +2
${PASS}mov %r6, %r0
mov %r1, %r6
call 93
${NEW.replace(/-8/g, "-16")}${DESTROY.replace(/-8/g, "-16")}mov %r1, %r6
call 94
${PASS}`,
  },
  {
    name: "an iterator leaked by a subprogram",
    asm: `call local f\n${PASS}f: ${NEW}mov %r0, 0\nexit`,
    reason: "Unreleased reference id=1 alloc_insn=7; BPF_EXIT instruction in main prog would lead to reference leak",
    insn: 2,
  },
  {
    name: "destroy() inside the loop, then next() again",
    asm: `${NEW}loop: ${R1_IT}call kfunc bpf_iter_num_next\njeq %r0, 0, out\n${DESTROY}ja loop\nout: ${DESTROY}${PASS}`,
    reason: "expected an initialized iter_num as arg #0",
    insn: 7,
  },
  { name: "a kfunc id that is no function", asm: `call kfunc 123456\n${PASS}`, reason: "kernel btf_id 123456 is not a function", insn: 0 },
];

/** A loop that calls next() again after it said NULL, for ever: the DRAINED path never ends. */
export const DRAINED_FOREVER = `${NEW}loop: ${R1_IT}call kfunc bpf_iter_num_next
ja loop`;
