# queue_id is read whole: a one-byte load of it is refused (bpf_xdp_sock_is_valid_access)
# type: xdp
# map: xsks_map xskmap key=4 value=4 entries=4
# expect: R0 invalid xdp_sock access off=0 size=1
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
ldxb %r1, [%r0+0]
out:
mov %r0, 2
exit
