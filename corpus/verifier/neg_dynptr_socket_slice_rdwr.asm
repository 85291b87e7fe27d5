# bpf_dynptr_slice_rdwr in a socket filter, which may not write packet data
# type: socket_filter
# expect: the prog does not allow writes to packet data
# kernel: reject
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_skb
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, 0
mov %r4, 8
call kfunc bpf_dynptr_slice_rdwr
mov %r0, 0
exit
