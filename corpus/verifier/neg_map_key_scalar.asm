# a number is not a key pointer
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R2 type=scalar expected=fp
# kernel: reject
mov %r2, 0
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
