# skb->data must be loaded as a whole pointer
# type: sched_cls
# expect: invalid bpf_context access off=76 size=2
# kernel: reject
ldxh %r2, [%r1+76]
mov %r0, 0
exit
