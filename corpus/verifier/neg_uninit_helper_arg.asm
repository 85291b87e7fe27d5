# map key pointer register never set
# type: xdp
# map: counts hash key=4 value=8 entries=16
# expect: R2 !read_ok
# kernel: reject
lddw %r1, map_fd 0
call 1
mov %r0, 0
exit
