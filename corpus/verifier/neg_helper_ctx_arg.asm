# skb_load_bytes needs the context in r1
# type: sched_cls
# expect: R1 type=fp expected=ctx
# kernel: reject
mov %r1, %r10
mov %r2, 0
mov %r3, %r10
add %r3, -8
mov %r4, 8
call 26
mov %r0, 0
exit
