# no atomic operation on an AF_XDP socket (check_atomic refuses socket pointers)
# type: xdp
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: BPF_ATOMIC stores into R0 xdp_sock is not allowed
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, 1
lock add32 [%r0+0], %r1
out:
mov %r0, 2
exit
