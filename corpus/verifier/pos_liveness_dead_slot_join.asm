# stack liveness: a slot that differs at the join is overwritten before any read, so the second side is pruned there (the kernel processes the same number of instructions)
# type: xdp
# expect: accept
# kernel: accept
mov %r6, %r1
call 7
mov %r7, %r0
and %r7, 1
jeq %r7, 0, other
stxdw [%r10-8], %r6
jeq %r7, 5, join
mov %r3, 0
mov %r3, 1
mov %r3, 2
mov %r3, 3
mov %r3, 4
mov %r3, 5
mov %r3, 6
mov %r3, 7
ja join
other:
mov %r1, 0
stxdw [%r10-8], %r1
join:
mov %r3, 0
mov %r3, 1
mov %r3, 2
mov %r3, 3
stxdw [%r10-8], %r6
ldxdw %r1, [%r10-8]
ldxw %r0, [%r1+0]
mov %r0, 2
exit
