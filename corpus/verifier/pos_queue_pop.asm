# map_pop_elem writes its output buffer: it need not be initialised
# type: xdp
# map: q queue key=0 value=8 entries=16
# expect: accept
# kernel: accept
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -8
call 88
jne %r0, 0, empty
ldxdw %r0, [%r10-8]
exit
empty:
mov %r0, 2
exit
