# bpf_dynptr_from_skb in an XDP program: not in XDP's kfunc id set
# type: xdp
# expect: calling kernel function bpf_dynptr_from_skb is not allowed
# kernel: reject
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_skb
mov %r0, 0
exit
