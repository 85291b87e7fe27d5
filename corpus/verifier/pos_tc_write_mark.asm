# tc may write skb->mark and cb[]
# type: sched_cls
# expect: accept
# kernel: accept
mov %r2, 7
stxw [%r1+8], %r2
stw [%r1+48], 1
mov %r0, 0
exit
