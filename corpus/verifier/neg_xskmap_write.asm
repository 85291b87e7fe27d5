# struct bpf_xdp_sock is read-only: a store through an XSKMAP lookup's pointer is refused
# type: xdp
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: R0 cannot write into xdp_sock
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stw [%r0+0], 1
out:
mov %r0, 2
exit
