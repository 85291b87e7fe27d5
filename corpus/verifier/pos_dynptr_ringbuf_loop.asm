# a ring buffer dynptr reserved, filled through its slice and submitted (or discarded when the slice is NULL) in each of 4 iterations of a loop (6.18: accepted, 115 processed insns)
# expect: accept
# kernel: accept
# type: sched_cls
# map: rb ringbuf key=0 value=0 entries=4096
mov %r6, 0
loop:
lddw %r1, map_fd 0
mov %r2, 8
mov %r3, 0
mov %r4, %r10
add %r4, -16
call 198
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, 8
call 203
jeq %r0, 0, disc
stxdw [%r0+0], %r6
mov %r1, %r10
add %r1, -16
mov %r2, 0
call 199
ja next
disc:
mov %r1, %r10
add %r1, -16
mov %r2, 0
call 200
next:
add %r6, 1
jlt %r6, 4, loop
mov %r0, 0
exit
