# the lock taken through one element on one branch, released through the other's pointer on a path pruning must not merge
# type: sched_cls
# map: locks array key=4 value=8 entries=2 lock=4
# expect: bpf_spin_unlock of different lock
# kernel: reject
ldxw %r6, [%r1+8]
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r7, %r0
stw [%r10-16], 1
mov %r2, %r10
add %r2, -16
lddw %r1, map_fd 0
call 1
mov %r8, %r0
mov %r1, %r7
add %r1, 4
call 93
jeq %r6, 0, swap
ja unlock
swap:
mov %r7, %r8
unlock:
mov %r1, %r7
add %r1, 4
call 94
mov %r0, 0
exit
