# an xdp_sock is not memory a helper may read: it cannot be a lookup key
# type: xdp
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: R2 type=xdp_sock expected=fp, pkt, pkt_meta
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r2, %r0
lddw %r1, map_fd 0
call 1
out:
mov %r0, 2
exit
