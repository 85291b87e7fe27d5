# tail_call needs a program array
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: expected prog array map for tail call
# kernel: reject
lddw %r2, map_fd 0
mov %r3, 0
call 12
mov %r0, 0
exit
