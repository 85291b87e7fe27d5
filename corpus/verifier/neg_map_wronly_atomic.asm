# an atomic add reads the value too: refused on a BPF_F_WRONLY_PROG map (check_atomic)
# type: xdp
# map: out array key=4 value=8 entries=2 writeonly
# expect: read from map forbidden, value_size=8 off=0 size=8
# kernel: reject
stw [%r10-8], 1
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
mov %r1, 1
lock add [%r0+0], %r1
mov %r0, 2
exit
