# lock an array value, update its counter, unlock
# type: xdp
# map: locks array key=4 value=8 entries=1 lock=4
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
add %r1, 4
call 93
ldxw %r2, [%r6+0]
add %r2, 1
stxw [%r6+0], %r2
mov %r1, %r6
add %r1, 4
call 94
mov %r0, 2
exit
