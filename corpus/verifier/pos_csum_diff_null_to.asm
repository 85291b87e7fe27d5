# csum_diff with to = NULL and to_size 0 (a pull), from on the stack
# type: sched_cls
# expect: accept
# kernel: accept
stdw [%r10-8], 0
mov %r1, %r10
add %r1, -8
mov %r2, 8
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28
mov %r0, 0
exit
