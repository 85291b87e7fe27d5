# a socket map's update takes a socket as its value (resolve_map_arg_type), not stack bytes
# type: sched_cls
# map: socks sockmap key=4 value=4 entries=4
# expect: R3 type=fp expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_
# kernel: reject
stdw [%r10-8], 0
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -8
lddw %r1, map_fd 0
mov %r4, 0
call 2
mov %r0, 0
exit
