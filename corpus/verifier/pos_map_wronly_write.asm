# stores into a BPF_F_WRONLY_PROG map value are allowed
# type: xdp
# map: out array key=4 value=8 entries=2 writeonly
# expect: accept
# kernel: accept
stw [%r10-8], 1
mov %r2, %r10
add %r2, -8
lddw %r1, map_fd 0
call 1
stdw [%r0+0], 5
mov %r0, 2
exit
