# skb_load_bytes of 0 bytes
# type: sched_cls
# expect: R4 invalid zero-sized read
# kernel: reject
mov %r2, 0
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 26
mov %r0, 0
exit
