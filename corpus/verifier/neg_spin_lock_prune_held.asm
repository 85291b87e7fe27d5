# the branches lock different elements and meet with equal registers: only the held lock tells them apart, so pruning must compare it
# type: sched_cls
# map: locks array key=4 value=8 entries=2 lock=4
# expect: bpf_spin_unlock of different lock
# kernel: reject
ldxw %r6, [%r1+8]
ldxw %r9, [%r1+12]
stw [%r10-8], 0
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
mov %r7, %r0
stw [%r10-16], 1
mov %r2, %r10
add %r2, -16
lddw %r1, map_fd 0
call 1
mov %r8, %r0
jeq %r6, 0, second
mov %r1, %r7
add %r1, 4
call 93
mov %r0, 0
mov %r0, 0
mov %r0, 0
mov %r0, 0
mov %r0, 0
mov %r0, 0
ja join
second:
mov %r1, %r8
add %r1, 4
call 93
mov %r0, 0
mov %r0, 0
mov %r0, 0
mov %r0, 0
mov %r0, 0
mov %r0, 0
join:
mov %r0, 0
mov %r2, 0
mov %r3, 0
mov %r4, 0
mov %r5, 0
jeq %r9, 1, +0
jeq %r9, 2, +0
mov %r1, %r7
add %r1, 4
call 94
mov %r0, 0
exit
