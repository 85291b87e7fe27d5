# skb->len is read-only even for tc
# type: sched_cls
# expect: invalid bpf_context access off=0 size=4
# kernel: reject
mov %r2, 1
stxw [%r1+0], %r2
mov %r0, 0
exit
