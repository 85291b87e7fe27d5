# precision: csum_diff allows from = NULL with size 0; after the join the other path passes the scalar 8, which is no pointer
# type: xdp
# expect: R1 type=scalar expected=fp
# kernel: accept (the kernel does not mark a NULL helper argument precise, so its checkpoint at the join prunes the path where R1 is 8; harmless there: the size is 0, nothing is read)
stdw [%r10-8], 0
call 7
mov %r6, %r0
and %r6, 1
mov %r7, 0
mov %r8, 0
mov %r9, 0
mov %r1, 8
jeq %r6, 0, join
mov %r1, 0
jeq %r6, 5, join
mov %r3, 0
mov %r3, 1
mov %r3, 2
mov %r3, 3
mov %r3, 4
mov %r3, 5
mov %r3, 6
mov %r3, 7
ja join
join:
mov %r2, 0
mov %r3, %r10
add %r3, -8
mov %r4, 8
mov %r5, 0
call 28
mov %r0, 2
exit
