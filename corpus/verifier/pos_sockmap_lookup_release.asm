# a socket map's lookup returns a referenced socket, released with bpf_sk_release (is_acquire_function, mark_ptr_or_null_reg)
# type: xdp
# map: socks sockmap key=4 value=4 entries=4
# expect: accept
# kernel: accept
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r0
call 86
out:
mov %r0, 2
exit
