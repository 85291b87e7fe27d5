# an xdp_sock spilled to the stack and filled back is still the socket: its queue_id may be read
# type: xdp
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stxdw [%r10-16], %r0
mov %r0, 0
ldxdw %r1, [%r10-16]
ldxw %r0, [%r1+0]
and %r0, 3
exit
out:
mov %r0, 2
exit
