# two elements, one of them locked on either branch, unlocked through the same register (ids matched as check_ids does)
# type: sched_cls
# map: locks array key=4 value=8 entries=2 lock=4
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r9, %r0
stw [%r10-16], 1
mov %r2, %r10
add %r2, -16
lddw %r1, map_fd 0
call 1
mov %r8, %r0
call 5
mov %r7, %r0
call 5
mov %r6, %r0
jgt %r6, %r7, other
mov %r1, %r8
add %r1, 4
call 93
mov %r9, %r8
ja unlock
other:
mov %r1, %r9
add %r1, 4
call 93
unlock:
mov %r1, %r9
add %r1, 4
call 94
mov %r0, 0
exit
