# moving a map pointer
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R1 pointer arithmetic on map_ptr prohibited
# kernel: reject
lddw %r1, map_fd 0
add %r1, 8
mov %r0, 0
exit
