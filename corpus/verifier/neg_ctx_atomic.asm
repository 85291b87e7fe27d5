# atomic add into the context
# type: sched_cls
# expect: BPF_ATOMIC stores into R1 ctx is not allowed
# kernel: reject
mov %r2, 1
lock add32 [%r1+8], %r2
mov %r0, 0
exit
