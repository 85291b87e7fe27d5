# key and value on the stack, map_update_elem
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: accept
# kernel: accept
stw [%r10-4], 7
stdw [%r10-16], 1
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
lddw %r1, map_fd 0
mov %r4, 0
call 2
mov %r0, 2
exit
