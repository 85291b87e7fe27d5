# a lookup's result locked before its NULL check
# type: xdp
# map: locks hash key=4 value=8 entries=4 lock=0
# expect: R1 type=map_value_or_null expected=map_value
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
mov %r1, %r0
call 93
mov %r0, 0
exit
