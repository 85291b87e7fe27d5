# no pointer arithmetic on an xdp_sock pointer
# type: xdp
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: R0 pointer arithmetic on xdp_sock prohibited
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
add %r0, 4
ldxw %r1, [%r0+0]
out:
mov %r0, 2
exit
