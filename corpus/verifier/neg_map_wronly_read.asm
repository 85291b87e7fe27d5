# a load from a BPF_F_WRONLY_PROG map value (check_map_access_type)
# type: xdp
# map: out array key=4 value=8 entries=2 writeonly
# expect: read from map forbidden, value_size=8 off=0 size=8
# kernel: reject
stw [%r10-8], 1
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
stdw [%r0+0], 5
ldxdw %r0, [%r0+0]
exit
