# a lock on the stack
# type: xdp
# expect: R1 type=fp expected=map_value
# kernel: reject
stw [%r10-4], 0
mov %r1, %r10
add %r1, -4
call 93
mov %r0, 0
exit
