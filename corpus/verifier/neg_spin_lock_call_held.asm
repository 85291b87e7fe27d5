# a helper called while the lock is held
# type: xdp
# map: locks array key=4 value=8 entries=1 lock=4
# expect: function calls are not allowed while holding a lock
# kernel: reject
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
call 7
mov %r1, %r6
add %r1, 4
call 94
mov %r0, 0
exit
