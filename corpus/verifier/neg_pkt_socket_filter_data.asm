# socket filters have no direct packet access: skb->data is not readable
# type: socket_filter
# expect: invalid bpf_context access off=76 size=4
# kernel: reject
ldxw %r2, [%r1+76]
mov %r0, 0
exit
