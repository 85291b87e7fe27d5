# a write to r10 in code the verifier proves unreachable (a branch its bounds decide): the kernel
# removes dead code after verifying, so the program is accepted; the loader makes the write a
# trap before an engine gets it (vm/program/frame-writes.ts)
# type: xdp
# expect: accept
# kernel: accept
mov %r0, 2
mov %r1, 5
jgt %r1, 10, dead
exit
dead:
mov %r10, 0
exit
