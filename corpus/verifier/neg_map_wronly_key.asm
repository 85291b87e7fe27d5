# a BPF_F_WRONLY_PROG value passed as a key: the helper reads it (check_helper_mem_access)
# type: xdp
# map: out array key=4 value=8 entries=2 writeonly
# map: counts hash key=4 value=8 entries=16
# expect: read from map forbidden, value_size=8 off=0 size=4
# kernel: reject
stw [%r10-8], 1
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
mov %r2, %r0
lddw %r1, map_fd 1
call 1
mov %r0, 2
exit
