# an AF_XDP program: look the rx queue up in an XSKMAP, read the socket's queue_id, redirect
# type: xdp
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: accept
# kernel: accept
ldxw %r2, [%r1+16]
stxw [%r10-4], %r2
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, pass
ldxw %r2, [%r0+0]
lddw %r1, map_fd 0
mov %r3, 2
call 51
exit
pass:
mov %r0, 2
exit
