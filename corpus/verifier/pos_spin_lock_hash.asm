# lock a hash value (lock at 0), update it, unlock
# type: sched_cls
# map: locks hash key=4 value=16 entries=4 lock=0
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jne %r0, 0, +2
mov %r0, 0
exit
mov %r6, %r0
mov %r1, %r6
call 93
ldxdw %r2, [%r6+8]
add %r2, 1
stxdw [%r6+8], %r2
mov %r1, %r6
call 94
mov %r0, 0
exit
